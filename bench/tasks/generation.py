"""text-generation: the generated token ids of each input; tokens/s, and exact match where the
references are token ids too."""

from __future__ import annotations

from typing import Any

from bench.tasks.interface import CannotScoreOutputs, Context, Counted, Speed, Task, sample_name
from validator.model import Metric


def token_ids(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in value)


class TextGeneration(Task):
    speed: Speed = "tokens"

    def count(self, inputs: list[Any], outputs: list[Any], first: int) -> Counted:
        for offset, output in enumerate(outputs):
            if not token_ids(output):
                raise CannotScoreOutputs(
                    f"{sample_name(first + offset)}: text-generation outputs must be lists of "
                    "generated token ids (int)"
                )
        return Counted(tokens=sum(len(o) for o in outputs))

    def score(
        self, inputs: list[Any], outputs: list[Any], references: list[Any], context: Context
    ) -> list[Metric]:
        if not all(token_ids(r) for r in references):
            return []  # references that are not token ids: nothing we can score exactly
        self.count(inputs, outputs, 0)
        matches = sum(o == r for o, r in zip(outputs, references, strict=True))
        return [Metric(name="exact match", value=100.0 * matches / len(references), unit="%")]

    def exercise(self) -> None:
        self.score([0, 0], [[1], [2]], [[1], [3]], Context())
