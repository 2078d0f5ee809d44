"""Writes asr/: the course's speech-recognition model, which transcribes text-to-speech submissions.

A tiny wav2vec2 CTC model (random weights from a fixed seed) with a character vocabulary: its
transcripts mean nothing, but the judge's real code path runs (a transformers pipeline loaded from a
local folder, no hub). A real course names a real model instead, e.g. openai/whisper-small pinned
in `[bench.text_to_speech] asr = {repo, revision}`. Run from this folder: python make_asr.py
"""

import json
import os

import torch
from transformers import (
    Wav2Vec2Config,
    Wav2Vec2CTCTokenizer,
    Wav2Vec2FeatureExtractor,
    Wav2Vec2ForCTC,
    Wav2Vec2Processor,
)

CHARACTERS = list("abcdefghijklmnopqrstuvwxyz'")

if __name__ == "__main__":
    os.makedirs("asr", exist_ok=True)
    vocab = {"<pad>": 0, "<unk>": 1, "|": 2, **{c: i + 3 for i, c in enumerate(CHARACTERS)}}
    with open("asr/vocab.json", "w", encoding="utf-8") as out:
        json.dump(vocab, out)
    tokenizer = Wav2Vec2CTCTokenizer("asr/vocab.json", word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True, return_attention_mask=False)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained("asr")
    torch.manual_seed(0)
    config = Wav2Vec2Config(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, conv_dim=(32, 32), conv_stride=(5, 4), conv_kernel=(10, 8),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, pad_token_id=0,
        initializer_range=0.5,
    )
    Wav2Vec2ForCTC(config).eval().save_pretrained("asr")
