"""Writes model/ (a tiny BERT token classifier, random weights from a fixed seed) and data/eval.jsonl
(hand-tagged sentences). Run from this folder: python make_model.py
"""

import json

import torch
from transformers import BertConfig, BertForTokenClassification

from bench import TAGS, VOCAB

SENTENCES = [
    ("Anna Petrova teaches in Saint Petersburg", "B-PER I-PER O O B-LOC I-LOC"),
    ("ITMO hosts the course", "B-ORG O O O"),
    ("Ivan met Maria in Moscow", "B-PER O B-PER O B-LOC"),
    ("the model was trained at Yandex", "O O O O O B-ORG"),
    ("Berlin and Paris are cities", "B-LOC O B-LOC O O"),
    ("Sergey works for Hugging Face", "B-PER O O B-ORG I-ORG"),
]

if __name__ == "__main__":
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=32, num_labels=len(TAGS), initializer_range=0.5,
    )
    BertForTokenClassification(config).eval().save_pretrained("model")
    with open("data/eval.jsonl", "w", encoding="utf-8") as out:
        for sentence, tags in SENTENCES:
            words = sentence.split()
            assert len(words) == len(tags.split())
            out.write(json.dumps({"input": {"words": words}, "reference": tags.split()}) + "\n")
