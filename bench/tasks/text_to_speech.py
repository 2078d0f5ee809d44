"""text-to-speech: an output is `{"audio": [floats], "sample_rate": N}`; the parent transcribes it with
the course's speech-recognition model and scores the transcript against the input text (WER, CER).

The speed is what the course's header measures: tokens/s of the input text (its words), and the
real-time factor (compute seconds per second of audio). The transcription runs here, in the judge,
with a model the course configures (`[bench.text_to_speech]`): the team's code never sees it, and
the model is loaded before any child starts. An input is the text, or `{"text": ..., ...}`.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path
from typing import Any

from bench.tasks.interface import (
    CannotPrepareTask,
    CannotScoreOutputs,
    Context,
    Counted,
    Speed,
    Task,
    finite_float,
    sample_name,
    shown,
)
from bench.tasks.speech import error_rates
from validator.config import TextToSpeechConfig
from validator.model import Metric

MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 4000, 192_000


def text_of(value: Any, index: int) -> str:
    if isinstance(value, dict):
        value = value.get("text")
    if not isinstance(value, str):
        raise CannotScoreOutputs(
            f'{sample_name(index)}: a text-to-speech input is the text (str) or {{"text": str}}'
        )
    return value


def words(text: str) -> list[str]:
    """The words WER is computed over: lower case, punctuation dropped (the judge's transcript has none)."""
    return re.sub(r"[^\w\s']", " ", text.casefold()).split()


def audio_of(value: Any, index: int, max_seconds: float) -> tuple[list[float], int]:
    """The samples and sample rate of one output, or a clear error."""
    where = sample_name(index)
    if not isinstance(value, dict) or "audio" not in value or "sample_rate" not in value:
        raise CannotScoreOutputs(
            f'{where}: a text-to-speech output must be {{"audio": [floats], "sample_rate": N}}, '
            f"not {type(value).__name__}"
        )
    rate, samples = value["sample_rate"], value["audio"]
    if not isinstance(rate, int) or isinstance(rate, bool) or not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise CannotScoreOutputs(
            f"{where}: sample_rate {shown(rate)} is not a whole number of Hz in "
            f"{MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE}"
        )
    if not isinstance(samples, list) or not samples:
        raise CannotScoreOutputs(f"{where}: audio must be a non-empty list of floats")
    if len(samples) > max_seconds * rate:
        raise CannotScoreOutputs(
            f"{where}: {len(samples) / rate:.1f} s of audio, over the course's limit of {max_seconds:g} s"
        )
    bad = next((i for i, s in enumerate(samples) if not finite_float(s)), None)
    if bad is not None:
        raise CannotScoreOutputs(f"{where}: audio sample {bad} is {shown(samples[bad])}, not a finite float")
    return samples, rate


def model_folder(
    settings: TextToSpeechConfig, course_root: Path | None, hub_cache: str | None = None
) -> Path:
    """Where the course's speech-recognition model is: its own folder, or the pinned hub snapshot."""
    if settings.asr_path is not None:
        root = (course_root or Path.cwd()).resolve()
        folder = (root / settings.asr_path).resolve()
        if not folder.is_relative_to(root) or not folder.is_dir():
            raise CannotPrepareTask(
                f"[bench.text_to_speech] asr_path {settings.asr_path!r} is not a folder of the course"
            )
        return folder
    if settings.asr is None:
        raise CannotPrepareTask(
            "text-to-speech runs are scored by the course's speech-recognition model: set "
            "[bench.text_to_speech] asr = {repo, revision} or asr_path in validator.toml"
        )
    from bench.hub import CannotFetchArtifact, cache_root, fetch

    # The judge's hub step, before any child runs: the course's pinned model, checked against the
    # hub's hashes where the hub can be reached, else the cached snapshot as it is.
    try:
        return fetch(settings.asr, cache_root(hub_cache))
    except CannotFetchArtifact as exc:
        raise CannotPrepareTask(f"the course's speech-recognition model: {exc}") from None


class Transcriber:
    """The course's speech-recognition model: a CTC model (wav2vec2) or an encoder-decoder (Whisper)."""

    def __init__(self, folder: Path):
        import numpy as np
        import torch
        from transformers import AutoConfig, AutoModelForCTC, AutoModelForSpeechSeq2Seq, AutoProcessor
        from transformers.utils import logging

        logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        self._np, self._torch = np, torch
        try:
            config = AutoConfig.from_pretrained(folder, local_files_only=True)
            self._processor = AutoProcessor.from_pretrained(folder, local_files_only=True)  # type: ignore[no-untyped-call]
            self._generate = bool(config.is_encoder_decoder)
            kind = AutoModelForSpeechSeq2Seq if self._generate else AutoModelForCTC
            self._model = kind.from_pretrained(folder, local_files_only=True).eval()
        except (OSError, ValueError, KeyError) as exc:
            raise CannotPrepareTask(f"cannot load the speech-recognition model in {folder}: {exc}") from None
        extractor = getattr(self._processor, "feature_extractor", self._processor)
        self.sample_rate = int(getattr(extractor, "sampling_rate", 16000))

    def __call__(self, samples: list[float], rate: int) -> str:
        np, torch = self._np, self._torch
        audio = np.asarray(samples, dtype=np.float32)
        if rate != self.sample_rate:  # linear resampling: plenty for a transcript
            count = max(1, round(len(audio) * self.sample_rate / rate))
            audio = np.interp(np.linspace(0, len(audio) - 1, count), np.arange(len(audio)), audio)
            audio = audio.astype(np.float32)
        features = self._processor(audio, sampling_rate=self.sample_rate, return_tensors="pt")
        with torch.inference_mode():
            if self._generate:
                ids = self._model.generate(features["input_features"])
                texts = self._processor.batch_decode(ids, skip_special_tokens=True)
            else:
                logits = self._model(features["input_values"]).logits
                texts = self._processor.batch_decode(logits.argmax(-1))
        return str(texts[0]) if texts else ""


@cache
def transcriber(folder: Path) -> Transcriber:
    return Transcriber(folder)


class TextToSpeech(Task):
    speed: Speed = "tokens"

    def prepare(self, context: Context) -> None:
        transcriber(
            model_folder(context.config.text_to_speech, context.course_root, context.config.hub_cache)
        )

    def count(self, inputs: list[Any], outputs: list[Any], first: int) -> Counted:
        tokens, seconds = 0, 0.0
        for offset, (item, output) in enumerate(zip(inputs, outputs, strict=True)):
            tokens += len(words(text_of(item, first + offset)))
            samples, rate = audio_of(output, first + offset, math.inf)  # the course's limit: score()
            seconds += len(samples) / rate
        return Counted(tokens=tokens, audio_seconds=seconds)

    def score(
        self, inputs: list[Any], outputs: list[Any], references: list[Any], context: Context
    ) -> list[Metric]:
        settings = context.config.text_to_speech
        model = transcriber(model_folder(settings, context.course_root, context.config.hub_cache))
        texts = [" ".join(words(text_of(item, i))) for i, item in enumerate(inputs)]
        transcripts = []
        for index, output in enumerate(outputs):
            samples, rate = audio_of(output, index, settings.max_seconds)
            transcripts.append(" ".join(words(model(samples, rate))))
        return error_rates(transcripts, texts)

    def exercise(self) -> None:
        self.count(["a b"], [{"audio": [0.0, 0.1], "sample_rate": 16000}], 0)
        error_rates(["a b"], ["a c"])
