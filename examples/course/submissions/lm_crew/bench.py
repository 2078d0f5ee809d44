"""lm_crew: a tiny GPT-2 (random weights, fixed seed) scoring text: the log-likelihood of every token.

Nothing is downloaded: the model is built from a GPT2Config. Tokens are the text's UTF-8 bytes
(id = byte + 1; id 0 begins every text). Each input is a text; each output the natural-log probability
of each of its tokens given the ones before, which is what perplexity is computed from.
"""

import torch
from transformers import GPT2Config, GPT2LMHeadModel

BOS = 0


class Submission:
    def load(self, device: str) -> None:
        torch.manual_seed(0)
        config = GPT2Config(
            n_layer=2, n_embd=64, n_head=4, n_positions=256, vocab_size=257, bos_token_id=BOS,
            eos_token_id=BOS,
        )
        self.model = GPT2LMHeadModel(config).eval().to(device)
        self.device = device

    @torch.inference_mode()
    def predict(self, inputs: list) -> list:
        outputs = []
        for text in inputs:
            ids = torch.tensor([[BOS, *(b + 1 for b in text.encode())]], device=self.device)
            logits = self.model(input_ids=ids).logits[0, :-1]
            scores = torch.log_softmax(logits.float(), dim=-1).gather(1, ids[0, 1:, None])[:, 0]
            outputs.append(scores.tolist())
        return outputs
