"""vision_crew: a tiny ViT (random weights) classifying 16x16 PNG images, and its TorchScript trace.

`make_model.py` builds it from a ViTConfig into model/ and model.pt, and draws the images. Each input
is the absolute path of an image (the harness resolves it in the team's folder); each output is the
labels ranked by score, so the harness computes top-1 and top-5 accuracy.
"""

import numpy as np
import torch

import png

LABELS = ["red", "green", "blue", "yellow", "cyan", "magenta", "white", "black", "gray", "orange"]


def pixels(paths: list) -> torch.Tensor:
    images = np.stack([png.read(p) for p in paths]).astype(np.float32) / 127.5 - 1.0
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()


def ranked(logits: torch.Tensor) -> list:
    return [[LABELS[i] for i in row] for row in logits.argsort(-1, descending=True).tolist()]


class Submission:
    def load(self, device: str) -> None:
        from transformers import ViTForImageClassification

        self.model = ViTForImageClassification.from_pretrained("model").eval().to(device)
        self.device = device

    @torch.inference_mode()
    def predict(self, inputs: list) -> list:
        return ranked(self.model(pixel_values=pixels(inputs).to(self.device)).logits)


class TorchScriptSubmission:
    """The traced model: torch only, no transformers in the process."""

    def load(self, device: str) -> None:
        self.model = torch.jit.load("model.pt", map_location=device).eval()
        self.device = device

    @torch.inference_mode()
    def predict(self, inputs: list) -> list:
        return ranked(self.model(pixels(inputs).to(self.device)))
