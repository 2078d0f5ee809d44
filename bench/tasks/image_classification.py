"""image-classification: inputs are image files of the team's folder, outputs a label or a ranked list
of labels; accuracy (the first label), and top-5 accuracy when every output is a ranked list, in %.

An input is the image's path relative to the team's folder, or `{"image": path, ...}`. The child
receives the absolute path, which it can open inside the sandbox (the team's folder is bound there
read-only at the same place; only the run's data files are hidden).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.tasks.classification import label
from bench.tasks.interface import CannotScoreOutputs, Context, Counted, Task, sample_name
from validator.model import Metric

TOP = 5


def _image(folder: Path, value: Any, index: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CannotScoreOutputs(
            f'{sample_name(index)}: an image-classification input is an image path (str) or {{"image": path}}'
        )
    root = folder.resolve()
    path = (root / value).resolve()
    if not path.is_relative_to(root):
        raise CannotScoreOutputs(f"{sample_name(index)}: image {value!r} leaves the team's folder")
    if not path.is_file():
        raise CannotScoreOutputs(f"{sample_name(index)}: image {value!r} does not exist")
    return str(path)


def ranked(value: Any, index: int) -> list[str]:
    if isinstance(value, list):
        if not value:
            raise CannotScoreOutputs(f"{sample_name(index)}: an empty list of labels")
        return [label(v, index) for v in value]
    return [label(value, index)]


class ImageClassification(Task):
    def child_inputs(self, inputs: list[Any], folder: Path) -> list[Any]:
        given: list[Any] = []
        for index, item in enumerate(inputs):
            if isinstance(item, dict):
                given.append({**item, "image": _image(folder, item.get("image"), index)})
            else:
                given.append(_image(folder, item, index))
        return given

    def count(self, inputs: list[Any], outputs: list[Any], first: int) -> Counted:
        for offset, output in enumerate(outputs):
            ranked(output, first + offset)
        return Counted()

    def score(
        self, inputs: list[Any], outputs: list[Any], references: list[Any], context: Context
    ) -> list[Metric]:
        predicted = [ranked(o, i) for i, o in enumerate(outputs)]
        expected = [label(r) for r in references]
        top1 = sum(p[0] == e for p, e in zip(predicted, expected, strict=True))
        metrics = [Metric(name="accuracy", value=100.0 * top1 / len(expected), unit="%")]
        if all(isinstance(o, list) for o in outputs):
            top5 = sum(e in p[:TOP] for p, e in zip(predicted, expected, strict=True))
            metrics.append(Metric(name="top-5 accuracy", value=100.0 * top5 / len(expected), unit="%"))
        return metrics

    def exercise(self) -> None:
        self.score(["a.png", "b.png"], [["x", "y"], ["y"]], ["x", "x"], Context())
