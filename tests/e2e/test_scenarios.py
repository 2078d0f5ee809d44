"""Student pull requests played through the course's real workflows (validate, comment, gpu) under act.

Each test asserts the jobs' results and the one comment the GitHub API stand-in received. The
workflows are the templates `validator init` ships, the action is this checkout's `action.yml`, and
the benchmarks are the example course's tiny models: nothing of ours is faked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import COMMENT_TOKEN, READ_TOKEN, make_act
from tests.e2e.github_api import FakeGitHub
from tests.e2e.harness import EXAMPLE, Act, Course, RunResult, pull_request_event, workflow_run_event

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

GPT_ROWS = (
    "| gpt2-tiny | Оригинал | 2.14 | 887 ± 87 tokens/s | - | 356 | - | exact match: 100% |\n"
    "| gpt2-tiny | INT8 (dynamic quantization) | 1.14 | 820 ± 29 tokens/s | - | 363 | - | exact match: 0% |\n"
)
WHISPER_ROW = (
    "| whisper-tiny-random | Оригинал | 1.04 | 14.0 ± 0.5 ms | - | 373 | - | WER: 1.0</br>CER: 0.899 |\n"
)
WHISPER = EXAMPLE / "submissions" / "whisper_crew"
TITLE = "whisper_crew HW3: a tiny Whisper"


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return Course.create(tmp_path / "course", readme_rows=GPT_ROWS)


@pytest.fixture
def act(tmp_path: Path, course: Course, action_dir: Path, github: FakeGitHub) -> Act:
    return make_act(tmp_path, course, action_dir, github)


def validate(
    act: Act, github: FakeGitHub, pr: int, action: str, title: str = TITLE, fork: bool = False
) -> RunResult:
    event = pull_request_event(act.course, pr, action, title=title, fork=fork)
    # A fork's pull_request run gets a read-only token; ours never uses it to write.
    run = act.run("pull_request", "validate.yml", event, secrets={"GITHUB_TOKEN": READ_TOKEN})
    github.heads[pr] = act.course.head(pr) or ""
    return run


def comment(act: Act, run: RunResult, pr: int, *, event: str = "pull_request") -> RunResult:
    head = act.course.head(pr) if event == "pull_request" else act.course.base
    payload = workflow_run_event(run, event=event, head_sha=head or "", pr=pr)
    return act.run("workflow_run", "comment.yml", payload, secrets={"GITHUB_TOKEN": COMMENT_TOKEN})


def only_comment(github: FakeGitHub, pr: int) -> str:
    ours = github.ours(pr)
    assert len(ours) == 1, [c["body"][:200] for c in ours]
    return str(ours[0]["body"])


def verdict(body: str) -> str:
    found = re.findall(r"^## (?:✅|❌) Benchmark verification: (pass|fail|no report)", body, re.MULTILINE)
    assert found, body
    return found[0]


def test_an_honest_pull_request_gets_one_passing_comment(act: Act, github: FakeGitHub) -> None:
    act.course.push(
        7,
        {"submissions/whisper_crew": WHISPER, "README.md": act.course.readme(GPT_ROWS + WHISPER_ROW)},
        "whisper",
    )
    run = validate(act, github, 7, "opened")
    assert run.results() == {
        "check, diff and plan": "success",
        "verify whisper_crew": "success",
        "join the reports": "success",
    }, run.log.read_text()[-5000:]
    posted = comment(act, run, 7)
    assert posted.results() == {"post the report": "success"}, posted.log.read_text()[-5000:]
    body = only_comment(github, 7)
    assert verdict(body) == "pass", body
    assert "whisper\\-tiny\\-random" in body
    assert f"CPU re-run of commit `{act.course.head(7)[:12]}`" in body
