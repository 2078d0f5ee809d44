"""Writes model/ (the tiny BERT, safetensors), model.onnx (its ONNX export) and data/eval.jsonl.

Random weights from a fixed seed; the references are hand labels, so accuracy is what a random
classifier scores. Run from this folder: python make_model.py
"""

import json

import torch
from transformers import BertConfig, BertForSequenceClassification

from bench import LABELS, LENGTH, VOCAB, encode

SENTENCES = [
    ("the lecture was clear and useful", "positive"),
    ("great course with practical homework", "positive"),
    ("quantization made the model small and fast", "positive"),
    ("i loved the pruning seminar", "positive"),
    ("the slides were confusing", "negative"),
    ("the benchmark crashed again", "negative"),
    ("too much homework and too little time", "negative"),
    ("the distilled model lost all its accuracy", "negative"),
]

if __name__ == "__main__":
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=LENGTH, num_labels=len(LABELS),
        initializer_range=0.2,
    )
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained("model")
    ids = torch.from_numpy(encode([s for s, _ in SENTENCES]))
    torch.onnx.export(
        model, (ids, (ids > 0).long()), "model.onnx", input_names=["input_ids", "attention_mask"],
        output_names=["logits"], dynamic_axes={"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}},
        dynamo=False, opset_version=17,
    )
    with open("data/eval.jsonl", "w", encoding="utf-8") as out:
        for sentence, label in SENTENCES:
            out.write(json.dumps({"input": sentence, "reference": label}) + "\n")
