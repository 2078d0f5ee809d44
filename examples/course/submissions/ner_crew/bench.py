"""ner_crew: a tiny BERT token classifier (random weights): one BIO tag per input word.

`make_model.py` builds it from a BertConfig into model/. Words are ids by a fixed hash, one token a
word, so the tags line up with the words. Each input is {"words": [...]}; each output its tags.
"""

import zlib

import torch
from transformers import BertForTokenClassification

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
VOCAB = 512


def encode(words: list) -> list:
    return [1, *(3 + zlib.crc32(w.lower().encode()) % (VOCAB - 3) for w in words), 2]


class Submission:
    def load(self, device: str) -> None:
        self.model = BertForTokenClassification.from_pretrained("model").eval().to(device)
        self.device = device

    @torch.inference_mode()
    def predict(self, inputs: list) -> list:
        outputs = []
        for item in inputs:
            ids = torch.tensor([encode(item["words"])], device=self.device)
            logits = self.model(input_ids=ids).logits[0, 1:-1]  # drop [CLS] and [SEP]
            outputs.append([TAGS[i] for i in logits.argmax(-1).tolist()])
        return outputs
