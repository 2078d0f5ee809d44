"""token-classification (NER): the BIO tags of each input's words; entity-level precision, recall
and F1 in % (seqeval, the CoNLL definition: an entity counts only when its type and span match).

An input is `{"words": [...]}` or the list of words itself; its reference is the list of gold tags.
"""

from __future__ import annotations

from typing import Any

from bench.tasks.interface import CannotScoreOutputs, Context, Counted, Task, sample_name
from validator.model import Metric


def words_of(value: Any) -> list[Any] | None:
    if isinstance(value, dict):
        value = value.get("words")
    return value if isinstance(value, list) else None


def tags(value: Any, index: int, length: int | None, what: str) -> list[str]:
    """A list of string tags, `length` long when the words are known."""
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise CannotScoreOutputs(
            f"{sample_name(index)}: token-classification {what} must be a list of BIO tags (str), "
            f"not {type(value).__name__}"
        )
    if length is not None and len(value) != length:
        raise CannotScoreOutputs(f"{sample_name(index)}: {len(value)} {what} tags for {length} words")
    return value


class TokenClassification(Task):
    def count(self, inputs: list[Any], outputs: list[Any], first: int) -> Counted:
        for offset, (item, output) in enumerate(zip(inputs, outputs, strict=True)):
            words = words_of(item)
            tags(output, first + offset, len(words) if words is not None else None, "output")
        return super().count(inputs, outputs, first)

    def score(
        self, inputs: list[Any], outputs: list[Any], references: list[Any], context: Context
    ) -> list[Metric]:
        from seqeval.metrics import f1_score, precision_score, recall_score

        predicted, expected = [], []
        for index, (item, output, reference) in enumerate(zip(inputs, outputs, references, strict=True)):
            words = words_of(item)
            gold = tags(reference, index, len(words) if words is not None else None, "reference")
            expected.append(gold)
            predicted.append(tags(output, index, len(gold), "output"))
        # zero_division=0: no predicted (or no gold) entity at all scores 0, not a warning.
        figures = (
            ("precision", precision_score(expected, predicted, zero_division=0)),
            ("recall", recall_score(expected, predicted, zero_division=0)),
            ("F1", f1_score(expected, predicted, zero_division=0)),
        )
        return [Metric(name=name, value=100.0 * float(value), unit="%") for name, value in figures]

    def exercise(self) -> None:
        self.score([["a", "b"]], [["B-PER", "O"]], [["B-PER", "I-PER"]], Context())
