#!/usr/bin/env python3
"""How exactly `validator check` reads the numbers of real pull requests, against hand labels.

`tests/data/labels/pr-NN.json` holds a person's reading of the rows each corpus PR adds or changes
(`tests/data/corpus/pr-NN/head__README.md`): per number its field, metric, value and unit as written;
`edited-shapes.json` the same for `tests/data/edited/student-shapes.md`, real corpus rows edited into
the shapes issue 13 found in another cohort (decorated headers, units among words, `a / b` metrics,
placeholders with notes, several comparison tables).
Each number is then one of:

- exact: the reader's value equals the person's, in the same canonical unit;
- wrong: the reader holds a different value (silently when no problem names that row);
- not read: the reader holds none (silently when no problem names that row);
- refused: the row writes no unit anywhere, so a person cannot tell it either, and the reader says so
  with a problem instead of a number (the right answer; a value here counts as wrong).

Cells a person reads as "not measured" (`-`, `--`) must read as no value. Extra metrics the reader
finds that the person does not (a metric named `/`) count as wrong.

Usage: python scripts/reading_accuracy.py [--labels DIR] [--data DIR]
Exit 0 when at least 97% of the numbers with a unit are read exactly and none is read wrong silently.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "labels"
DATA = ROOT / "tests" / "data"
GOAL = 0.97

#: The person's units -> (canonical unit, factor): written here, apart from `validator.units`, so a
#: wrong conversion there shows up as a wrong read.
UNITS: dict[str, tuple[str, float]] = {
    "MB": ("MB", 1.0),
    "GB": ("MB", 1024.0),
    "ms": ("ms", 1.0),
    "s": ("ms", 1000.0),
    "s/text": ("ms", 1000.0),
    "s/token": ("ms/token", 1000.0),
    "%": ("%", 1.0),
}
OUTCOMES = ("exact", "wrong", "wrong-silent", "not-read", "not-read-silent", "refused")


@dataclass
class Score:
    """Outcomes per number, and what went astray, for one PR or all."""

    outcomes: Counter[str] = field(default_factory=Counter)
    placeholders_ok: int = 0
    placeholders_bad: int = 0
    details: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.outcomes.update(other.outcomes)
        self.placeholders_ok += other.placeholders_ok
        self.placeholders_bad += other.placeholders_bad
        self.details.extend(other.details)

    @property
    def definite(self) -> int:
        """Numbers written with a unit somewhere (in the cell or the header)."""
        return sum(self.outcomes[o] for o in OUTCOMES if o != "refused")

    @property
    def exact_share(self) -> float:
        return self.outcomes["exact"] / self.definite if self.definite else 1.0


def _metric_key(name: str) -> str:
    from validator.metrics import metric_key

    return metric_key(name)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _expected(label: dict[str, Any]) -> tuple[float, str | None, float | None] | None:
    """The person's (value, unit, spread) in canonical units, or None when the row writes no unit."""
    std = label.get("std")
    if label["unit"] is None:
        return None if label["field"] != "quality" else (label["value"], None, std)
    unit, factor = UNITS[label["unit"]]
    return label["value"] * factor, unit, None if std is None else std * factor


def _outcome(got: tuple[float, str | None, float | None] | None, expected: Any, flagged: bool) -> str:
    if expected is None:  # no unit written: the right answer is a problem, not a number
        if got is None:
            return "refused" if flagged else "not-read-silent"
        return "wrong" if flagged else "wrong-silent"
    if got is None:
        return "not-read" if flagged else "not-read-silent"
    value, unit, std = expected
    same_std = (std is None and got[2] is None) or (
        std is not None and got[2] is not None and _same(got[2], std)
    )
    if _same(got[0], value) and got[1] == unit and same_std:
        return "exact"
    return "wrong" if flagged else "wrong-silent"


def score_file(path: Path, data: Path = DATA) -> Score:
    """The reader's output on one labelled file, scored against its labels."""
    from validator.check import check_file

    labels = json.loads(path.read_text(encoding="utf-8"))
    report = check_file(data / labels["file"])
    read_rows = {row.line: row for table in report.comparisons for row in table.rows}
    problem_lines = {p.line for p in report.problems}
    score = Score()
    for expected_row in labels["rows"]:
        line = expected_row["line"]
        row = read_rows.get(line)
        flagged = line in problem_lines
        where = f"{labels['name']}:{line}"
        if row is None:
            for label in expected_row["numbers"]:
                score.outcomes[_outcome(None, _expected(label), flagged)] += 1
                score.details.append(f"{where}: row not read ({label['written']})")
            continue
        metrics = list(row.quality)
        for label in expected_row["numbers"]:
            expected = _expected(label)
            if label["field"] == "quality":
                key = _metric_key(label["metric"])
                match = next((m for m in metrics if _metric_key(m.name) == key), None)
                if match is not None:
                    metrics.remove(match)
                got: tuple[float, str | None, float | None] | None = (
                    None if match is None else (match.value, match.unit, match.std)
                )
            else:
                quantity = row.quantity(label["field"])
                got = None if quantity is None else (quantity.value, quantity.unit, quantity.std)
            outcome = _outcome(got, expected, flagged)
            score.outcomes[outcome] += 1
            if outcome not in ("exact", "refused"):
                score.details.append(
                    f"{where}: {label['written']!r} -> {outcome} (read {got}, expected {expected})"
                )
        for extra in metrics:
            score.outcomes["wrong" if flagged else "wrong-silent"] += 1
            score.details.append(f"{where}: extra metric {extra.name!r} = {extra.value}")
        for field_name in expected_row["not_measured"]:
            empty = not row.quality if field_name == "quality" else row.quantity(field_name) is None
            if empty:
                score.placeholders_ok += 1
            else:
                score.placeholders_bad += 1
                score.details.append(f"{where}: {field_name} should read as not measured")
    return score


def score_all(labels: Path = LABELS, data: Path = DATA) -> dict[str, Score]:
    """Each labels file's score, by its name (`pr-02` ... `pr-20`, `edited`)."""
    scores = {}
    for path in sorted(labels.glob("*.json")):
        scores[json.loads(path.read_text(encoding="utf-8"))["name"]] = score_file(path, data)
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    scores = score_all(args.labels, args.data)
    total = Score()
    columns = ("numbers", "exact", "wrong", "silent", "not read", "silent", "refused")
    print(f"{'file':7}" + "".join(f" {c:>8}" for c in columns))
    for name, score in scores.items():
        total.add(score)
        o = score.outcomes
        print(f"{name:7}" + "".join(f" {n:8}" for n in (sum(o.values()), *(o[k] for k in OUTCOMES))))
    o = total.outcomes
    numbers = sum(o.values())
    print(f"{'all':7}" + "".join(f" {n:8}" for n in (numbers, *(o[k] for k in OUTCOMES))))
    wrong = o["wrong"] + o["wrong-silent"]
    not_read = o["not-read"] + o["not-read-silent"]
    print(
        f"\nof {total.definite} numbers written with a unit: read exactly {total.exact_share:.1%}, "
        f"read wrong {wrong / max(total.definite, 1):.1%} ({o['wrong-silent']} silently), "
        f"not read {not_read / max(total.definite, 1):.1%} ({o['not-read-silent']} silently)"
    )
    print(
        f"of all {numbers} numbers: read exactly {o['exact'] / max(numbers, 1):.1%}; refused for want of a "
        f"unit, with a problem: {o['refused']}"
    )
    print(
        f"cells a person reads as not measured: {total.placeholders_ok} read so, {total.placeholders_bad} not"
    )
    for line in total.details:
        print("  " + line)
    ok = total.exact_share >= GOAL and o["wrong-silent"] == 0 and total.placeholders_bad == 0
    print(f"goal (>= {GOAL:.0%} exact, none wrong silently): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
