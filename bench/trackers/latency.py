"""Latency: per-call timings turned into per-sample latency or token throughput.

The child times each `predict` call with `time.perf_counter` (CUDA synchronized on both sides);
this module only does the arithmetic, so it is shared by the child and tested on its own.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from validator.model import Quantity


def _percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True)
class Latency:
    """Summary of a list of values (ms per sample, or tokens/s per call)."""

    mean: float
    std: float
    p50: float
    p90: float
    count: int

    @classmethod
    def from_values(cls, values: list[float]) -> Latency:
        if not values:
            raise ValueError("no values to summarize")
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        return cls(
            mean=statistics.fmean(values),
            std=std,
            p50=_percentile(values, 0.5),
            p90=_percentile(values, 0.9),
            count=len(values),
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Call:
    """One timed `predict` call: its batch size, seconds, and the tokens it counts (tokens/s tasks)."""

    batch: int
    seconds: float
    tokens: int = 0
    #: CPU time of the child's process over the call (all its threads).
    cpu_seconds: float | None = None
    #: Seconds of audio the call generated (text-to-speech: the real-time factor).
    audio_seconds: float = 0.0

    def on_cpu_clock(self) -> Call:
        """The same call timed by the CPU time it consumed, not the wall clock."""
        return Call(self.batch, self.cpu_seconds or 0.0, self.tokens, audio_seconds=self.audio_seconds)


def sample_latency(calls: list[Call]) -> tuple[Quantity, Latency]:
    """ms per sample: every call's time split evenly over its batch."""
    per_sample = [c.seconds * 1000.0 / c.batch for c in calls for _ in range(c.batch)]
    summary = Latency.from_values(per_sample)
    return Quantity(value=summary.mean, std=summary.std, unit="ms"), summary


def token_rate(calls: list[Call]) -> tuple[Quantity, Quantity, Latency]:
    """tokens/s (generated tokens over the time spent generating them) and ms/token.

    The value is total tokens over total time (so long calls weigh more, as in a throughput);
    the std is the spread of the per-call rates.
    """
    timed = [c for c in calls if c.tokens > 0 and c.seconds > 0]
    if not timed:
        raise ValueError("no generated tokens were timed")
    tokens = sum(c.tokens for c in timed)
    seconds = sum(c.seconds for c in timed)
    rates = Latency.from_values([c.tokens / c.seconds for c in timed])
    per_token = Latency.from_values([c.seconds * 1000.0 / c.tokens for c in timed])
    rate = Quantity(value=tokens / seconds, std=rates.std, unit="tokens/s")
    ms = Quantity(value=seconds * 1000.0 / tokens, std=per_token.std, unit="ms/token")
    return rate, ms, rates
