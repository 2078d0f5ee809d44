"""`validator comment` and `validator ci` as a workflow step runs them."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.github.conftest import BOT, FakeGitHub
from validator.cli import main
from validator.github import MARKER, Retry, publish
from validator.model import VerifyReport

EVENTS = Path(__file__).parent / "events"
DATA = Path(__file__).parent / "data"
HEAD = "2" * 40


def _outputs(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    lines = iter(path.read_text().split("\n"))
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            values[name] = "\n".join(body)
    return values


def _no_wait() -> Retry:
    return Retry(sleep=lambda _: None)


# --- publish: where the report ends up ---------------------------------------------------------


def test_publish_posts_then_edits(github_env: FakeGitHub) -> None:
    first = publish("course/hw", 7, "## report 1", retry=_no_wait())
    second = publish("course/hw", 7, "## report 2", retry=_no_wait())
    assert first.posted is not None
    assert first.posted.created
    assert second.posted is not None
    assert not second.posted.created
    assert [c["body"] for c in github_env.comments[7]] == [f"{MARKER}\n## report 2"]
    assert not Path(github_env_summary()).exists()


def github_env_summary() -> str:
    import os

    return os.environ["GITHUB_STEP_SUMMARY"]


def test_a_403_leaves_the_report_in_the_job_summary(github_env: FakeGitHub) -> None:
    github_env.read_only = True
    outcome = publish("course/hw", 7, "## Validator: fail\n| metric | claimed |", retry=_no_wait())
    assert outcome.posted is None
    assert outcome.exit_code == 0  # a fork's read-only token does not fail the check
    assert outcome.in_summary
    summary = Path(github_env_summary()).read_text()
    assert "not posted on the pull request" in summary
    assert "fork" in summary
    assert "## Validator: fail\n| metric | claimed |" in summary
    assert 7 not in github_env.comments


def test_other_refusals_leave_the_summary_and_exit_2(github_env: FakeGitHub) -> None:
    github_env.max_body = 10
    outcome = publish("course/hw", 7, "## a report longer than ten", retry=_no_wait())
    assert outcome.exit_code == 2
    assert "too long" in Path(github_env_summary()).read_text()


def test_moved_head_posts_nothing(github_env: FakeGitHub) -> None:
    github_env.pulls[7] = "c" * 40
    outcome = publish("course/hw", 7, "## stale", head_sha=HEAD, retry=_no_wait())
    assert outcome.stale
    assert outcome.exit_code == 0
    assert 7 not in github_env.comments
    assert not Path(github_env_summary()).exists()


def test_summary_only(github_env: FakeGitHub) -> None:
    outcome = publish("course/hw", 7, "## only here", summary_only=True)
    assert outcome.in_summary
    assert outcome.posted is None
    assert github_env.requests == []
    assert Path(github_env_summary()).read_text() == f"{MARKER}\n## only here\n"


# --- validator comment -------------------------------------------------------------------------


def _report(tmp_path: Path, **fields: Any) -> Path:
    report = VerifyReport(verdict="fail", base="1" * 40, head=HEAD, **fields)
    path = tmp_path / "report.json"
    path.write_text(report.model_dump_json())
    return path


def test_comment_cli_posts_the_rendered_report(github_env: FakeGitHub, tmp_path: Path) -> None:
    report = _report(tmp_path, pr=7, team="<img src=x onerror=alert(1)> @everyone")
    github_env.pulls[7] = HEAD
    github_env.add_comment(7, "student", f"{MARKER}\nfake report: pass")
    runner = CliRunner()
    args = ["comment", "--repo", "course/hw", "--pr", "7", "--report", str(report), "--head-sha", HEAD]
    first = runner.invoke(main, args)
    second = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    ours = [c for c in github_env.comments[7] if c["user"]["login"] == BOT]
    assert len(ours) == 1
    assert ours[0]["body"].startswith(MARKER)
    assert "<img" not in ours[0]["body"]
    assert github_env.comments[7][0]["body"] == f"{MARKER}\nfake report: pass"

    # Posting with a GitHub App's token: --author names whose comment is ours.
    github_env.tokens["app-token"] = "course-app[bot]"
    app = runner.invoke(main, [*args, "--author", "course-app[bot]"], env={"GITHUB_TOKEN": "app-token"})
    assert app.exit_code == 0, app.output
    assert [c["user"]["login"] for c in github_env.comments[7]] == ["student", BOT, "course-app[bot]"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"verdict": "maybe"}', "not a valid verify report: verdict"),
        ("[1, 2", "not a valid verify report"),
        ('{"verdict": "pass", "pr": "7; rm -rf /"}', "pr"),
    ],
)
def test_comment_refuses_an_invalid_report(
    github_env: FakeGitHub, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "report.json"
    path.write_text(content)
    result = CliRunner().invoke(main, ["comment", "--repo", "course/hw", "--pr", "7", "--report", str(path)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert github_env.requests == []


def test_comment_refuses_a_huge_report(github_env: FakeGitHub, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{"verdict": "pass", "team": "' + "x" * (6 * 1024 * 1024) + '"}')
    result = CliRunner().invoke(main, ["comment", "--repo", "course/hw", "--pr", "7", "--report", str(path)])
    assert result.exit_code == 2
    assert "larger than" in result.output


def test_comment_refuses_a_report_for_another_pr_or_commit(github_env: FakeGitHub, tmp_path: Path) -> None:
    path = _report(tmp_path, pr=8)
    base = ["comment", "--repo", "course/hw", "--report", str(path)]
    other_pr = CliRunner().invoke(main, [*base, "--pr", "7"])
    assert other_pr.exit_code == 2
    assert "#8, not #7" in other_pr.output
    other_head = CliRunner().invoke(main, [*base, "--pr", "8", "--head-sha", "c" * 40])
    assert other_head.exit_code == 2
    assert "not posting" in other_head.output
    assert github_env.requests == []


@pytest.mark.parametrize(
    "args",
    [
        ["--repo", "course", "--pr", "7"],
        ["--repo", "course/hw", "--pr", "0"],
        ["--repo", "course/hw", "--pr", "7", "--head-sha", "HEAD~1"],
    ],
)
def test_comment_usage_errors(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(main, ["comment", *args, "--report", str(_report(tmp_path))])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# --- validator ci ------------------------------------------------------------------------------


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_env: FakeGitHub) -> Path:
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(DATA / "README.md", root / "README.md")
    monkeypatch.chdir(root)
    return root


def test_ci_check_annotates_and_sets_outputs(course: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["ci", "--mode", "check", "--event", str(EVENTS / "opened_fork.json")])
    assert result.exit_code == 1, result.output
    assert "::error file=README.md,line=8,col=19,title=cell-no-unit::" in result.stdout
    assert _outputs(tmp_path / "output.txt") == {"verdict": "fail", "report-path": ""}
    assert "validator check: fail" in (tmp_path / "summary.md").read_text()


def test_ci_reads_github_event_path(course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (course / "README.md").write_text((course / "README.md").read_text().replace("| 31 |", "| 31 MB |"))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(EVENTS / "synchronize_fork.json"))
    result = CliRunner().invoke(main, ["ci", "--mode", "check"])
    assert result.exit_code == 0, result.output
    assert _outputs(tmp_path / "output.txt")["verdict"] == "pass"


def test_ci_skips_other_labels(course: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["ci", "--event", str(EVENTS / "labeled_other_same_repo.json")])
    assert result.exit_code == 0
    assert "nothing to do" in result.output
    assert _outputs(tmp_path / "output.txt")["verdict"] == "skipped"


def test_ci_bad_event(course: Path, tmp_path: Path) -> None:
    bad = tmp_path / "push.json"
    bad.write_text('{"action": "created", "ref": "refs/heads/main"}')
    result = CliRunner().invoke(main, ["ci", "--event", str(bad)])
    assert result.exit_code == 2
    assert "not a pull request event" in result.output


# --- plan and join: the matrix of changed submissions ----------------------------------------


def _git(root: Path, *args: str) -> str:
    import subprocess

    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def _event_for(tmp_path: Path, base: str, head: str) -> Path:
    data = json.loads((EVENTS / "synchronize_fork.json").read_text())
    data["pull_request"]["base"]["sha"] = base
    data["pull_request"]["head"]["sha"] = head
    path = tmp_path / "event.json"
    path.write_text(json.dumps(data))
    return path


def test_plan_lists_changed_submissions(course: Path, tmp_path: Path) -> None:
    _git(course, "init", "-q", "-b", "main")
    (course / "submissions" / "old-team").mkdir(parents=True)
    (course / "submissions" / "old-team" / "bench.toml").write_text("team = 'old-team'\n")
    _git(course, "add", "-A")
    _git(course, "commit", "-qm", "base")
    base = _git(course, "rev-parse", "HEAD")
    for team in ("team-b", "team-a"):
        (course / "submissions" / team).mkdir()
        (course / "submissions" / team / "bench.toml").write_text(f"team = '{team}'\n")
    (course / "README.md").write_text((course / "README.md").read_text() + "\n")
    _git(course, "add", "-A")
    _git(course, "commit", "-qm", "head")
    head = _git(course, "rev-parse", "HEAD")

    event = str(_event_for(tmp_path, base, head))
    result = CliRunner().invoke(main, ["ci", "--mode", "plan", "--event", event])
    assert result.exit_code == 0, result.output
    assert json.loads(_outputs(tmp_path / "output.txt")["submissions"]) == ["team-a", "team-b"]
    assert "changed submissions: team-a, team-b" in result.output

    # Nothing under submissions/ changed: one job for the whole pull request.
    (tmp_path / "output.txt").unlink()
    result = CliRunner().invoke(
        main, ["ci", "--mode", "plan", "--event", str(_event_for(tmp_path, head, head))]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(_outputs(tmp_path / "output.txt")["submissions"]) == [""]


def test_plan_refuses_a_hostile_folder_name(course: Path, tmp_path: Path) -> None:
    _git(course, "init", "-q", "-b", "main")
    _git(course, "add", "-A")
    _git(course, "commit", "-qm", "base")
    base = _git(course, "rev-parse", "HEAD")
    bad = course / "submissions" / "$(curl evil)"
    bad.mkdir(parents=True)
    (bad / "bench.toml").write_text("")
    _git(course, "add", "-A")
    _git(course, "commit", "-qm", "head")
    head = _git(course, "rev-parse", "HEAD")
    result = CliRunner().invoke(
        main, ["ci", "--mode", "plan", "--event", str(_event_for(tmp_path, base, head))]
    )
    assert result.exit_code == 2
    assert "is not allowed" in result.output
    assert not (tmp_path / "output.txt").exists()


def test_plan_without_history_says_how_to_fix_it(course: Path, tmp_path: Path) -> None:
    _git(course, "init", "-q", "-b", "main")
    result = CliRunner().invoke(main, ["ci", "--mode", "plan", "--event", str(EVENTS / "opened_fork.json")])
    assert result.exit_code == 2
    assert "fetch-depth: 0" in result.output


def _matrix_report(folder: Path, team: str, verdict: str) -> None:
    from validator.model import RowVerification

    folder.mkdir(parents=True)
    row = RowVerification(line=8, model="TinyLM", method=team, status="ok")
    report = VerifyReport(verdict=verdict, base="9" * 40, head="9" * 40, pr=999, team=team, rows=[row])  # type: ignore[arg-type]
    (folder / "report.json").write_text(report.model_dump_json())


def test_join_merges_the_matrix(course: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    _matrix_report(reports / "report-team-a", "team-a", "pass")
    _matrix_report(reports / "report-team-b", "team-b", "fail")
    out = tmp_path / "joined" / "report.json"
    result = CliRunner().invoke(
        main,
        ["ci", "--mode", "join", "--reports", str(reports), "--teams", '["team-a", "team-b"]',
         "--out", str(out), "--event", str(EVENTS / "opened_fork.json")],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    joined = VerifyReport.model_validate_json(out.read_text())
    assert joined.verdict == "fail"
    assert [row.method for row in joined.rows] == ["team-a", "team-b"]
    # The PR and commits come from the event, not from reports written next to student code.
    assert (joined.pr, joined.head, joined.base) == (42, HEAD, "1" * 40)
    assert _outputs(tmp_path / "output.txt") == {"verdict": "fail", "report-path": str(out)}


def test_join_fails_when_a_matrix_job_left_no_report(course: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    _matrix_report(reports / "report-team-a", "team-a", "pass")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        ["ci", "--mode", "join", "--reports", str(reports), "--teams", '["team-a", "team-b"]',
         "--out", str(out), "--event", str(EVENTS / "opened_fork.json")],
    )  # fmt: skip
    assert result.exit_code == 1
    joined = VerifyReport.model_validate_json(out.read_text())
    assert joined.verdict == "fail"
    assert [p.code for p in joined.problems] == ["ci-no-report"]
    assert "team-b" in joined.problems[0].message


def test_join_refuses_bad_teams(course: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["ci", "--mode", "join", "--reports", str(tmp_path), "--teams", '["../../etc"]',
         "--event", str(EVENTS / "opened_fork.json")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--teams" in result.output


def test_comment_takes_the_pr_from_the_report_only_with_a_head_to_check(
    github_env: FakeGitHub, tmp_path: Path
) -> None:
    path = _report(tmp_path, pr=7)
    result = CliRunner().invoke(main, ["comment", "--repo", "course/hw", "--report", str(path)])
    assert result.exit_code == 2
    assert "--pr is needed" in result.output
    sha_file = tmp_path / "head-sha"
    sha_file.write_text("not a sha\n")
    result = CliRunner().invoke(
        main, ["comment", "--repo", "course/hw", "--report", str(path), "--head-sha-from", str(sha_file)]
    )
    assert result.exit_code == 2
    assert "40-character" in result.output
    assert github_env.requests == []


def test_ci_check_runs_without_a_pull_request_event(
    course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    push = tmp_path / "push.json"
    push.write_text('{"ref": "refs/heads/main", "commits": []}')
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(push))
    result = CliRunner().invoke(main, ["ci", "--mode", "check"])
    assert result.exit_code == 1
    assert "title=cell-no-unit" in result.stdout
    assert _outputs(tmp_path / "output.txt")["verdict"] == "fail"


# --- verify --team, for real: the example course, the harness, a real git repository ----------------

COURSE = Path(__file__).resolve().parents[2] / "examples" / "course"


@pytest.fixture
def two_team_pr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_env: FakeGitHub) -> tuple[Path, Path]:
    """The example course as a pull request that adds both teams' rows and submissions; cwd = the checkout."""
    from bench.manifest import load_manifest
    from validator.check import check_file

    repo = tmp_path / "course"
    shutil.copytree(COURSE, repo, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    readme = repo / "README.md"
    head_text = readme.read_text(encoding="utf-8")
    table = check_file(readme).comparison
    assert table is not None
    held = tmp_path / "held"
    held.mkdir()
    drop = set()
    for team in ("gpt_squad", "whisper_crew"):
        manifest = load_manifest(repo / "submissions" / team)
        drop |= {row.line for row in table.rows if manifest.find(row.model, row.method) is not None}
        shutil.move(repo / "submissions" / team, held / team)
    lines = head_text.split("\n")
    readme.write_text("\n".join(t for n, t in enumerate(lines, start=1) if n not in drop), encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "course")
    base = _git(repo, "rev-parse", "HEAD")
    for team in ("gpt_squad", "whisper_crew"):
        shutil.move(held / team, repo / "submissions" / team)
    readme.write_text(head_text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "whisper_crew HW-1")
    head = _git(repo, "rev-parse", "HEAD")
    data = json.loads((EVENTS / "synchronize_fork.json").read_text())
    data["pull_request"]["base"]["sha"] = base
    data["pull_request"]["head"]["sha"] = head
    data["pull_request"]["title"] = "whisper_crew HW-1"
    event = tmp_path / "event.json"
    event.write_text(json.dumps(data))
    monkeypatch.chdir(repo)
    return repo, event


def test_ci_verify_with_a_team_verifies_only_that_submission(
    two_team_pr: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, event = two_team_pr
    plan = CliRunner().invoke(main, ["ci", "--mode", "plan", "--event", str(event)])
    assert plan.exit_code == 0, plan.output
    assert json.loads(_outputs(tmp_path / "output.txt")["submissions"]) == ["gpt_squad", "whisper_crew"]
    (tmp_path / "output.txt").unlink()

    result = CliRunner().invoke(
        main, ["ci", "--mode", "verify", "--team", "whisper_crew", "--event", str(event)]
    )
    assert result.exit_code in (0, 1), result.output
    report = VerifyReport.model_validate_json((repo / "report.json").read_text())
    # Only whisper_crew's row was re-run: gpt_squad's rows belong to the other job of the matrix.
    assert [(row.model, row.status) for row in report.rows] == [("whisper-tiny-random", "ok")]
    assert report.pr == 42
    assert _outputs(tmp_path / "output.txt")["report-path"] == "report.json"
    # The report (student text) is printed with workflow commands stopped; our annotations come after.
    lines = result.stdout.splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    resume = lines.index(f"::{token}::")
    assert any("whisper-tiny-random" in line for line in lines[1:resume])
    assert all(line.startswith(("::error ", "::warning ")) for line in lines[resume + 1 :] if line)
    assert "Benchmark verification" in (tmp_path / "summary.md").read_text()


def test_verify_team_restricts_the_audit_of_a_table(tmp_path: Path) -> None:
    """`validator verify --readme ... --team T`, as a user runs it: only T's declared rows."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "validator", "verify", "--readme", str(COURSE / "README.md"),
         "--team", "whisper_crew", "--format", "json"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    assert report["team"] == "whisper_crew"
    assert [(r["model"], r["status"]) for r in report["rows"]] == [("whisper-tiny-random", "ok")]


def test_comment_says_when_a_run_left_no_report(github_env: FakeGitHub) -> None:
    github_env.pulls[7] = HEAD
    url = "https://github.com/course/hw/actions/runs/12345"
    args = ["comment", "--repo", "course/hw", "--pr", "7", "--head-sha", HEAD, "--missing-report", url]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (ours,) = github_env.comments[7]
    assert ours["body"].startswith(f"{MARKER}\n<!-- validator:section cpu -->\n## ❌ Benchmark verification")
    assert url in ours["body"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--missing-report", "javascript:alert(1)"], "must be a run's URL"),
        (
            ["--missing-report", "https://github.com/course/hw/actions/runs/1", "--report", "r.json"],
            "give --report",
        ),
        ([], "give --report"),
    ],
)
def test_comment_missing_report_usage(github_env: FakeGitHub, extra: list[str], message: str) -> None:
    result = CliRunner().invoke(
        main, ["comment", "--repo", "course/hw", "--pr", "7", "--head-sha", HEAD, *extra]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert github_env.requests == []


def test_comment_speaks_the_reports_language_and_keeps_the_gpu_section(
    github_env: FakeGitHub, tmp_path: Path
) -> None:
    github_env.pulls[7] = HEAD
    cpu = _report(tmp_path, pr=7, language="ru")
    args = ["comment", "--repo", "course/hw", "--pr", "7", "--head-sha", HEAD]
    assert CliRunner().invoke(main, [*args, "--report", str(cpu)]).exit_code == 0
    gpu_path = tmp_path / "gpu.json"
    gpu_path.write_text(
        VerifyReport(verdict="pass", head=HEAD, pr=7, device="cuda", language="ru").model_dump_json()
    )
    assert CliRunner().invoke(main, [*args, "--report", str(gpu_path)]).exit_code == 0
    assert CliRunner().invoke(main, [*args, "--report", str(cpu)]).exit_code == 0
    (ours,) = github_env.comments[7]
    body = ours["body"]
    assert "Проверка замеров: не пройдена" in body
    assert "Проверка замеров: пройдена" in body
    assert body.index("section cpu") < body.index("section cuda")
    assert f"Перезапуск на GPU для коммита `{HEAD[:12]}`" in body


@pytest.mark.parametrize("layout", ["nested", "flat"])
def test_join_reads_either_layout_of_a_single_artifact(course: Path, tmp_path: Path, layout: str) -> None:
    # download-artifact v4 releases differ: one artifact matching the pattern lands in report-<team>/
    # or straight in the folder.
    reports = tmp_path / "reports"
    _matrix_report(reports / "report-team-a" if layout == "nested" else reports, "team-a", "pass")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        ["ci", "--mode", "join", "--reports", str(reports), "--teams", '["team-a"]',
         "--out", str(out), "--event", str(EVENTS / "opened_fork.json")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [row.method for row in VerifyReport.model_validate_json(out.read_text()).rows] == ["team-a"]


def test_join_after_a_failed_plan_still_writes_a_report(course: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        ["ci", "--mode", "join", "--reports", str(tmp_path / "nothing"), "--out", str(out),
         "--event", str(EVENTS / "opened_fork.json")],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    joined = VerifyReport.model_validate_json(out.read_text())
    assert (joined.verdict, [p.code for p in joined.problems], joined.pr) == ("fail", ["ci-no-plan"], 42)
