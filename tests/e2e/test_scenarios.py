"""Student pull requests played through the course's real workflows (validate, comment, gpu) under act.

Each test asserts the jobs' results and the one comment the GitHub API stand-in received. The
workflows are the templates `validator init` ships, the action is this checkout's `action.yml`, and
the benchmarks are the example course's tiny models: nothing of ours is faked.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import COMMENT_TOKEN, READ_TOKEN, make_act
from tests.e2e.github_api import BOT, FakeGitHub
from tests.e2e.harness import (
    EXAMPLE,
    Act,
    Course,
    Job,
    RunResult,
    git,
    pull_request_event,
    workflow_run_event,
)
from tests.standin_hub import greedy_submission
from validator.model import VerifyReport

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

GPT_ROWS = (
    "| gpt2-tiny | Оригинал | 2.14 | 537 ± 120 tokens/s | - | 387 | - | exact match: 100% |\n"
    "| gpt2-tiny | INT8 (dynamic quantization) | 1.14 | 595 ± 110 tokens/s | - | 394 | - "
    "| exact match: 0% |\n"
)
WHISPER_ROW = (
    "| whisper-tiny-random | Оригинал | 1.04 | 14.0 ± 0.5 ms | - | 373 | - | WER: 1.0</br>CER: 0.899 |\n"
)
WHISPER = EXAMPLE / "submissions" / "whisper_crew"
TITLE = "whisper_crew HW3: a tiny Whisper"
SUBMISSIONS = Path(__file__).parent / "submissions"
#: pull_request_target's token (the accept job removes the label with it).
TARGET_TOKEN = "ghs_e2e_target_token"
#: A write token and a secret handed to a fork's run: the probe must find neither.
WRITE_TOKEN = "ghs_e2e_write_token"
SECRET = "e2e-secret-0451"


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return Course.create(tmp_path / "course", readme_rows=GPT_ROWS)


@pytest.fixture
def act(tmp_path: Path, course: Course, action_dir: Path, github: FakeGitHub) -> Act:
    return make_act(tmp_path, course, action_dir, github)


def validate(
    act: Act,
    github: FakeGitHub,
    pr: int,
    action: str,
    title: str = TITLE,
    fork: bool = False,
    env: dict[str, str] | None = None,
) -> RunResult:
    event = pull_request_event(act.course, pr, action, title=title, fork=fork)
    # A fork's pull_request run gets a read-only token; ours never uses it to write.
    run = act.run("pull_request", "validate.yml", event, secrets={"GITHUB_TOKEN": READ_TOKEN}, env=env)
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


def sections(body: str) -> dict[str, str]:
    parts = re.split(r"^<!-- validator:section (cpu|cuda) -->$", body, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def report(act: Act, run: RunResult, artifact: str) -> VerifyReport:
    return VerifyReport.model_validate_json((act.artifact(run, artifact) / "report.json").read_text())


def failing(run: RunResult) -> str:
    return f"{run.summary()}\n{run.log}\n" + "\n".join(run.output(job)[-3000:] for job in run.jobs)


def test_an_honest_pull_request_gets_one_comment_edited_in_place_on_the_next_push(
    act: Act, github: FakeGitHub
) -> None:
    readme = act.course.readme(GPT_ROWS + WHISPER_ROW)
    first = act.course.push(7, {"submissions/whisper_crew": WHISPER, "README.md": readme}, "whisper")
    run = validate(act, github, 7, "opened")
    assert run.results() == {
        "check, diff and plan": "success",
        "verify whisper_crew": "success",
        "join the reports": "success",
    }, failing(run)
    posted = comment(act, run, 7)
    assert posted.results() == {"post the report": "success"}, failing(posted)
    body = only_comment(github, 7)
    assert verdict(body) == "pass", body
    assert "whisper\\-tiny\\-random" in body
    assert f"CPU re-run of commit `{first[:12]}`" in body

    # The second push: the same comment, edited, about the new commit. This time download-artifact
    # extracts the one matching report flat into the folder, as some v4 releases do.
    act.single_match = "flat"
    second = act.course.push(7, {"README.md": readme.replace("| 373 |", "| 380 |")}, "RAM re-measured")
    rerun = validate(act, github, 7, "synchronize")
    assert rerun.results()["join the reports"] == "success", failing(rerun)
    comment(act, rerun, 7)
    ours = github.ours(7)
    assert len(ours) == 1
    assert ours[0]["edits"] == 1
    assert f"commit `{second[:12]}`" in ours[0]["body"]
    assert first[:12] not in ours[0]["body"]
    assert verdict(ours[0]["body"]) == "pass"


def test_a_table_error_gets_one_comment_naming_the_cell(act: Act, github: FakeGitHub) -> None:
    row = WHISPER_ROW.replace("14.0 ± 0.5 ms", "14.0 ± 0.5")
    readme = act.course.readme(GPT_ROWS + row)
    act.course.push(8, {"submissions/whisper_crew": WHISPER, "README.md": readme}, "no unit")
    run = validate(act, github, 8, "opened")
    # check fails (an annotation) without stopping the plan; the verdict fails the run at the join.
    assert run.results() == {
        "check, diff and plan": "success",
        "verify whisper_crew": "failure",
        "join the reports": "failure",
    }, failing(run)
    line = readme.splitlines().index(row.rstrip("\n")) + 1
    column = row.index("14.0 ± 0.5") + 1
    where = {"file": "README.md", "line": str(line), "col": str(column), "title": "cell-no-unit"}
    assert ("Check the table", "error", where) in run.jobs["check, diff and plan"].annotations
    comment(act, run, 8)
    body = only_comment(github, 8)
    assert verdict(body) == "fail"
    assert f"`cell-no-unit` README\\.md\\:{line}\\:{column}" in body, body


def test_a_crash_and_a_hang_get_one_comment_naming_each_failed_run(
    tmp_path: Path, action_dir: Path, github: FakeGitHub
) -> None:
    # A Russian-speaking course: the comment speaks its language (the comment job has no checkout).
    course = Course.create(tmp_path / "course", readme_rows=GPT_ROWS, timeout_s=20, language="ru")
    act = make_act(tmp_path, course, action_dir, github)
    rows = (
        "| tiny-crash | Оригинал | 1.0 | 10 ms | - | 100 | - | - |\n"
        "| tiny-hang | Оригинал | 1.0 | 10 ms | - | 100 | - | - |\n"
    )
    files = {
        "submissions/broken_team": SUBMISSIONS / "broken_team",
        "README.md": course.readme(GPT_ROWS + rows),
    }
    course.push(9, files, "two runs")
    run = validate(act, github, 9, "opened", title="broken_team HW3: two runs")
    assert run.results() == {
        "check, diff and plan": "success",
        "verify broken_team": "failure",
        "join the reports": "failure",
    }, failing(run)
    comment(act, run, 9)
    body = only_comment(github, 9)
    assert body.splitlines()[2] == "## ❌ Проверка замеров: не пройдена", body
    assert re.search(r"### tiny\\-crash · Оригинал \(строка \d+\) — ошибка запуска", body), body
    assert re.search(r"### tiny\\-hang · Оригинал \(строка \d+\) — превышено время", body), body
    assert "the weights file is corrupt" in body
    assert "did not finish within 20 s" in body


def test_two_teams_fan_out_and_join_into_one_comment(act: Act, github: FakeGitHub) -> None:
    changed = GPT_ROWS.replace("| 394 |", "| 396 |")
    readme = act.course.readme(changed + WHISPER_ROW)
    gpt_bench = (EXAMPLE / "submissions" / "gpt_squad" / "bench.py").read_text() + "# re-measured\n"
    files = {
        "submissions/whisper_crew": WHISPER,
        "submissions/gpt_squad/bench.py": gpt_bench,
        "README.md": readme,
    }
    act.course.push(10, files, "two teams")
    run = validate(act, github, 10, "opened")
    assert set(run.jobs) == {
        "check, diff and plan",
        "verify gpt_squad",
        "verify whisper_crew",
        "join the reports",
    }
    assert run.jobs["check, diff and plan"].result == "success", failing(run)
    # Each job re-ran only its own team's rows.
    assert {r.model for r in report(act, run, "report-gpt_squad").rows} == {"gpt2-tiny"}
    assert {r.model for r in report(act, run, "report-whisper_crew").rows} == {"whisper-tiny-random"}
    assert "running whisper_crew" not in run.output("verify gpt_squad")
    assert "running gpt_squad" not in run.output("verify whisper_crew")
    comment(act, run, 10)
    body = only_comment(github, 10)
    assert "### gpt2\\-tiny · INT8" in body
    assert "### whisper\\-tiny\\-random · Оригинал" in body
    joined = report(act, run, "validator-report")
    assert joined.pr == 10
    assert verdict(body) == joined.verdict


def test_the_gpu_label_on_a_runner_without_a_gpu(act: Act, github: FakeGitHub) -> None:
    readme = act.course.readme(GPT_ROWS + WHISPER_ROW)
    head = act.course.push(11, {"submissions/whisper_crew": WHISPER, "README.md": readme}, "whisper")
    comment(act, validate(act, github, 11, "opened"), 11)
    assert verdict(only_comment(github, 11)) == "pass"

    # Any other label: nothing runs, nothing is touched.
    github.labels[11] = ["documentation"]
    before = len(github.requests)
    other = act.run(
        "pull_request_target",
        "gpu.yml",
        pull_request_event(act.course, 11, "labeled", title=TITLE, label="documentation"),
        secrets={"GITHUB_TOKEN": TARGET_TOKEN},
        verbose=True,
    )
    assert other.results() == {
        "take the label and record the commit": "skipped",
        "verify on GPU": "skipped",
    }, failing(other)
    assert len(github.requests) == before
    assert not (act.artifacts / str(other.run_id)).exists()
    assert github.labels[11] == ["documentation"]

    # The GPU label: taken off at once, the head re-run on the (GPU-less) self-hosted runner.
    github.labels[11] = ["gpu-rerun"]
    gpu = act.run(
        "pull_request_target",
        "gpu.yml",
        pull_request_event(act.course, 11, "labeled", title=TITLE, label="gpu-rerun"),
        secrets={"GITHUB_TOKEN": TARGET_TOKEN},
    )
    assert gpu.results() == {"take the label and record the commit": "success", "verify on GPU": "failure"}, (
        failing(gpu)
    )
    assert github.labels[11] == []
    assert (act.artifact(gpu, "validator-request") / "head-sha").read_text().strip() == head
    posted = comment(act, gpu, 11, event="pull_request_target")
    assert posted.results() == {"post the report": "success"}, failing(posted)
    body = only_comment(github, 11)
    parts = sections(body)
    assert set(parts) == {"cpu", "cuda"}
    assert verdict(parts["cpu"]) == "pass"
    assert verdict(parts["cuda"]) == "fail"
    assert "GPU re-run of commit" in parts["cuda"]
    assert "cannot see a CUDA device" in parts["cuda"], parts["cuda"]


def test_a_fork_pull_request_runs_student_code_with_nothing_to_steal(act: Act, github: FakeGitHub) -> None:
    rows = "| tiny-probe | Оригинал | 1.0 | 10 ms | - | 100 | - | - |\n"
    files = {
        "submissions/probe_team": SUBMISSIONS / "probe_team",
        "README.md": act.course.readme(GPT_ROWS + rows),
    }
    act.course.push(12, files, "probe")
    # The course has a secret, and the run is handed a token that could write: neither may reach the code.
    github.tokens[WRITE_TOKEN] = (BOT, True)
    event = pull_request_event(act.course, 12, "opened", title="probe_team HW3: probe", fork=True)
    run = act.run(
        "pull_request", "validate.yml", event, secrets={"GITHUB_TOKEN": WRITE_TOKEN, "COURSE_SECRET": SECRET}
    )
    github.heads[12] = act.course.head(12) or ""
    assert run.jobs["verify probe_team"].result == "failure", failing(run)
    probe = next(
        p.message for p in report(act, run, "report-probe_team").problems if "probe read" in p.message
    )
    # The sandbox shows the code its own folder only: the checkout's git config is not even visible.
    assert "own-environment" in probe and "checkout-git-config" not in probe, probe
    assert probe.endswith("leaked: none"), probe
    assert not [r for r in github.requests if r.token == WRITE_TOKEN]
    comment(act, run, 12)
    assert verdict(only_comment(github, 12)) == "fail"
    assert SECRET not in only_comment(github, 12)


def test_a_plan_that_fails_still_gets_a_report_and_a_comment(act: Act, github: FakeGitHub) -> None:
    hostile = act.course.readme(GPT_ROWS + WHISPER_ROW)
    act.course.push(13, {"submissions/$(curl evil)": WHISPER, "README.md": hostile}, "a hostile folder name")
    run = validate(act, github, 13, "opened")
    assert run.results() == {"check, diff and plan": "failure", "join the reports": "failure"}, failing(run)
    assert "verify the pull request" not in run.jobs
    comment(act, run, 13)
    body = only_comment(github, 13)
    assert verdict(body) == "fail"
    assert "`ci-no-plan`" in body


def test_a_run_without_a_report_gets_a_comment_and_a_cancelled_one_none(act: Act, github: FakeGitHub) -> None:
    head = act.course.push(14, {"README.md": act.course.readme(GPT_ROWS + WHISPER_ROW)}, "a row")
    github.heads[14] = head
    # A run that failed before its last job (or whose workflow the pull request edited) left nothing.
    failed = RunResult(
        "validate", 990, {"check, diff and plan": Job("check, diff and plan", "failure")}, 0, Path()
    )
    posted = comment(act, failed, 14)
    assert posted.results() == {"post the report": "success"}, failing(posted)
    body = only_comment(github, 14)
    assert verdict(body) == "no report"
    assert "https://github.com/course/hw/actions/runs/990" in body

    # A run cancelled by a newer push: the newer run reports, this one posts nothing.
    superseded = workflow_run_event(failed, event="pull_request", head_sha=head, pr=14)
    superseded["workflow_run"]["conclusion"] = "cancelled"
    cancelled = act.run(
        "workflow_run",
        "comment.yml",
        superseded,
        secrets={"GITHUB_TOKEN": COMMENT_TOKEN},
        verbose=True,
    )
    assert cancelled.results() == {"post the report": "skipped"}, failing(cancelled)
    assert github.ours(14)[0]["edits"] == 0


def test_the_action_installs_itself_on_a_runner_without_the_validator(
    tmp_path: Path, action_dir: Path, github: FakeGitHub
) -> None:
    """This project's own self-test job (`uses: ./`), with the action's real install step."""
    origin = tmp_path / "validator"
    shutil.copytree(action_dir, origin)
    git(origin, "init", "-q", "-b", "main")
    git(origin, "remote", "add", "origin", "https://github.com/e2e/validator.git")
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "the validator")
    act = make_act(tmp_path, Course(origin), action_dir, github)
    act.venv = None
    push = {
        "ref": "refs/heads/main",
        "after": git(origin, "rev-parse", "HEAD"),
        "repository": {"full_name": "e2e/validator"},
    }
    run = act.run("push", "ci.yml", push, job="selftest")
    assert run.results() == {"self-test of the action": "success"}, failing(run)
    assert "prepared environment" not in run.output("self-test of the action")


HUB_SHA = "0123456789abcdef0123456789abcdef01234567"
HUB_REPO = "course-org/tiny-gpt2"
HUB_TITLE = "hub_crew HW-2: a pinned hub model"
HUB_ROW = "| tiny-gpt2-hub | Оригинал | 0.12 | 300 ± 100 tokens/s | - | 400 | - | - |\n"
HUB_MANIFEST = f"""team = "hub_crew"

[[run]]
model = "tiny-gpt2-hub"
method = "Оригинал"
entry = "bench.py:Pinned"
task = "text-generation"
data = "data/eval.jsonl"
hub = [{{ repo = "{HUB_REPO}", revision = "{HUB_SHA}", files = ["*.json", "*.safetensors"] }}]
"""
HUB_CODE = """
import torch
from transformers import AutoModelForCausalLM
""" + greedy_submission("Pinned", HUB_REPO)


def test_a_hub_model_is_fetched_by_the_job_and_kept_in_the_actions_cache(
    act: Act, github: FakeGitHub, tmp_path: Path
) -> None:
    """The verify job downloads the pinned model from the hub (a stand-in on 127.0.0.1), the team's
    code loads it offline in the sandbox, and actions/cache keeps it: the next push's job, on a fresh
    runner disk with no hub to reach, restores it from the cache alone."""
    from tests.standin_hub import standin_hub, tiny_gpt2

    model = tiny_gpt2(tmp_path / "model")
    data = "".join(f'{{"input": {{"ids": [{i}, 2, 3], "new_tokens": 4}}}}\n' for i in range(1, 5))
    files: dict[str, str | Path] = {
        "submissions/hub_crew/bench.toml": HUB_MANIFEST,
        "submissions/hub_crew/bench.py": HUB_CODE,
        "submissions/hub_crew/data/eval.jsonl": data,
        "README.md": act.course.readme(GPT_ROWS + HUB_ROW),
    }
    act.course.push(14, files, "a hub model")
    with standin_hub() as hub:
        hub.add_folder(HUB_REPO, HUB_SHA, model)
        run = validate(
            act, github, 14, "opened", title=HUB_TITLE, env={"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": hub.url}
        )
        downloads = [path for method, path, _ in hub.requests if method == "GET" and "/resolve/" in path]
    assert run.jobs["verify hub_crew"].result == "success", failing(run)
    assert any(path.endswith("/model.safetensors") for path in downloads)
    [row] = report(act, run, "report-hub_crew").rows
    assert (row.model, row.status) == ("tiny-gpt2-hub", "ok"), failing(run)
    saved = [p.read_text() for p in (act.home / "actions-cache").glob("*/key")]
    assert len(saved) == 1 and saved[0].startswith("validator-hub-")

    # A fresh runner: nothing on disk, and no hub to reach. Only the actions cache has the model.
    shutil.rmtree(act.home / ".cache" / "validator")
    act.course.push(14, {"submissions/hub_crew/bench.py": HUB_CODE + "# again\n"}, "again")
    again = validate(
        act,
        github,
        14,
        "synchronize",
        title=HUB_TITLE,
        env={"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9"},
    )
    assert "Cache restored from key: validator-hub-" in again.output("verify hub_crew"), failing(again)
    [row] = report(act, again, "report-hub_crew").rows
    assert row.status == "ok", failing(again)
