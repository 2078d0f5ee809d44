"""Pathological READMEs through the real CLI: a clear problem, exit 0/1/2, no traceback, bounded cost.

Each file is generated in tmp_path at test time (nothing large is committed) and checked with
`python -m validator check FILE --format json` in a subprocess; the child's own peak RSS comes from
`os.wait4`, so other tests' children cannot mask or inflate it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from validator.check import MAX_BYTES
from validator.reading.limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_LINES, MAX_PROBLEMS, MAX_ROWS

LIMIT_S = 10.0
LIMIT_RSS = 1024**3  # bytes
HEADER = (
    "| Модель | Метод | Размер весов (MB) | Время инференса (CPU, ms) | Качество (WER) |\n"
    "|---|---|---|---|---|\n"
)
ROW = "| FishSpeech | int8 | 640 | 31.9 ± 0.5 | WER: 0.031 |\n"
TABLE = "# Курс\n\n## Таблица сравнения\n\n" + HEADER + ROW


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    wall: float
    peak_rss: int

    @property
    def report(self) -> dict[str, object]:
        def reject(constant: str) -> object:
            raise ValueError(f"not JSON: {constant}")

        data = json.loads(self.stdout, parse_constant=reject)
        assert isinstance(data, dict)
        return data

    @property
    def codes(self) -> list[str]:
        problems = self.report["problems"]
        assert isinstance(problems, list)
        return [p["code"] for p in problems]

    def rows(self) -> int:
        tables = self.report["tables"]
        assert isinstance(tables, list)
        return sum(len(t["rows"]) for t in tables if t["kind"] == "comparison")


def run_check(path: Path, workdir: Path) -> Run:
    """`python -m validator check PATH --format json`, with the child's own wall time and peak RSS."""
    out, err = workdir / "stdout.txt", workdir / "stderr.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        start = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "validator", "check", str(path), "--format", "json"],
            stdout=stdout,
            stderr=stderr,
            cwd=workdir,
        )
        # A hang must fail the test, not the suite: kill well past the limit.
        killer = threading.Timer(LIMIT_S * 3, child.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            killer.cancel()
        wall = time.monotonic() - start
        child.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        code=child.returncode,
        stdout=out.read_text(encoding="utf-8"),
        stderr=err.read_text(encoding="utf-8", errors="replace"),
        wall=wall,
        peak_rss=usage.ru_maxrss * 1024,  # kilobytes on Linux
    )


def _write(name: str, content: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content)
        return path

    return make


def ten_megabytes(folder: Path) -> Path:
    path = folder / "README.md"
    with path.open("w", encoding="utf-8") as file:
        file.write(TABLE)
        paragraph = "Lorem ipsum dolor sit amet, " * 36 + "\n\n"
        for _ in range(10 * 1024**2 // len(paragraph) + 1):
            file.write(paragraph)
    return path


def fifty_thousand_rows(folder: Path) -> Path:
    # Short rows, so the file stays under the size limit and the row limit is what is tested.
    rows = "".join(f"|m{i}|q|{i % 997}|1|WER: 0.1|\n" for i in range(50_000))
    return _write("README.md", (HEADER + rows).encode())(folder)


def two_thousand_columns(folder: Path) -> Path:
    header = "| Модель | Метод | Размер весов (MB) |" + "".join(f" c{i} |" for i in range(1997))
    delimiter = "|---" * 2000 + "|"
    row = "| a | b | 1 |" + " 1 |" * 1997
    return _write("README.md", f"{header}\n{delimiter}\n{row}\n{row}\n".encode())(folder)


def one_megabyte_cell(folder: Path) -> Path:
    cell = "1 MB " * (1024**2 // 5)
    return _write("README.md", (HEADER + f"| a | b | {cell} | 1 | - |\n" + ROW).encode())(folder)


def nested_blockquotes(folder: Path) -> Path:
    deep = "> " * 5000
    table = (HEADER + ROW).replace("\n", "\n" + deep)
    return _write("README.md", (deep + table).encode())(folder)


def nested_blockquote_lines(folder: Path) -> Path:
    quotes = (">" * 5000 + " x\n") * 200
    return _write("README.md", (TABLE + "\n" + quotes).encode())(folder)


def too_many_problems(folder: Path) -> Path:
    header = "| Модель | Метод | Размер весов (MB) |" + " WER |" * 61 + "\n" + "|-" * 64 + "|\n"
    rows = "".join(f"|m{i}|q|y|" + "y|" * 61 + "\n" for i in range(10_000))
    return _write("README.md", (header + rows).encode())(folder)


def many_tables(folder: Path) -> Path:
    return _write("README.md", ("a|\n-|\n\n" * 290_000).encode())(folder)


def long_pipe_line(folder: Path) -> Path:
    return _write("README.md", (HEADER + ROW + "|" * 1_500_000 + "\n").encode())(folder)


def deep_inline(folder: Path) -> Path:
    junk = "[" * 100_000 + "\n\n" + "*a" * 100_000 + "\n\n" + "<" * 100_000 + "\n\n" + "`" * 100_000
    return _write("README.md", (TABLE + "\n" + junk + "\n").encode())(folder)


def cell(text: str) -> bytes:
    return (HEADER + f"| a | b | {text} | 1 | - |\n").encode()


CASES: dict[str, tuple[Callable[[Path], Path], set[int], str | None]] = {
    # name: (make the file, allowed exit codes, a problem code the report must hold)
    "10 MB README": (ten_megabytes, {1}, "file-too-large"),
    "50,000 rows": (fifty_thousand_rows, {1}, "file-too-long"),
    "2,000 columns": (two_thousand_columns, {1}, "table-too-many-columns"),
    "1 MB cell": (one_megabyte_cell, {1}, "cell-too-long"),
    "5,000 nested blockquotes": (nested_blockquotes, {1}, "nesting-too-deep"),
    "200 lines 5,000 blockquotes deep": (nested_blockquote_lines, {0}, "nesting-too-deep"),
    "NUL bytes": (
        _write("README.md", TABLE.replace("FishSpeech", "Fish\x00Speech").encode()),
        {0},
        "nul-byte",
    ),
    "invalid UTF-8": (
        _write("README.md", TABLE.encode().replace(b"int8", b"int\xff8")),
        {1},
        "encoding-invalid",
    ),
    "CRLF": (_write("README.md", TABLE.replace("\n", "\r\n").encode()), {0}, None),
    "BOM": (_write("README.md", b"\xef\xbb\xbf" + TABLE.encode()), {0}, None),
    "1e999": (_write("README.md", cell("1e999")), {1}, "cell-not-finite"),
    "NaN": (_write("README.md", cell("NaN")), {1}, "cell-not-finite"),
    "negative size": (_write("README.md", cell("-1280")), {1}, "cell-negative"),
    "1e308 TB": (_write("README.md", cell("1e308 TB")), {1}, "cell-out-of-range"),
    "a million bad cells": (too_many_problems, {1}, "too-many-problems"),
    "290,000 tiny tables": (many_tables, {1}, "too-many-tables"),
    "1.5 million pipes in a row": (long_pipe_line, {1}, "row-cell-count"),
    "100,000 nested brackets and emphasis": (deep_inline, {0}, None),
    "empty file": (_write("README.md", b""), {1}, "table-missing"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_pathological_file(name: str, tmp_path: Path) -> None:
    make, codes, expected = CASES[name]
    path = make(tmp_path)
    run = run_check(path, tmp_path)
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    assert run.stderr == "", run.stderr[-2000:]
    assert run.code in codes, (run.code, run.stdout[:2000])
    assert run.wall < LIMIT_S, f"{name}: {run.wall:.1f} s"
    assert run.peak_rss < LIMIT_RSS, f"{name}: {run.peak_rss / 1024**2:.0f} MB"
    if expected is not None:
        assert expected in run.codes, run.codes[:20]


def test_limits_read_what_they_say(tmp_path: Path) -> None:
    """Past each limit the first part is still read: the table is checked, not dropped."""
    rows = "".join(f"|m{i}|q|1|1|WER: 0.1|\n" for i in range(MAX_ROWS + 5))
    run = run_check(_write("README.md", (HEADER + rows).encode())(tmp_path), tmp_path)
    assert run.code == 1
    assert run.rows() == MAX_ROWS
    assert "table-too-many-rows" in run.codes
    assert len(run.codes) == 1

    lines = HEADER + ROW + "\n" + "text\n" * (MAX_LINES + 10)
    run = run_check(_write("long.md", lines.encode())(tmp_path), tmp_path)
    assert run.rows() == 1
    assert run.codes == ["file-too-long"]

    run = run_check(two_thousand_columns(tmp_path), tmp_path)
    tables = run.report["tables"]
    assert isinstance(tables, list)
    assert len(tables[0]["headers"]) == MAX_COLUMNS

    run = run_check(too_many_problems(tmp_path), tmp_path)
    assert len(run.codes) == MAX_PROBLEMS + 1
    assert run.codes[0] == "too-many-problems"


def test_size_limit_is_exact(tmp_path: Path) -> None:
    padding = MAX_BYTES - len(TABLE.encode())
    at_limit = _write("at.md", TABLE.encode() + b" " * padding)(tmp_path)
    over = _write("over.md", TABLE.encode() + b" " * (padding + 1))(tmp_path)
    assert run_check(at_limit, tmp_path).code == 0
    assert run_check(over, tmp_path).codes == ["file-too-large"]


def test_long_cell_is_reported_where_it_is(tmp_path: Path) -> None:
    text = "9" * (MAX_CELL_CHARS + 1)
    run = run_check(_write("README.md", cell(text))(tmp_path), tmp_path)
    problems = run.report["problems"]
    assert isinstance(problems, list)
    assert [(p["code"], p["line"], p["column"]) for p in problems] == [("cell-too-long", 3, 11)]


@pytest.mark.parametrize(
    ("target", "message"),
    [("missing.md", "no such file"), (".", "is a directory")],
)
def test_unreadable_path_is_exit_2(tmp_path: Path, target: str, message: str) -> None:
    run = run_check(tmp_path / target, tmp_path)
    assert run.code == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
