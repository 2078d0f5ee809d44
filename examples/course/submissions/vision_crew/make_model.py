"""Writes model/ (a tiny ViT, random weights from a fixed seed), model.pt (its TorchScript trace),
images/*.png (16x16 squares of one colour with noise) and data/eval.jsonl (each image's colour).
Run from this folder: python make_model.py
"""

import json

import numpy as np
import torch
from transformers import ViTConfig, ViTForImageClassification

import png
from bench import LABELS, pixels



class Logits(torch.nn.Module):
    """The model as a function of the pixels alone, returning the logits (what a trace can hold)."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model(pixel_values=pixel_values).logits


COLOURS = {
    "red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220), "yellow": (230, 220, 40),
    "cyan": (40, 220, 220), "magenta": (220, 40, 220), "white": (245, 245, 245), "black": (10, 10, 10),
}

if __name__ == "__main__":
    torch.manual_seed(0)
    config = ViTConfig(
        image_size=16, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=64, num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)), label2id={n: i for i, n in enumerate(LABELS)},
    )
    model = ViTForImageClassification(config).eval()
    model.save_pretrained("model")
    rng = np.random.default_rng(0)
    paths = []
    with open("data/eval.jsonl", "w", encoding="utf-8") as out:
        for name, rgb in COLOURS.items():
            image = np.clip(np.array(rgb) + rng.normal(0, 12, (16, 16, 3)), 0, 255)
            path = f"images/{name}.png"
            png.write(path, image)
            paths.append(path)
            out.write(json.dumps({"input": path, "reference": name}) + "\n")
    torch.jit.trace(Logits(model), (pixels(paths[:2]),)).save("model.pt")
