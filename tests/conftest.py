"""Shared fixtures: the real corpus of student PRs and the bundled example files."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
#: Copies of the real student PRs and of the course README as published (public course data): the
#: suite reads nothing outside the repository.
CORPUS = DATA / "corpus"
SEED = DATA / "seed" / "course-readme.md"


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("pr-*/*__README.md"))


@pytest.fixture(scope="session")
def seed_path() -> Path:
    assert SEED.is_file(), f"the course seed is expected at {SEED}"
    return SEED
