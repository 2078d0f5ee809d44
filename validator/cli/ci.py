"""`validator ci`: run a step of the course's workflows for the pull request of the running workflow.

Everything the command needs (base and head SHAs, title, PR number, labels) comes from the event
payload at GITHUB_EVENT_PATH, so a workflow needs no shell glue, and no student-controlled string
(title, branch name, file name) is ever expanded by a shell. `check`, `diff` and `verify` are looked
up by name at run time and invoked through click, so `ci` passes exactly the options a person would
type. Two modes are its own: `plan` lists the changed submissions for a job matrix, and `join` merges
the matrix's reports into the one report the comment is made from.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

import click

from validator.cli.options import config_option, fail, language_option, settings
from validator.problems import define

T = TypeVar("T")

if TYPE_CHECKING:
    from validator.config import Config
    from validator.event import PullRequestEvent
    from validator.model import VerifyReport

MODES = ("check", "diff", "verify", "plan", "join")
_VERDICT_BY_EXIT = {0: "pass", 1: "fail"}
#: A submission folder name we are willing to put in a job name, an artifact name and a command line.
_TEAM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")

NO_PLAN = define(
    "ci-no-plan",
    "error",
    "the changed submissions could not be listed, so nothing was verified: see the log of the job "
    "`check, diff and plan`",
    "не удалось перечислить изменённые посылки, поэтому ничего не проверено: см. лог задания "
    "`check, diff and plan`",
)
NO_REPORT = define(
    "ci-no-report",
    "error",
    "the job verifying {team} left no report: it crashed, timed out or was cancelled; see its log",
    "задание, проверявшее {team}, не оставило отчёта: оно упало, превысило время или было отменено; "
    "см. его лог",
)


def artifact_name(team: str) -> str:
    """The artifact a matrix job uploads its report as (`""` is the job for the whole pull request)."""
    return f"report-{team or 'all'}"


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 2


def invoke_by_options(
    ctx: click.Context, name: str, values: dict[str, Any], required: tuple[str, ...] = ()
) -> int:
    """Invoke the command `name` with values keyed by its option flags (`--base`) or argument names.

    Flags are resolved to the command's own parameter names, so `ci` does not depend on how each
    command names its Python parameters. A value the command has no option for is dropped, unless
    it is required, which is a usage error. Returns the command's exit code.
    """
    from validator.cli import main

    command = main.get_command(ctx, name)
    if command is None:
        fail(f"`validator {name}` is not available in this installation")
        raise AssertionError("unreachable")
    by_flag: dict[str, str] = {}
    for param in command.params:
        if param.name is None:
            continue
        by_flag[param.name] = param.name
        for flag in getattr(param, "opts", []):
            by_flag[flag] = param.name
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key in by_flag:
            kwargs[by_flag[key]] = value
        elif key in required:
            fail(f"`validator {name}` has no option {key}, which `validator ci` needs")
    try:
        ctx.invoke(command, **kwargs)
    except SystemExit as exc:
        return _exit_code(exc)
    return 0


def _has_option(ctx: click.Context, name: str, flag: str) -> bool:
    from validator.cli import main

    command = main.get_command(ctx, name)
    return command is not None and any(flag in getattr(p, "opts", []) for p in command.params)


class CannotPlan(Exception):
    """The changed submissions cannot be listed (git failed, or too many)."""


def changed_submissions(root: Path, base: str, head: str, config: Config) -> list[str]:
    """The `submissions/<team>` folders the pull request touches, by name, sorted."""
    folder = config.rules.submissions_dir.strip("/")
    try:
        done = subprocess.run(
            ["git", "diff", "--name-only", "-z", "--no-renames", f"{base}...{head}", "--", f"{folder}/"],
            cwd=root,
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CannotPlan(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CannotPlan(
            f"git diff {base[:12]}...{head[:12]} failed: {message[-1] if message else done.returncode} "
            "(check out with fetch-depth: 0)"
        )
    teams: set[str] = set()
    for raw in done.stdout.split(b"\0"):
        parts = PurePosixPath(raw.decode("utf-8", "replace")).parts
        if len(parts) >= 3 and parts[0] == folder:
            if not _TEAM.match(parts[1]):
                raise CannotPlan(
                    f"submission folder name {parts[1]!r} is not allowed: use letters, digits, _ . -"
                )
            teams.add(parts[1])
    if len(teams) > config.github.max_submissions:
        raise CannotPlan(
            f"the pull request changes {len(teams)} submissions; at most {config.github.max_submissions} "
            "are verified per pull request (github.max_submissions)"
        )
    return sorted(teams)


def _unique(items: list[T], key: Callable[[T], object]) -> list[T]:
    seen: set[object] = set()
    kept = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            kept.append(item)
    return kept


def join_reports(
    reports: list[VerifyReport], event: PullRequestEvent, missing: list[str] | None = None
) -> VerifyReport:
    """One report from the matrix's reports: fail if one failed or is missing; rows, ratios, problems joined.

    The PR and commits are the event's: the matrix's reports were written next to student code.
    """
    from validator.model import Environment, VerifyReport

    absent = [NO_REPORT.at(None, team=f"`{team}`" if team else "the pull request") for team in missing or []]
    if not reports and not absent:
        # No plan and no report: the pull request still gets a report, saying what went wrong.
        absent = [NO_PLAN.at(None)]
    first = reports[0] if reports else VerifyReport(verdict="fail", environment=Environment())
    return VerifyReport(
        verdict="fail" if absent or any(r.verdict == "fail" for r in reports) else "pass",
        language=next((r.language for r in reports if r.language), None),
        base=event.base_sha,
        head=event.head_sha,
        pr=event.number,
        team=first.team if all(r.team == first.team for r in reports) else None,
        device=first.device,
        # Every job saw the same diff and the same undeclared rows: keep each once.
        rows=_unique([row for r in reports for row in r.rows], lambda row: (row.line, row.model, row.method)),
        ratios=_unique([ratio for r in reports for ratio in r.ratios], lambda r: r.model_dump_json()),
        problems=_unique([p for r in reports for p in r.problems], lambda p: p.model_dump_json()) + absent,
        readme=first.readme,
        environment=first.environment,
    )


def _annotate(report: VerifyReport, readme: str, language: str) -> None:
    """Problems of the verify report as annotations, printed after commands are resumed."""
    from validator.reporters import github_annotation

    for problem in report.problems:
        click.echo(github_annotation(problem, readme, language))


def _finish_verify(out: Path, markdown: Path, event: PullRequestEvent, readme: str, language: str) -> str:
    """Stamp the PR into report.json, annotate its problems, put its Markdown in the job summary."""
    from validator.cli.comment import CannotReadReport, load_report
    from validator.summary import write_summary

    report_path = ""
    if out.is_file():
        try:
            report = load_report(out)
        except CannotReadReport as exc:
            click.echo(f"validator: {exc}", err=True)
        else:
            if report.pr is None:
                # The comment job checks this number against the API before it posts.
                report = report.model_copy(update={"pr": event.number})
                out.write_text(report.model_dump_json(indent=2), encoding="utf-8")
            _annotate(report, readme, language)
            report_path = str(out)
    if markdown.is_file():
        write_summary(markdown.read_text(encoding="utf-8", errors="replace"))
    return report_path


@click.command()
@click.option("--mode", type=click.Choice(MODES), default="verify", show_default=True)
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The README with the comparison table (default: the config's `readme`).",
)
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option(
    "--team",
    default=None,
    help="verify: only this submission (a folder under submissions/), as listed by --mode plan.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.json"),
    show_default=True,
    help="verify and join: where report.json is written.",
)
@click.option(
    "--markdown",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="verify: where the Markdown report is written (default: report.md next to --out).",
)
@click.option(
    "--reports",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="join: a folder holding the matrix's report.json files (downloaded artifacts).",
)
@click.option(
    "--teams",
    default=None,
    help="join: the JSON list --mode plan gave; a team without a report fails the join.",
)
@click.option(
    "--event",
    "event_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The event payload (default: $GITHUB_EVENT_PATH).",
)
@config_option
@language_option
@click.pass_context
def ci(
    ctx: click.Context,
    mode: str,
    readme: Path | None,
    device: str,
    team: str | None,
    out: Path,
    markdown: Path | None,
    reports: Path | None,
    teams: str | None,
    event_path: Path | None,
    config_path: Path | None,
    language: str | None,
) -> None:
    """Run check, diff, verify, plan or join for the pull request of the running GitHub Actions workflow.

    Writes the outputs `verdict` (pass, fail, error or skipped), `report-path` and, for plan,
    `submissions` (a JSON list) to GITHUB_OUTPUT, and a report to the job summary; exits like the
    command it ran (0 pass, 1 fail, 2 usage or I/O error).
    """
    from validator.event import ACTIONS, CannotReadEvent, load_event
    from validator.summary import commands_stopped, set_outputs, write_summary

    config = settings(Path.cwd(), config_path)
    lang = language or config.language
    if team is not None and not _TEAM.match(team):
        fail(f"--team {team!r} is not a submission folder name")
    readme = readme or Path(config.readme)
    try:
        event = load_event(event_path)
    except CannotReadEvent as exc:
        if mode != "check":
            fail(str(exc))
            return
        # check reads only the README: it runs on a push too (the action's self-test does).
        code = invoke_by_options(
            ctx,
            "check",
            {"readme": readme, "--format": "github", "--config": config_path, "--lang": language},
            ("readme",),
        )
        verdict = _VERDICT_BY_EXIT.get(code, "error")
        write_summary(f"### validator check: {verdict}\n\nProblems are annotated on the files.\n")
        set_outputs({"verdict": verdict, "report-path": ""})
        raise SystemExit(code) from None
    if event.action not in ACTIONS or (event.action == "labeled" and event.label != config.github.gpu_label):
        # Only the configured label re-runs anything; any other label is none of our business.
        click.echo(f"validator: nothing to do for a `{event.action}` event")
        set_outputs({"verdict": "skipped", "report-path": "", "submissions": "[]"})
        return
    common = {"--config": config_path, "--lang": language}
    report_path = ""
    if mode == "check":
        code = invoke_by_options(
            ctx, "check", {"readme": readme, "--format": "github", **common}, ("readme",)
        )
    elif mode == "diff":
        values = {
            "--base": event.base_sha,
            "--head": event.head_sha,
            "--title": event.title,
            # diff takes the README as a path inside the repository, a string (not a local file).
            "--readme": str(readme),
            "--format": "github",
            **common,
        }
        code = invoke_by_options(ctx, "diff", values, ("--base", "--head"))
    elif mode == "plan":
        try:
            changed = changed_submissions(Path.cwd(), event.base_sha, event.head_sha, config)
        except CannotPlan as exc:
            fail(str(exc))
            return
        click.echo(f"validator: changed submissions: {', '.join(changed) or 'none'}")
        if changed and not _has_option(ctx, "verify", "--team"):
            # This verify cannot be limited to one submission: one job verifies them all.
            click.echo(
                "validator: `validator verify` has no --team option; one job verifies every submission"
            )
            changed = []
        # An empty matrix would skip verify entirely; one job for the whole PR still checks its rows.
        set_outputs({"submissions": json.dumps(changed or [""])})
        return
    elif mode == "join":
        code, report_path = _join(reports, teams, out, event)
    else:
        markdown = markdown or out.with_suffix(".md")
        values = {
            "--base": event.base_sha,
            "--head": event.head_sha,
            "--title": event.title,
            "--readme": readme,
            "--device": device,
            "--out": out,
            "--markdown": markdown,
            "--format": "text",
            **common,
        }
        if team:
            values["--team"] = team
        required = ("--base", "--head", "--out") + (("--team",) if team else ())
        # verify's log carries benchmark output and cell text: shown, never obeyed.
        with commands_stopped():
            code = invoke_by_options(ctx, "verify", values, required)
        report_path = _finish_verify(out, markdown, event, str(readme), lang)
    verdict = _VERDICT_BY_EXIT.get(code, "error")
    if mode in ("check", "diff"):
        write_summary(
            f"### validator {mode}: {verdict}\n\nPull request #{event.number} at `{event.head_sha[:12]}`; "
            "problems are annotated on the files.\n"
        )
    set_outputs({"verdict": verdict, "report-path": report_path})
    raise SystemExit(code)


def _expected_teams(teams: str | None) -> list[str] | None:
    if teams is None:
        return None
    try:
        value = json.loads(teams)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(
        isinstance(t, str) and (t == "" or _TEAM.match(t)) for t in value
    ):
        fail("--teams must be the JSON list of submission names that --mode plan wrote")
        raise AssertionError("unreachable")
    return value


def _join(reports: Path | None, teams: str | None, out: Path, event: PullRequestEvent) -> tuple[int, str]:
    """Read each team's report from the downloaded artifacts, in any layout download-artifact v4 uses.

    Several artifacts are extracted into `DIR/report-<team>/`; some releases extract a pattern that
    matches a single artifact straight into `DIR`, which then holds one team's `report.json`. A team
    without a report is a failure of the join, and so is a plan that listed nothing (`--teams` empty).
    """
    from validator.cli.comment import CannotReadReport, load_report

    if reports is None:
        fail("--mode join needs --reports DIR")
        raise AssertionError("unreachable")
    expected = _expected_teams(teams)
    flat = reports / "report.json"
    if expected is None:
        paths = sorted(reports.glob("*/report.json")) or ([flat] if flat.is_file() else [])
        missing: list[str] = []
    else:
        candidates = [(team, reports / artifact_name(team) / "report.json") for team in expected]
        if len(candidates) == 1 and not candidates[0][1].is_file() and flat.is_file():
            candidates = [(candidates[0][0], flat)]
        paths = [path for _, path in candidates if path.is_file()]
        missing = [team for team, path in candidates if not path.is_file()]
    loaded = []
    for path in paths:
        try:
            loaded.append(load_report(path))
        except CannotReadReport as exc:
            fail(str(exc))
    joined = join_reports(loaded, event, missing)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(joined.model_dump_json(indent=2), encoding="utf-8")
    click.echo(f"validator: joined {len(loaded)} report(s): {joined.verdict}")
    return (0 if joined.verdict == "pass" else 1), str(out)
