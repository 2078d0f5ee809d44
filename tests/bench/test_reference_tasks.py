"""The reference loader's answer per task, checked against the model computed another way.

Tiny random-weight models of real architectures saved with `save_pretrained` (BERT with a word-level
tokenizer, GPT-2, wav2vec2 with a CTC tokenizer), loaded by `bench.reference.Reference` from their
folder in this process: the sandboxed path through `validator verify` is in test_reference.py.
"""

from __future__ import annotations

import json
import math
import struct
import wave
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from bench.reference import ENV_REPO, ENV_REVISION, ENV_TASK, Reference, ReferenceInputError  # noqa: E402

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "alice", "met", "bob", "in", "paris", "the", "cat"]
TAGS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}


def _word_tokenizer(folder: Path) -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    vocab = {word: index for index, word in enumerate(WORDS)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    tokenizer.save_pretrained(folder)
    return tokenizer


def _bert(folder: Path, head: str, labels: dict[int, str] | None) -> Any:
    torch.manual_seed(1)
    config = transformers.BertConfig(
        vocab_size=len(WORDS),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        num_labels=len(labels) if labels else 3,
        **({"id2label": labels, "label2id": {v: k for k, v in labels.items()}} if labels else {}),
    )
    model = getattr(transformers, head)(config).eval()
    model.save_pretrained(folder)
    _word_tokenizer(folder)
    return model


def _reference(monkeypatch: pytest.MonkeyPatch, folder: Path, task: str) -> Reference:
    monkeypatch.setenv(ENV_REPO, str(folder))
    monkeypatch.setenv(ENV_REVISION, "0" * 40)  # ignored for a local folder
    monkeypatch.setenv(ENV_TASK, task)
    monkeypatch.chdir(folder)
    loader = Reference()
    loader.load("cpu")
    return loader


def test_token_classification_tags_each_word(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _bert(tmp_path, "BertForTokenClassification", TAGS)
    loader = _reference(monkeypatch, tmp_path, "token-classification")
    sentences = [["alice", "met", "bob", "in", "paris"], {"words": ["the", "cat"]}]
    answers = loader.predict(sentences)
    for words, tags in zip([sentences[0], sentences[1]["words"]], answers, strict=True):  # type: ignore[index]
        ids = torch.tensor([[2, *(WORDS.index(w) for w in words), 3]])
        with torch.no_grad():
            expected = [TAGS[int(i)] for i in model(ids).logits[0, 1:-1].argmax(-1)]
        assert tags == expected and len(tags) == len(words)
    with pytest.raises(ReferenceInputError, match="list of words"):
        loader.predict(["alice met bob"])


@pytest.mark.parametrize("labels", [{0: "negative", 1: "positive"}, None], ids=["named", "default-names"])
def test_text_classification_answers_the_label(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, labels: dict[int, str] | None
) -> None:
    model = _bert(tmp_path, "BertForSequenceClassification", labels)
    loader = _reference(monkeypatch, tmp_path, "text-classification")
    answers = loader.predict(["the cat met alice", {"text": "bob in paris"}])
    for text, answer in zip(["the cat met alice", "bob in paris"], answers, strict=True):
        ids = torch.tensor([[2, *(WORDS.index(w) for w in text.split()), 3]])
        with torch.no_grad():
            index = int(model(ids).logits[0].argmax())
        assert answer == (labels[index] if labels else index)


def test_language_modeling_answers_per_token_log_likelihoods(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch.manual_seed(2)
    config = transformers.GPT2Config(n_layer=1, n_head=2, n_embd=16, n_positions=32, vocab_size=len(WORDS))
    model = transformers.GPT2LMHeadModel(config).eval()
    model.save_pretrained(tmp_path)
    _word_tokenizer(tmp_path)
    loader = _reference(monkeypatch, tmp_path, "language-modeling")
    [by_ids, by_text] = loader.predict([{"ids": [5, 6, 7, 8, 9]}, "alice met bob"])
    with torch.no_grad():
        loss = float(model(torch.tensor([[5, 6, 7, 8, 9]]), labels=torch.tensor([[5, 6, 7, 8, 9]])).loss)
    assert len(by_ids) == 4 and all(v <= 0 for v in by_ids)
    assert math.isclose(-sum(by_ids) / 4, loss, rel_tol=1e-4)
    assert len(by_text) == 4  # [CLS] alice met bob [SEP]: four tokens after the first


def test_text_generation_without_a_tokenizer_takes_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch.manual_seed(3)
    config = transformers.GPT2Config(n_layer=1, n_head=2, n_embd=16, n_positions=32, vocab_size=50)
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path)
    loader = _reference(monkeypatch, tmp_path, "text-generation")
    [answer] = loader.predict([{"ids": [1, 2, 3], "new_tokens": 5}])
    assert len(answer) == 5 and all(isinstance(t, int) for t in answer)
    with pytest.raises(ReferenceInputError, match="no tokenizer"):
        loader.predict(["a prompt"])


def _wav2vec2(folder: Path) -> Any:
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, "a": 5, "b": 6, "c": 7, "d": 8}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = transformers.Wav2Vec2CTCTokenizer(str(folder / "vocab.json"))
    extractor = transformers.Wav2Vec2FeatureExtractor(sampling_rate=16000, return_attention_mask=False)
    transformers.Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    torch.manual_seed(4)
    config = transformers.Wav2Vec2Config(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(8, 8),
        conv_stride=(5, 4),
        conv_kernel=(10, 4),
        num_conv_pos_embeddings=8,
        num_conv_pos_embedding_groups=2,
        do_stable_layer_norm=True,
        feat_extract_norm="layer",
    )
    model = transformers.Wav2Vec2ForCTC(config).eval()
    model.save_pretrained(folder)
    return model


def test_speech_recognition_transcribes_samples_and_wav_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _wav2vec2(tmp_path)
    samples = [math.sin(i / 7.0) * 0.5 for i in range(1600)]
    with wave.open(str(tmp_path / "clip.wav"), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(b"".join(struct.pack("<h", int(s * 32767)) for s in samples))
    loader = _reference(monkeypatch, tmp_path, "speech-recognition")
    assert loader.ctc  # not an encoder-decoder: the CTC head
    answers = loader.predict([samples, {"audio": samples, "sampling_rate": 16000}, "clip.wav"])
    processor = transformers.Wav2Vec2Processor.from_pretrained(tmp_path)
    with torch.no_grad():
        features = processor(samples, sampling_rate=16000, return_tensors="pt")
        ids = model(**features).logits.argmax(-1)
        expected = processor.batch_decode(ids, skip_special_tokens=True)[0].strip()
    assert answers[0] == answers[1] == expected
    assert isinstance(answers[2], str)
