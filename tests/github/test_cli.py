"""`validator comment` and `validator ci` as a workflow step runs them."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from tests.github.conftest import BOT, FakeGitHub
from validator.cli import main
from validator.github import MARKER, Retry, publish
from validator.model import Problem, Severity, VerifyReport

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
    pytest.importorskip("validator.report", reason="the Markdown renderer (issue 5) is not merged yet")
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


def _fake_verify(calls: list[dict[str, Any]]) -> click.Command:
    """A stand-in with verify's options: it records them, writes a report and prints hostile output."""

    @click.command("verify")
    @click.option("--base", "base_rev")
    @click.option("--head", "head_rev")
    @click.option("--title")
    @click.option("--device", default="cpu")
    @click.option("--out", "out_path", type=click.Path(path_type=Path))
    @click.option("--markdown", "markdown_path", type=click.Path(path_type=Path))
    @click.option("--format", "fmt", default="text")
    @click.option("--config", "config_path", default=None)
    @click.option("--lang", "language", default=None)
    def verify(**kwargs: Any) -> None:
        calls.append(kwargs)
        problem = Problem(
            line=8, column=19, severity=Severity.error, code="claim-mismatch", message="size differs"
        )
        report = VerifyReport(
            verdict="fail", base=kwargs["base_rev"], head=kwargs["head_rev"], problems=[problem]
        )
        kwargs["out_path"].write_text(report.model_dump_json())
        kwargs["markdown_path"].write_text("## Validator: fail\n")
        click.echo(
            "student log: ::error file=README.md::all claims verified\n::set-output name=verdict::pass"
        )
        raise SystemExit(1)

    return verify


def test_ci_verify_dispatches_by_option_names(
    course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setitem(main.commands, "verify", _fake_verify(calls))
    result = CliRunner().invoke(
        main, ["ci", "--mode", "verify", "--device", "cuda", "--event", str(EVENTS / "labeled_gpu_fork.json")]
    )
    assert result.exit_code == 1, result.output
    assert calls == [
        {
            "base_rev": "1" * 40,
            "head_rev": HEAD,
            "title": "team-rocket HW3: int8 quantization of TinyLM",
            "device": "cuda",
            "out_path": Path("report.json"),
            "markdown_path": Path("report.md"),
            "fmt": "text",
            "config_path": None,
            "language": None,
        }
    ]
    lines = result.stdout.splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    resume = lines.index(f"::{token}::")
    assert any("all claims verified" in line for line in lines[1:resume])
    # Our own annotation comes after commands are resumed.
    assert lines[resume + 1].startswith("::error file=README.md,line=8,col=19,title=claim-mismatch::")
    assert _outputs(tmp_path / "output.txt") == {"verdict": "fail", "report-path": "report.json"}
    assert json.loads((course / "report.json").read_text())["pr"] == 42
    assert "## Validator: fail" in (tmp_path / "summary.md").read_text()


def test_ci_missing_command_is_a_usage_error(course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(main.commands, "diff", raising=False)
    result = CliRunner().invoke(main, ["ci", "--mode", "diff", "--event", str(EVENTS / "opened_fork.json")])
    assert result.exit_code == 2
    assert "`validator diff` is not available" in result.output


def test_ci_refuses_a_command_without_a_required_option(
    course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    @click.command("diff")
    @click.option("--format", "fmt")
    def diff(fmt: str) -> None:
        raise AssertionError("must not run")

    monkeypatch.setitem(main.commands, "diff", diff)
    result = CliRunner().invoke(main, ["ci", "--mode", "diff", "--event", str(EVENTS / "opened_fork.json")])
    assert result.exit_code == 2
    assert "has no option --base" in result.output
