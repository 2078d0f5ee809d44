"""Fixtures of the end-to-end tests: the exported action, a course, the GitHub API, act."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.github_api import BOT, FakeGitHub, GitHubServer
from tests.e2e.harness import REPO, Act, Course, export_action

#: The token comment.yml posts with (write), and the one a fork's validate run holds (read-only).
COMMENT_TOKEN = "ghs_e2e_comment_token"
READ_TOKEN = "ghs_e2e_readonly_token"


@pytest.fixture(scope="session")
def action_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_action(tmp_path_factory.mktemp("action") / "validator")


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    tokens = {COMMENT_TOKEN: (BOT, True), READ_TOKEN: (BOT, False), "ghs_e2e_target_token": (BOT, True)}
    fake = FakeGitHub(REPO, tokens=tokens)
    with GitHubServer(fake) as served:
        yield served


def make_act(tmp_path: Path, course: Course, action_dir: Path, github: FakeGitHub) -> Act:
    home = tmp_path / "home"
    home.mkdir()
    return Act(
        course=course,
        action=action_dir,
        home=home,
        artifacts=tmp_path / "artifacts",
        api_url=github.url,
        venv=Path(sys.executable).parent.parent,
    )
