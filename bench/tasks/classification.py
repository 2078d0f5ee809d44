"""text-classification (and its older name, classification): one label per input.

Accuracy and macro-F1 in %, macro over the classes present in the references or the predictions
(scikit-learn's `labels=None`).
"""

from __future__ import annotations

import statistics
from typing import Any

from bench.tasks.interface import CannotScoreOutputs, Context, Task, sample_name
from validator.model import Metric


def label(value: Any, index: int | None = None) -> str:
    """A label as compared: strings and numbers by their text (`1` and `"1"` are the same class)."""
    if isinstance(value, bool | int | float | str):
        return str(value)
    where = f"{sample_name(index)}: " if index is not None else ""
    kind = type(value).__name__
    raise CannotScoreOutputs(f"{where}a classification label must be a string or a number, not {kind}")


def accuracy_and_macro_f1(predicted: list[str], expected: list[str]) -> list[Metric]:
    pairs = list(zip(predicted, expected, strict=True))
    correct = sum(p == e for p, e in pairs)
    f1s = []
    for name in sorted(set(expected) | set(predicted)):
        tp = sum(p == name and e == name for p, e in pairs)
        fp = sum(p == name and e != name for p, e in pairs)
        fn = sum(p != name and e == name for p, e in pairs)
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return [
        Metric(name="accuracy", value=100.0 * correct / len(expected), unit="%"),
        Metric(name="macro-F1", value=100.0 * statistics.fmean(f1s), unit="%"),
    ]


class TextClassification(Task):
    def score(
        self, inputs: list[Any], outputs: list[Any], references: list[Any], context: Context
    ) -> list[Metric]:
        predicted = [label(o, i) for i, o in enumerate(outputs)]
        return accuracy_and_macro_f1(predicted, [label(r) for r in references])

    def exercise(self) -> None:
        self.score([0, 0], ["x", 1], ["x", 2], Context())
