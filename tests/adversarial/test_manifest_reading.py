"""Issue 14, item 6: every manifest that cannot be read is a problem with its file and line.

Each hostile `bench.toml` goes through the three commands that read manifests: `validator bench` on
the team's folder, `validator diff` and `validator verify` on a pull request that adds it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.diff.gitrepo import readme

from .attacks import cli, course, row

RUN = '[[run]]\nmodel = "m"\nmethod = "Оригинал"\nentry = "bench.py:Submission"\ndata = "data/eval.jsonl"\n'

#: name -> (the file's bytes, the line a problem must point at, words the message must hold).
BAD: dict[str, tuple[bytes, int | None, str]] = {
    "nested arrays": (f'team = "t"\nx = {"[" * 20000}{"]" * 20000}\n{RUN}'.encode(), 2, "nested"),
    "nested tables": (f'team = "t"\nx = {"{a=" * 5000}1{"}" * 5000}\n{RUN}'.encode(), 2, "nested"),
    "nested inside a run": (
        f'team = "t"\n{RUN}extra = {"[" * 20000}{"]" * 20000}\n'.encode(),
        7,
        "nested",
    ),
    "huge integer": (f'team = "t"\n{RUN}batch_size = {"9" * 5000}\n'.encode(), 7, "batch_size"),
    "too large": (b'team = "t"\n' + b"# padding\n" * 200_000 + RUN.encode(), None, "too large"),
    "not UTF-8": ('team = "équipe"\n'.encode("latin-1") + RUN.encode(), 1, "UTF-8"),
    "UTF-16": (f'team = "t"\n{RUN}'.encode("utf-16"), None, "UTF-8"),
    "a NUL in a path": (
        f'team = "t"\n{RUN}'.replace("data/eval.jsonl", "data/\\u0000.jsonl").encode(),
        6,
        "data",
    ),
    "wrong types": (b'team = ["t"]\nrun = 5\n', 1, "team"),
    "run is a table": (b'team = "t"\n[run]\nmodel = "m"\n', 2, "[[run]]"),
}


def _team(folder: Path, data: bytes) -> None:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "eval.jsonl").write_text('{"input": 1}\n', encoding="utf-8")
    (folder / "bench.py").write_text("class Submission:\n    pass\n", encoding="utf-8")
    (folder / "bench.toml").write_bytes(data)


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text, text[-3000:]
    assert "RecursionError" not in text, text[-3000:]


@pytest.mark.parametrize("name", list(BAD))
def test_validator_bench_reports_the_file_and_line(tmp_path: Path, name: str) -> None:
    data, line, words = BAD[name]
    folder = tmp_path / "submissions" / "t"
    _team(folder, data)
    done = cli("bench", str(folder), cwd=tmp_path)
    _no_traceback(done.stderr + done.stdout)
    assert done.returncode in (1, 2), done.stdout + done.stderr
    where = "bench.toml" + (f":{line}" if line else "")
    assert where in done.stderr + done.stdout, done.stderr
    assert words.casefold() in (done.stderr + done.stdout).casefold()


@pytest.mark.parametrize("name", list(BAD))
def test_diff_and_verify_report_the_file_and_line(tmp_path: Path, name: str) -> None:
    data, line, _ = BAD[name]
    repo, base = course(tmp_path / "course")
    _team(repo.path / "submissions" / "t", data)
    head = repo.commit({"README.md": readme(row("m"))}, "t HW-1")
    for command in ("diff", "verify"):
        done = cli(
            command,
            *("--repo", str(repo.path), "--base", base, "--head", head, "--title", "t HW-1"),
            *("--format", "json"),
            cwd=repo.path,
        )
        _no_traceback(done.stderr)
        assert done.returncode == 1, (command, done.stdout[-2000:], done.stderr[-2000:])
        assert done.stdout.startswith("{"), done.stderr[-2000:]
        problems = json.loads(done.stdout)["problems"]
        found = [p for p in problems if p["code"] == "manifest-invalid"]
        assert found, (command, problems)
        assert found[0]["path"].endswith("t/bench.toml")
        if line is not None:
            assert found[0]["line"] == line, (command, found)
