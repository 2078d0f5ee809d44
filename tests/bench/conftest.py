"""Throwaway submissions written to tmp_path, run by the real harness in real child processes."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.manifest import Manifest, load_manifest
from validator.config import BenchConfig

MakeTeam = Callable[..., Manifest]


@pytest.fixture
def make_team(tmp_path: Path) -> MakeTeam:
    """`make_team(code, inputs=[...], references=[...], task=..., batch_size=...)` -> its Manifest."""

    def make(
        code: str,
        *,
        inputs: list[Any] | None = None,
        references: list[Any] | None = None,
        task: str = "generic",
        batch_size: int = 1,
        weights: str | None = None,
        name: str = "team",
    ) -> Manifest:
        folder = tmp_path / name
        (folder / "data").mkdir(parents=True)
        (folder / "sub.py").write_text(textwrap.dedent(code), encoding="utf-8")
        inputs = [1, 2, 3] if inputs is None else inputs
        references = [None] * len(inputs) if references is None else references
        lines = [json.dumps({"input": i, "reference": r}) for i, r in zip(inputs, references, strict=True)]
        (folder / "data" / "eval.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        extra = f'weights = "{weights}"\n' if weights else ""
        (folder / "bench.toml").write_text(
            f'team = "{name}"\n[[run]]\nmodel = "m"\nmethod = "x"\nentry = "sub.py:S"\n'
            f'task = "{task}"\ndata = "data/eval.jsonl"\nbatch_size = {batch_size}\n{extra}',
            encoding="utf-8",
        )
        return load_manifest(folder)

    return make


@pytest.fixture
def quick() -> BenchConfig:
    """Short runs: one warm-up, two repeats, a short timeout and a small memory cap."""
    return BenchConfig(warmup=1, repeats=2, timeout_s=20, memory_limit_mb=300, threads=1)
