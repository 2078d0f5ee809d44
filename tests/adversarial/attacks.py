"""Small courses for the measurement attacks (issue 14): teams written to disk, the real CLI run on them.

Every submission here is plain Python (no torch), so a run costs a child's start-up, not a model's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.diff.gitrepo import Repo, readme

#: Quick runs; the course settings the attacks are judged by.
SETTINGS = """[bench]
threads = 1
warmup = 1
repeats = 2
timeout_s = 60
memory_limit_mb = 1000
"""


def write_team(
    folder: Path,
    code: str,
    *,
    team: str | None = None,
    runs: list[tuple[str, str]] | None = None,
    inputs: list[Any] | None = None,
    references: list[Any] | None = None,
    task: str = "generic",
    extra: str = "",
) -> Path:
    """A team folder: `bench.py` (class `Submission`), `data/eval.jsonl` and `bench.toml`."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "bench.py").write_text(textwrap.dedent(code), encoding="utf-8")
    inputs = [1, 2, 3, 4] if inputs is None else inputs
    references = [None] * len(inputs) if references is None else references
    lines = [json.dumps({"input": i, "reference": r}) for i, r in zip(inputs, references, strict=True)]
    (folder / "data" / "eval.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = f'team = "{team or folder.name}"\n'
    for model, method in runs or [(f"{folder.name}-model", "Оригинал")]:
        text += (
            f'\n[[run]]\nmodel = "{model}"\nmethod = "{method}"\nentry = "bench.py:Submission"\n'
            f'task = "{task}"\ndata = "data/eval.jsonl"\n{extra}'
        )
    (folder / "bench.toml").write_text(text, encoding="utf-8")
    return folder


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m validator ARGS` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "validator", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def verify(
    repo: Repo, base: str, head: str, title: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`validator verify` of a pull request, its JSON report (empty when it printed none)."""
    done = cli(
        "verify",
        *("--repo", str(repo.path), "--base", base, "--head", head, "--title", title, "--format", "json"),
        cwd=repo.path,
        env=env,
    )
    report = json.loads(done.stdout) if done.stdout.startswith("{") else {}
    return done, report


def course(path: Path, *rows: str, settings: str = SETTINGS) -> tuple[Repo, str]:
    """A course repository with a README holding `rows`; returns it and its first commit."""
    repo = Repo(path)
    base = repo.commit({"README.md": readme(*rows), "validator.toml": settings}, "course")
    return repo, base


def row(model: str, method: str = "Оригинал", cpu: str = "--", quality: str = "--") -> str:
    return f"| {model} | {method} | -- | {cpu} | -- | -- | -- | {quality} |"
