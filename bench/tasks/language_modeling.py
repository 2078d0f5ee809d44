"""language-modeling: the log-likelihood of every token of the input text, as the team's model and
tokenizer see it; perplexity = exp(-mean) over all tokens of all samples; tokens/s counts the
log-likelihoods returned.

An output is a list of finite floats <= 0 (natural-log probabilities), at least one per input.
"""

from __future__ import annotations

import math
from typing import Any

from bench.tasks.interface import (
    CannotScoreOutputs,
    Context,
    Counted,
    Speed,
    Task,
    finite_float,
    sample_name,
    shown,
    std,
)
from validator.model import Metric

#: A log-probability a little above 0 is float rounding (log_softmax of a near-certain token).
ROUNDING = 1e-4


def log_likelihoods(value: Any, index: int) -> list[float]:
    if not isinstance(value, list) or not value:
        raise CannotScoreOutputs(
            f"{sample_name(index)}: a language-modeling output must be a non-empty list of per-token "
            f"log-likelihoods, not {type(value).__name__ if value != [] else 'an empty list'}"
        )
    for position, item in enumerate(value):
        if not finite_float(item) or item > ROUNDING:
            raise CannotScoreOutputs(
                f"{sample_name(index)}, token {position + 1}: {shown(item)} is not a log-likelihood "
                "(a finite float <= 0)"
            )
    return [min(float(v), 0.0) for v in value]


def perplexity(outputs: list[list[float]]) -> Metric:
    values = [v for output in outputs for v in output]
    per_sample = [math.exp(-sum(o) / len(o)) for o in outputs]
    mean = -sum(values) / len(values)
    if mean > 700:  # exp overflows a float: no model the course measures is this far off
        raise CannotScoreOutputs(f"the mean negative log-likelihood {mean:.4g} is too large to score")
    return Metric(name="perplexity", value=math.exp(mean), std=std(per_sample))


class LanguageModeling(Task):
    speed: Speed = "tokens"

    def count(self, inputs: list[Any], outputs: list[Any], first: int) -> Counted:
        return Counted(tokens=sum(len(log_likelihoods(o, first + i)) for i, o in enumerate(outputs)))

    def score(
        self, inputs: list[Any], outputs: list[Any], references: list[Any], context: Context
    ) -> list[Metric]:
        return [perplexity([log_likelihoods(o, i) for i, o in enumerate(outputs)])]

    def exercise(self) -> None:
        self.score(["a", "b"], [[-1.0, -2.0], [-0.5]], [None, None], Context())
