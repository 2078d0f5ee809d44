"""What a task is to the harness: how its outputs are checked, counted and scored by the parent.

A task never runs in the child: the child returns outputs, and the parent, which alone holds the
references, validates them (`count`, per timed call), turns them into quality figures (`score`, once
at the end) and counts the speed in samples or in tokens.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from validator.config import BenchConfig
from validator.model import Metric

Speed = Literal["samples", "tokens"]


class CannotScoreOutputs(Exception):
    """Outputs that do not fit the task (a transcript that is not text, a tag list of the wrong length...)."""


class CannotPrepareTask(Exception):
    """The course's settings for a task cannot be used (a speech-recognition model that is not there)."""


@dataclass(frozen=True)
class Counted:
    """What one timed call produced, as the speed counts it."""

    #: Tokens for a tokens/s speed (generated ids, scored log-likelihoods, words of the input text).
    tokens: int = 0
    #: Seconds of audio generated (text-to-speech: the real-time factor).
    audio_seconds: float = 0.0


@dataclass(frozen=True)
class Context:
    """What a scorer may need besides the outputs: the course's settings and where its files are."""

    config: BenchConfig = field(default_factory=BenchConfig.model_construct)
    #: The course's root (its models, e.g. a text-to-speech judge's speech-recognition model).
    course_root: Path | None = None


class Task:
    """A task's parent-side behaviour; the base is `generic`: anything JSON, no quality, samples."""

    #: How the speed is counted: ms per sample, or tokens/s from `Counted.tokens`.
    speed: Speed = "samples"

    def child_inputs(self, inputs: list[Any], folder: Path) -> list[Any]:
        """The inputs as the child receives them (image paths made openable inside the sandbox)."""
        return inputs

    def prepare(self, context: Context) -> None:
        """Load what scoring needs before any child starts (a course model); raises `CannotPrepareTask`."""

    def count(self, inputs: list[Any], outputs: list[Any], first: int) -> Counted:
        """Validate one call's outputs (`first`: the index of its first sample) and count them."""
        return Counted()

    def score(
        self, inputs: list[Any], outputs: list[Any], references: list[Any], context: Context
    ) -> list[Metric]:
        """The quality figures of all outputs, in data order."""
        return []

    def exercise(self) -> None:
        """Run the scorer once on a tiny sample: every module it imports is loaded before a child runs."""


def sample_name(index: int) -> str:
    """How messages name a sample: its line among the data's samples, counting from 1."""
    return f"sample {index + 1}"


def shown(value: Any, limit: int = 40) -> str:
    """A value as a message quotes it: repr, cut short (student output can be anything, and huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def std(values: list[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None


def finite_float(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
