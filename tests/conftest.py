"""Shared fixtures: the real corpus of student PRs and the bundled example files."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: `../shared` beside the checkout: the seed README and the real student PRs (read-only).
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SEED = SHARED / "seed" / "course-readme.md"
DATA = Path(__file__).resolve().parent / "data"


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("pr-*/*__README.md"))


@pytest.fixture(scope="session")
def seed_path() -> Path:
    assert SEED.is_file(), f"the course seed is expected at {SEED}"
    return SEED
