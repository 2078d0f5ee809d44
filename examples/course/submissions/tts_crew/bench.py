"""tts_crew: a tiny text-to-speech model (random weights, fixed seed): characters in, a waveform out.

Nothing is downloaded: an embedding of each character is upsampled to 200 samples (9 ms at 22.05 kHz)
by a transposed convolution. Its speech means nothing; the course's speech-recognition model scores
it (WER, CER) and the harness measures tokens/s of the input text and the real-time factor. Each
input is a text; each output {"audio": [floats], "sample_rate": 22050}.
"""

import torch

SAMPLE_RATE = 22050
HOP = 200


class Voice(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(128, 32)
        self.mix = torch.nn.Conv1d(32, 32, kernel_size=3, padding=1)
        self.up = torch.nn.ConvTranspose1d(32, 1, kernel_size=2 * HOP, stride=HOP, padding=HOP // 2)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(self.mix(self.embed(ids).transpose(1, 2)))
        return torch.tanh(self.up(hidden))[:, 0]


class Submission:
    def load(self, device: str) -> None:
        torch.manual_seed(0)
        self.model = Voice().eval().to(device)
        self.device = device

    @torch.inference_mode()
    def predict(self, inputs: list) -> list:
        outputs = []
        for text in inputs:
            ids = torch.tensor([[min(ord(c), 127) for c in text]], device=self.device)
            audio = self.model(ids)[0].float().cpu()
            outputs.append({"audio": [round(x, 5) for x in audio.tolist()], "sample_rate": SAMPLE_RATE})
        return outputs
