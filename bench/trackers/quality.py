"""Quality, computed by the harness from the outputs against references the child never saw.

speech-recognition -> WER and CER (jiwer), as fractions like the course writes them;
classification -> accuracy and macro-F1 in %; text-generation -> exact match in % when the references
are token ids; generic -> nothing.
"""

from __future__ import annotations

import contextlib
import statistics
from typing import Any

from validator.model import Metric


class CannotScoreOutputs(Exception):
    """Outputs that do not fit the task (a transcript that is not text, ...)."""


def _std(values: list[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None


def speech_metrics(outputs: list[Any], references: list[Any]) -> list[Metric]:
    import jiwer

    if not all(isinstance(o, str) for o in outputs):
        raise CannotScoreOutputs("speech-recognition outputs must be transcripts (str)")
    refs = [str(r) for r in references]
    # jiwer refuses empty references and hypotheses; an empty transcript is scored as one empty word.
    hyps = [o if o.strip() else "<empty>" for o in outputs]
    refs = [r if r.strip() else "<empty>" for r in refs]
    wer = float(jiwer.wer(refs, hyps))
    cer = float(jiwer.cer(refs, hyps))
    per_wer = [float(jiwer.wer(r, h)) for r, h in zip(refs, hyps, strict=True)]
    per_cer = [float(jiwer.cer(r, h)) for r, h in zip(refs, hyps, strict=True)]
    return [
        Metric(name="WER", value=wer, std=_std(per_wer)),
        Metric(name="CER", value=cer, std=_std(per_cer)),
    ]


def _label(value: Any) -> str:
    if isinstance(value, bool | int | float | str):
        return str(value)
    kind = type(value).__name__
    raise CannotScoreOutputs(f"a classification label must be a string or a number, not {kind}")


def classification_metrics(outputs: list[Any], references: list[Any]) -> list[Metric]:
    predicted = [_label(o) for o in outputs]
    expected = [_label(r) for r in references]
    correct = sum(p == e for p, e in zip(predicted, expected, strict=True))
    # Macro-F1 over the classes present in the references or the predictions (sklearn's labels=None).
    f1s = []
    for label in sorted(set(expected) | set(predicted)):
        tp = sum(p == label and e == label for p, e in zip(predicted, expected, strict=True))
        fp = sum(p == label and e != label for p, e in zip(predicted, expected, strict=True))
        fn = sum(p != label and e == label for p, e in zip(predicted, expected, strict=True))
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return [
        Metric(name="accuracy", value=100.0 * correct / len(expected), unit="%"),
        Metric(name="macro-F1", value=100.0 * statistics.fmean(f1s), unit="%"),
    ]


def _token_ids(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in value)


def generation_metrics(outputs: list[Any], references: list[Any]) -> list[Metric]:
    if not all(_token_ids(r) for r in references):
        return []  # references that are not token ids: nothing we can score exactly
    if not all(_token_ids(o) for o in outputs):
        raise CannotScoreOutputs("text-generation outputs must be lists of generated token ids")
    matches = sum(o == r for o, r in zip(outputs, references, strict=True))
    return [Metric(name="exact match", value=100.0 * matches / len(references), unit="%")]


def compute_quality(task: str, outputs: list[Any], references: list[Any]) -> list[Metric]:
    if len(outputs) != len(references):
        raise CannotScoreOutputs(f"{len(outputs)} outputs for {len(references)} references")
    if not references or task == "generic":
        return []
    if task == "speech-recognition":
        return speech_metrics(outputs, references)
    if task == "classification":
        return classification_metrics(outputs, references)
    if task == "text-generation":
        return generation_metrics(outputs, references)
    raise CannotScoreOutputs(f"unknown task {task!r}")


def prepare_scoring() -> None:
    """Import and run every scorer once, so nothing is imported after a child ran (see the runner)."""
    samples: list[tuple[str, list[Any], list[Any]]] = [
        ("speech-recognition", ["a b", ""], ["a c", "d"]),
        ("classification", ["x", 1], ["x", 2]),
        ("text-generation", [[1], [2]], [[1], [3]]),
    ]
    for task, outputs, references in samples:
        with contextlib.suppress(ImportError):  # jiwer comes with the [bench] extra
            compute_quality(task, outputs, references)
