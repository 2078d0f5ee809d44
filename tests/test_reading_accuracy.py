"""The reader against a person's reading of real rows (tests/data/labels), scored by
scripts/reading_accuracy.py: every number written with a unit is read exactly, none wrong or lost in
silence, and a number written with no unit anywhere is refused with a problem."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import DATA, ROOT

LABELS = DATA / "labels"


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "reading_accuracy", ROOT / "scripts" / "reading_accuracy.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


SCORER = _scorer()
FILES = sorted(LABELS.glob("*.json"))


def test_every_corpus_pr_is_labelled() -> None:
    names = {json.loads(path.read_text(encoding="utf-8"))["name"] for path in FILES}
    corpus = {path.name for path in (DATA / "corpus").glob("pr-*")}
    assert corpus <= names
    assert "edited" in names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_numbers_read_as_a_person_reads_them(path: Path) -> None:
    score = SCORER.score_file(path)
    labels = json.loads(path.read_text(encoding="utf-8"))
    unitless = sum(
        1 for row in labels["rows"] for n in row["numbers"] if n["unit"] is None and n["field"] != "quality"
    )
    assert score.details == []
    assert score.outcomes["refused"] == unitless
    assert score.outcomes["exact"] == sum(len(row["numbers"]) for row in labels["rows"]) - unitless
    assert score.placeholders_bad == 0


def test_the_goal_holds_over_all_files() -> None:
    total = SCORER.Score()
    for score in SCORER.score_all().values():
        total.add(score)
    assert total.exact_share >= SCORER.GOAL
    assert total.outcomes["wrong-silent"] == 0
    assert total.outcomes["exact"] > 250


def _relabelled(tmp_path: Path, change: dict[str, object], index: int = 0) -> Path:
    labels = json.loads((LABELS / "pr-06.json").read_text(encoding="utf-8"))
    labels["rows"][0]["numbers"][index].update(change)
    path = tmp_path / "pr-06.json"
    path.write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_scorer_sees_a_wrong_value(tmp_path: Path) -> None:
    # pr-06 writes `1280Mb`: a person who read 1280 GB disagrees with the reader.
    score = SCORER.score_file(_relabelled(tmp_path, {"unit": "GB"}))
    assert score.outcomes["wrong-silent"] == 1
    assert score.outcomes["exact"] == 6


def test_the_scorer_sees_a_metric_not_read_and_one_too_many(tmp_path: Path) -> None:
    # The NISQA label renamed: the reader's NISQA-AVG is extra, the label's metric is not read.
    score = SCORER.score_file(_relabelled(tmp_path, {"metric": "MOS"}, index=5))
    assert score.outcomes["not-read-silent"] == 1
    assert score.outcomes["wrong-silent"] == 1


def test_the_scorer_sees_a_guessed_unit(tmp_path: Path) -> None:
    # A person who saw no unit where the reader found one: the reader would have guessed.
    score = SCORER.score_file(_relabelled(tmp_path, {"unit": None}))
    assert score.outcomes["wrong-silent"] == 1
