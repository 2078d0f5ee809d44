"""The validator's reference loader: an original row run by the judge's own code, not the team's.

Under `[bench] reference_original = true`, `validator verify` runs an original row whose run declares a
hub model with this class instead of the team's entry, so the compressed/original ratios compare
against a baseline the team does not write (a slow, fat original would make any compression look
good). It runs as the entry inside the same sandbox as any submission (read-only at
`/run/validator/reference.py`), on the same inputs, measured by the same parent. Standard library,
torch and transformers only: the validator's own code is not in the sandbox.

The model is the run's declared hub model (`VALIDATOR_REFERENCE_REPO` at `VALIDATOR_REFERENCE_REVISION`,
from the cache the judge filled), loaded with the task's Auto class in the precision it was saved in.
`predict` answers per task (`VALIDATOR_REFERENCE_TASK`), with the inputs the course's tasks define:

| task | input | output |
|---|---|---|
| text-generation | `{"ids": [...], "new_tokens": N}` or a prompt string | the N greedily generated ids |
| language-modeling | a text or `{"ids": [...]}` | the log-likelihood of each token after the first |
| text-classification | a text (or `{"text": ...}`) | the label (the index where the model names none) |
| token-classification | the words (or `{"words": [...]}`) | one tag per word (its first sub-token's) |
| speech-recognition | samples, `{"audio": [...], "sampling_rate": N}` or a WAV path | the transcript |
"""

from __future__ import annotations

import math
import os
import re
import wave
from typing import Any

ENV_REPO = "VALIDATOR_REFERENCE_REPO"
ENV_REVISION = "VALIDATOR_REFERENCE_REVISION"
ENV_TASK = "VALIDATOR_REFERENCE_TASK"
#: Tasks the reference loader can answer.
TASKS = (
    "text-generation",
    "language-modeling",
    "classification",
    "text-classification",
    "token-classification",
    "speech-recognition",
)
#: New tokens generated when an input names none (a prompt string).
DEFAULT_NEW_TOKENS = 16
SAMPLING_RATE = 16000


def reference_environment(repo: str, revision: str, task: str) -> dict[str, str]:
    """What the child needs to know to run the reference for a run (the judge adds it to its env)."""
    return {ENV_REPO: repo, ENV_REVISION: revision, ENV_TASK: task}


class ReferenceInputError(ValueError):
    """An input the reference loader cannot read for its task (the message says what it expects)."""


def _text(item: Any) -> str:
    if isinstance(item, dict):
        item = item.get("text", item.get("input"))
    if not isinstance(item, str):
        raise ReferenceInputError("expected a text (or {'text': ...}) per input")
    return item


def _label(config: Any, index: int) -> Any:
    """The model's name for a class, or its index where the config has only the default names."""
    name = (getattr(config, "id2label", None) or {}).get(index)
    return index if name is None or re.fullmatch(r"LABEL_\d+", str(name)) else name


def _audio(item: Any, folder: str) -> tuple[list[float], int]:
    samples: Any
    if isinstance(item, str):
        path = os.path.join(folder, item)
        with wave.open(path, "rb") as handle:
            if handle.getsampwidth() != 2:
                raise ReferenceInputError(f"{item}: only 16-bit PCM WAV files are read")
            frames = handle.readframes(handle.getnframes())
            channels, rate = handle.getnchannels(), handle.getframerate()
        pcm: list[int] = memoryview(frames).cast("h").tolist()[::channels]
        return [s / 32768.0 for s in pcm], rate
    if isinstance(item, dict):
        samples = item.get("audio", item.get("array"))
        rate = int(item.get("sampling_rate") or item.get("sample_rate") or SAMPLING_RATE)
    else:
        samples, rate = item, SAMPLING_RATE
    if not isinstance(samples, list) or not all(isinstance(s, int | float) for s in samples):
        raise ReferenceInputError(
            "expected audio samples, {'audio': [...], 'sampling_rate': N} or a WAV path"
        )
    return [float(s) for s in samples], rate


class Reference:
    """The entry the harness loads instead of the team's for a reference original row."""

    def load(self, device: str) -> None:
        import torch
        import transformers

        self.torch, self.device = torch, device
        self.task = os.environ[ENV_TASK]
        if self.task not in TASKS:
            raise ValueError(f"the reference loader has no task {self.task!r} (it knows {', '.join(TASKS)})")
        repo, revision = os.environ[ENV_REPO], os.environ[ENV_REVISION]
        self.folder = os.getcwd()
        options: dict[str, Any] = {"revision": revision}
        if int(transformers.__version__.split(".")[0]) < 5:
            options["torch_dtype"] = "auto"  # the precision it was saved in (the default from 5 on)
        self.model: Any = None
        self.tokenizer: Any = None
        self.processor: Any = None
        if self.task in ("text-generation", "language-modeling"):
            self.model = transformers.AutoModelForCausalLM.from_pretrained(repo, **options)
            self.tokenizer = self._optional(transformers.AutoTokenizer, repo, revision)
        elif self.task in ("classification", "text-classification"):
            self.model = transformers.AutoModelForSequenceClassification.from_pretrained(repo, **options)
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(repo, revision=revision)
        elif self.task == "token-classification":
            self.model = transformers.AutoModelForTokenClassification.from_pretrained(repo, **options)
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(repo, revision=revision)
        else:
            processor: Any = transformers.AutoProcessor
            self.processor = processor.from_pretrained(repo, revision=revision)
            try:
                self.model = transformers.AutoModelForSpeechSeq2Seq.from_pretrained(repo, **options)
                self.ctc = False
            except ValueError:  # not an encoder-decoder: a CTC model (wav2vec2 and kin)
                self.model = transformers.AutoModelForCTC.from_pretrained(repo, **options)
                self.ctc = True
        self.model.to(device).eval()

    @staticmethod
    def _optional(auto: Any, repo: str, revision: str) -> Any:
        try:
            tokenizer = auto.from_pretrained(repo, revision=revision)
        except (OSError, ValueError):  # a model without a tokenizer takes token ids only
            return None
        # transformers 5 builds an empty tokenizer where the repository has no tokenizer files
        return tokenizer if len(tokenizer) > 1 else None

    def predict(self, inputs: list[Any]) -> list[Any]:
        with self.torch.no_grad():
            return [getattr(self, "_" + self.task.replace("-", "_"))(item) for item in inputs]

    def _ids(self, item: Any) -> list[int]:
        if isinstance(item, dict) and isinstance(item.get("ids"), list):
            return [int(i) for i in item["ids"]]
        if self.tokenizer is None:
            raise ReferenceInputError("the model has no tokenizer: expected {'ids': [...]} per input")
        ids = list(self.tokenizer(_text(item))["input_ids"])
        if not ids:
            raise ReferenceInputError("the model's tokenizer makes no token of the input")
        return ids

    def _text_generation(self, item: Any) -> list[int]:
        torch = self.torch
        ids = torch.tensor([self._ids(item)], device=self.device)
        count = (
            int(item.get("new_tokens", DEFAULT_NEW_TOKENS)) if isinstance(item, dict) else DEFAULT_NEW_TOKENS
        )
        pad = self.model.generation_config.pad_token_id
        if pad is None:
            eos = self.model.generation_config.eos_token_id
            pad = (eos[0] if isinstance(eos, list) else eos) or 0
        generated = self.model.generate(
            ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=count,
            min_new_tokens=count,
            do_sample=False,
            num_beams=1,
            pad_token_id=pad,
        )
        return [int(t) for t in generated[0, ids.shape[1] :].tolist()]

    def _language_modeling(self, item: Any) -> list[float]:
        torch = self.torch
        ids = torch.tensor([self._ids(item)], device=self.device)
        logits = self.model(ids).logits[0, :-1].float()
        picked = torch.log_softmax(logits, dim=-1).gather(1, ids[0, 1:, None])[:, 0]
        return [float(v) if math.isfinite(float(v)) else -1e9 for v in picked.tolist()]

    def _text_classification(self, item: Any) -> Any:
        encoded = self.tokenizer(_text(item), return_tensors="pt", truncation=True).to(self.device)
        return _label(self.model.config, int(self.model(**encoded).logits[0].argmax()))

    _classification = _text_classification

    def _token_classification(self, item: Any) -> list[Any]:
        words = item.get("words", item.get("tokens")) if isinstance(item, dict) else item
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ReferenceInputError("expected the list of words (or {'words': [...]}) per input")
        encoded = self.tokenizer(words, is_split_into_words=True, return_tensors="pt", truncation=True)
        predicted = self.model(**encoded.to(self.device)).logits[0].argmax(-1).tolist()
        tags: list[Any] = [None] * len(words)
        for position, word in enumerate(encoded.word_ids(0)):
            if word is not None and tags[word] is None:
                tags[word] = _label(self.model.config, int(predicted[position]))
        return [tag if tag is not None else "O" for tag in tags]  # a word truncated away

    def _speech_recognition(self, item: Any) -> str:
        samples, rate = _audio(item, self.folder)
        features = self.processor(samples, sampling_rate=rate, return_tensors="pt").to(self.device)
        if self.ctc:
            ids = self.model(**features).logits.argmax(-1)
        else:
            ids = self.model.generate(**features, do_sample=False, num_beams=1)
        return str(self.processor.batch_decode(ids, skip_special_tokens=True)[0]).strip()
