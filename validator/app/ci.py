"""`validator ci`: a step of the course's workflows, for the pull request of the running workflow.

Everything comes from the event payload at GITHUB_EVENT_PATH (base and head SHAs, title, number,
labels), so a workflow needs no shell glue and no student-controlled string is expanded by a shell.
`check`, `diff` and `verify` are the application functions themselves, called with every setting
spelled out: a setting `ci` forgets is a type error, not an option silently dropped. `plan` lists the
changed submissions for a job matrix and `join` merges the matrix's reports (`validator.matrix`).
Step outputs and the job summary are written here; what goes to the log is the CLI's business.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from validator.app import Language, Outcome, ProgressLine
from validator.app.check import CheckSettings, run_check
from validator.config import Config, load_config
from validator.errors import SettingsAreInvalid, ValidatorError
from validator.model import CheckReport, Device, DiffReport, VerifyReport
from validator.plural import REPORT
from validator.summary import set_outputs, write_summary

if TYPE_CHECKING:
    from validator.event import PullRequestEvent

Mode = Literal["check", "diff", "verify", "plan", "join"]
MODES: tuple[Mode, ...] = ("check", "diff", "verify", "plan", "join")
CiVerdict = Literal["pass", "fail", "error", "skipped"]


@dataclass(frozen=True, kw_only=True)
class CiSettings:
    mode: Mode
    #: The course checkout (the workflow's working directory).
    root: Path
    readme: Path | None
    device: Device
    team: str | None
    out: Path
    markdown: Path | None
    reports: Path | None
    teams: str | None
    event_path: Path | None
    config_path: Path | None
    language: Language | None


@dataclass(frozen=True)
class CiResult:
    mode: Mode
    verdict: CiVerdict
    #: The report of check, diff, verify or join; None for plan and a skipped event.
    report: CheckReport | DiffReport | VerifyReport | None = None
    #: The README the report's lines point into.
    readme: str = "README.md"
    report_path: str = ""
    #: plan: the matrix's `team` values.
    submissions: list[str] = field(default_factory=list)
    #: Lines for the log: what was skipped, planned or joined.
    notes: list[str] = field(default_factory=list)


def _verdict(code: int) -> CiVerdict:
    return "pass" if code == 0 else "fail"


def run_ci(settings: CiSettings, progress: ProgressLine | None = None) -> Outcome[CiResult]:
    """Exit like the command it ran: 0 pass, 1 fail; raises `ValidatorError` (exit 2).

    A check, diff or verify that fails with a usage or I/O error still sets the output `verdict` to
    `error` before the error is raised.
    """
    from validator.event import ACTIONS, CannotReadEvent, load_event

    config = load_config(settings.root, settings.config_path)
    language = settings.language or config.language
    if settings.team is not None:
        from validator.matrix import check_team

        check_team(settings.team)
    readme = settings.readme or Path(config.readme)
    try:
        event = load_event(settings.event_path)
    except CannotReadEvent:
        if settings.mode != "check":
            raise
        # check reads only the README: it runs on a push too (the action's self-test does).
        result = _guarded(lambda: _check(settings, readme))
        write_summary(f"### validator check: {result.verdict}\n\nProblems are annotated on the files.\n")
        set_outputs({"verdict": result.verdict, "report-path": ""})
        return Outcome(result, 0 if result.verdict == "pass" else 1, language)
    if event.action not in ACTIONS or (event.action == "labeled" and event.label != config.github.gpu_label):
        # Only the configured label re-runs anything; any other label is none of our business.
        set_outputs({"verdict": "skipped", "report-path": "", "submissions": "[]"})
        note = f"nothing to do for a `{event.action}` event"
        return Outcome(CiResult(settings.mode, "skipped", notes=[note]), 0, language)
    if settings.mode == "plan":
        from validator.matrix import changed_submissions, matrix_of

        changed = changed_submissions(settings.root, event.base_sha, event.head_sha, config)
        matrix = matrix_of(changed)
        set_outputs({"submissions": json.dumps(matrix)})
        note = f"changed submissions: {', '.join(changed) or 'none'}"
        return Outcome(CiResult("plan", "pass", submissions=matrix, notes=[note]), 0, language)
    if settings.mode == "join":
        result = _join(settings, event)
    elif settings.mode == "check":
        result = _guarded(lambda: _check(settings, readme))
    elif settings.mode == "diff":
        result = _guarded(lambda: _diff(settings, readme, event))
    else:
        result = _guarded(lambda: _verify(settings, readme, config, event, progress))
    if settings.mode in ("check", "diff"):
        write_summary(
            f"### validator {settings.mode}: {result.verdict}\n\nPull request #{event.number} at "
            f"`{event.head_sha[:12]}`; problems are annotated on the files.\n"
        )
    set_outputs({"verdict": result.verdict, "report-path": result.report_path})
    return Outcome(result, 0 if result.verdict == "pass" else 1, language)


def _guarded(step: Callable[[], CiResult]) -> CiResult:
    """Run a step; a usage or I/O error sets the outputs to `error` before it goes up."""
    try:
        return step()
    except ValidatorError:
        set_outputs({"verdict": "error", "report-path": ""})
        raise


def _check(settings: CiSettings, readme: Path) -> CiResult:
    outcome = run_check(
        CheckSettings(readme=readme, config_path=settings.config_path, language=settings.language)
    )
    return CiResult("check", _verdict(outcome.exit_code), outcome.report, readme=str(readme))


def _diff(settings: CiSettings, readme: Path, event: PullRequestEvent) -> CiResult:
    from validator.app.diff import DiffSettings, run_diff

    outcome = run_diff(
        DiffSettings(
            repo=settings.root,
            base=event.base_sha,
            head=event.head_sha,
            title=event.title,
            author=event.author,
            readme=str(readme),
            config_path=settings.config_path,
            language=settings.language,
        )
    )
    return CiResult("diff", _verdict(outcome.exit_code), outcome.report, readme=outcome.report.path)


def _verify(
    settings: CiSettings, readme: Path, config: Config, event: PullRequestEvent, progress: ProgressLine | None
) -> CiResult:
    from validator.app.verify import VerifySettings, run_verify

    markdown = settings.markdown or settings.out.with_suffix(".md")
    outcome = run_verify(
        VerifySettings(
            base=event.base_sha,
            head=event.head_sha,
            title=event.title,
            author=event.author,
            readme=readme,
            repo=settings.root,
            team=settings.team,
            device=settings.device,
            out=settings.out,
            markdown=markdown,
            timeout_s=None,
            memory_limit_mb=None,
            config_path=settings.config_path,
            language=settings.language,
        ),
        progress,
    )
    report = outcome.report
    if report.pr is None:
        # The comment job checks this number against the API before it posts.
        report = report.model_copy(update={"pr": event.number})
        settings.out.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    write_summary(markdown.read_text(encoding="utf-8", errors="replace"))
    return CiResult(
        "verify", _verdict(outcome.exit_code), report, readme=str(readme), report_path=str(settings.out)
    )


def _join(settings: CiSettings, event: PullRequestEvent) -> CiResult:
    from validator.matrix import join_reports, parse_teams, read_matrix_reports

    if settings.reports is None:
        raise SettingsAreInvalid("--mode join needs --reports DIR")
    loaded, missing = read_matrix_reports(settings.reports, parse_teams(settings.teams))
    joined = join_reports(loaded, event, missing)
    settings.out.parent.mkdir(parents=True, exist_ok=True)
    settings.out.write_text(joined.model_dump_json(indent=2), encoding="utf-8")
    note = f"joined {REPORT.count(len(loaded))}: {joined.verdict}"
    return CiResult(
        "join",
        _verdict(0 if joined.verdict == "pass" else 1),
        joined,
        joined.readme,
        str(settings.out),
        notes=[note],
    )
