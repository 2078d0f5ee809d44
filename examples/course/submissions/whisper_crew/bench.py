"""whisper_crew: a tiny Whisper (random weights, fixed seed) transcribing synthetic audio.

Nothing is downloaded: the model is built from a WhisperConfig and the audio is synthesized from
each input {"freq_hz": F, "seconds": S, "seed": K}. Its WER means nothing; the real code runs.
"""

import numpy as np
import torch
from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

SAMPLE_RATE = 16000
ALPHABET = " abcdefghijklmnopqrstuvwxyz"
START, EOS, MAX_TOKENS = 1, 2, 12


def synthesize(item: dict) -> np.ndarray:
    t = np.arange(int(item["seconds"] * SAMPLE_RATE)) / SAMPLE_RATE
    noise = np.random.default_rng(item.get("seed", 0)).normal(0, 0.05, t.shape)
    return (0.5 * np.sin(2 * np.pi * item["freq_hz"] * t) + noise).astype(np.float32)


class Submission:
    def load(self, device: str) -> None:
        torch.manual_seed(0)
        config = WhisperConfig(
            vocab_size=64, num_mel_bins=80, d_model=64, encoder_layers=2, decoder_layers=2,
            encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=256, decoder_ffn_dim=256,
            max_source_positions=100, max_target_positions=32, pad_token_id=0, bos_token_id=START,
            eos_token_id=EOS, decoder_start_token_id=START, init_std=0.3,
        )
        self.features = WhisperFeatureExtractor(chunk_length=2)  # 2 s windows -> 200 frames
        self.device = device
        self.model = WhisperForConditionalGeneration(config).eval().to(device)

    @torch.inference_mode()
    def predict(self, inputs: list) -> list:
        audio = [synthesize(item) for item in inputs]
        features = self.features(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features
        encoded = self.model.model.encoder(features.to(self.device)).last_hidden_state
        tokens = torch.full((len(inputs), 1), START, device=self.device)
        for _ in range(MAX_TOKENS):  # greedy decoding
            logits = self.model(encoder_outputs=(encoded,), decoder_input_ids=tokens).logits
            tokens = torch.cat([tokens, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
        texts = []
        for row in tokens[:, 1:].tolist():
            row = row[: row.index(EOS)] if EOS in row else row
            texts.append(" ".join("".join(ALPHABET[t % len(ALPHABET)] for t in row).split()))
        return texts
