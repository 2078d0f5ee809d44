"""README files in tests/data/readmes/{positive,negative}: each declares the codes it must produce.

The first line is `<!-- expect: code code ... -->`; positive files expect none. Adding a case is adding
a file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import DATA
from validator.check import check_file

FILES = sorted((DATA / "readmes").glob("*/*.md"))


def _expected(path: Path) -> set[str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"<!-- expect:(.*)-->", first.strip())
    assert match, f"{path} must start with <!-- expect: ... -->"
    return set(match[1].split())


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_example_file(path: Path) -> None:
    report = check_file(path)
    codes = {p.code for p in report.problems}
    assert codes == _expected(path)
    if path.parent.name == "positive":
        assert report.comparison is not None and report.comparison.rows
    for problem in report.problems:
        assert problem.line is None or 1 <= problem.line <= len(path.read_text().splitlines())


def test_positive_markup_file_values() -> None:
    table = check_file(DATA / "readmes" / "positive" / "decimal-comma-and-markup.md").comparison
    assert table is not None
    first, second = table.rows
    assert first.model == "openai/whisper-tiny" and first.method == "Оригинал"
    assert first.weights_size is not None and first.weights_size.value == 144.5
    assert first.cpu_speed is not None and (first.cpu_speed.value, first.cpu_speed.std) == (420, 10)
    assert first.gpu_speed is not None and first.gpu_speed.note == "Tesla T4"
    assert first.ram is not None and first.ram.value == 1.2 * 1024
    assert [(m.name, m.value) for m in first.quality] == [("WER", 0.431)]
    assert second.gpu_speed is None and second.vram is None
    assert second.ram is not None and second.ram.value == 900
