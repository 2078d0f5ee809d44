"""sentiment_crew: a tiny BERT sentiment classifier (random weights), as saved and as an ONNX export.

`make_model.py` builds it from a BertConfig and writes model/ (safetensors) and model.onnx. Words are
ids by a fixed hash (no tokenizer files); each input is a sentence, each output a label.
"""

import os
import zlib

import numpy as np

LABELS = ["negative", "positive"]
VOCAB, LENGTH = 512, 16


def encode(texts: list) -> np.ndarray:
    """[CLS] word ids ... [SEP], padded with 0 to LENGTH."""
    ids = np.zeros((len(texts), LENGTH), dtype=np.int64)
    for row, text in enumerate(texts):
        words = [3 + zlib.crc32(w.encode()) % (VOCAB - 3) for w in text.lower().split()][: LENGTH - 2]
        ids[row, : len(words) + 2] = [1, *words, 2]
    return ids


class Submission:
    def load(self, device: str) -> None:
        import torch
        from transformers import BertForSequenceClassification

        self.torch = torch
        self.model = BertForSequenceClassification.from_pretrained("model").eval().to(device)
        self.device = device

    def predict(self, inputs: list) -> list:
        ids = encode(inputs)
        with self.torch.inference_mode():
            tensor = self.torch.from_numpy(ids).to(self.device)
            logits = self.model(input_ids=tensor, attention_mask=(tensor > 0).long()).logits
        return [LABELS[i] for i in logits.argmax(-1).tolist()]


class OnnxSubmission:
    """The same model through ONNX Runtime: no torch, no transformers in the process."""

    def load(self, device: str) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # The harness's thread count (ONNX Runtime would take every core otherwise).
        options.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            "model.onnx", options, providers=["CPUExecutionProvider"]
        )

    def predict(self, inputs: list) -> list:
        ids = encode(inputs)
        (logits,) = self.session.run(None, {"input_ids": ids, "attention_mask": (ids > 0).astype(np.int64)})
        return [LABELS[i] for i in logits.argmax(-1).tolist()]
