"""gpt_squad: a tiny GPT-2 (random weights, fixed seed), original and dynamic INT8.

Nothing is downloaded: the model is built from a GPT2Config. Each input is
{"ids": [prompt token ids], "new_tokens": N}; each output is the list of N generated token ids.
"""

import torch
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.pytorch_utils import Conv1D


def build_model() -> GPT2LMHeadModel:
    torch.manual_seed(0)
    config = GPT2Config(
        n_layer=2, n_embd=128, n_head=4, n_positions=256, vocab_size=1024,
        bos_token_id=0, eos_token_id=0, initializer_range=0.2,
    )
    return GPT2LMHeadModel(config).eval()


def conv1d_to_linear(model: torch.nn.Module) -> None:
    """GPT-2 uses Conv1D (weight transposed) where quantize_dynamic only knows nn.Linear."""
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, Conv1D):
                linear = torch.nn.Linear(child.weight.shape[0], child.weight.shape[1])
                linear.weight.data = child.weight.data.t().contiguous()
                linear.bias.data = child.bias.data
                setattr(module, child_name, linear)


class Submission:
    quantize = False

    def load(self, device: str) -> None:
        model = build_model()
        if self.quantize:
            conv1d_to_linear(model)
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self.device = device
        self.model = model.to(device)

    @torch.inference_mode()
    def predict(self, inputs: list) -> list:
        outputs = []
        for item in inputs:
            ids = torch.tensor([item["ids"]], device=self.device)
            n = int(item.get("new_tokens", 16))
            generated = self.model.generate(
                ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, min_new_tokens=n,
                do_sample=False, pad_token_id=0,
            )
            outputs.append(generated[0, ids.shape[1]:].tolist())
        return outputs


class Int8Submission(Submission):
    quantize = True
