"""The CI matrix of a pull request: which submissions it changes, what each job's artifact is called,
and the one report joined from the jobs' reports.

A workflow verifies each changed submission in its own job (`validator ci --mode verify --team T`), so
one slow or hostile submission cannot hold up the others; `--mode join` makes their reports one.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TypeVar

from validator.comment import load_report
from validator.config import Config
from validator.errors import SettingsAreInvalid, ValidatorError
from validator.event import PullRequestEvent
from validator.model import Environment, VerifyReport
from validator.problems import define

T = TypeVar("T")

#: A submission folder name we are willing to put in a job name, an artifact name and a command line.
TEAM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")

NO_REPORT = define(
    "ci-no-report",
    "error",
    "the job verifying {team} left no report: it crashed, timed out or was cancelled; see its log",
    "задание, проверявшее {team}, не оставило отчёта: оно упало, превысило время или было отменено; "
    "см. его лог",
)


NO_PLAN = define(
    "ci-no-plan",
    "error",
    "the changed submissions could not be listed, so nothing was verified: see the log of the job "
    "`check, diff and plan`",
    "не удалось перечислить изменённые посылки, поэтому ничего не проверено: см. лог задания "
    "`check, diff and plan`",
)


class CannotPlan(ValidatorError):
    """The changed submissions cannot be listed (git failed, a folder name is refused, or too many)."""


def artifact_name(team: str) -> str:
    """The artifact a matrix job uploads its report as (`""` is the job for the whole pull request)."""
    return f"report-{team or 'all'}"


def check_team(team: str) -> str:
    if not TEAM.match(team):
        raise SettingsAreInvalid(f"--team {team!r} is not a submission folder name")
    return team


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
            if not TEAM.match(parts[1]):
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


def matrix_of(changed: list[str]) -> list[str]:
    """The matrix's `team` values: one job per submission, or one job (`""`) for the whole pull request.

    An empty matrix would skip verify entirely; one job for the whole PR still checks its rows.
    """
    return changed or [""]


def parse_teams(text: str | None) -> list[str] | None:
    """The JSON list `--mode plan` wrote (`--teams`), each name checked; None when not given."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(
        isinstance(t, str) and (t == "" or TEAM.match(t)) for t in value
    ):
        raise SettingsAreInvalid("--teams must be the JSON list of submission names that --mode plan wrote")
    return value


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


def read_matrix_reports(folder: Path, teams: list[str] | None) -> tuple[list[VerifyReport], list[str]]:
    """Each team's report from the downloaded artifacts, in any layout download-artifact v4 uses.

    Several artifacts are extracted into `DIR/report-<team>/`; some releases extract a pattern that
    matches a single artifact straight into `DIR`, which then holds one team's `report.json`. Returns
    the reports read and the teams whose job left none (nothing at all, with no `teams`, is joined into
    a `ci-no-plan` report); raises `CannotReadReport`.
    """
    flat = folder / "report.json"
    if teams is None:
        paths = sorted(folder.glob("*/report.json")) or ([flat] if flat.is_file() else [])
        missing: list[str] = []
    else:
        candidates = [(team, folder / artifact_name(team) / "report.json") for team in teams]
        if len(candidates) == 1 and not candidates[0][1].is_file() and flat.is_file():
            candidates = [(candidates[0][0], flat)]
        paths = [path for _, path in candidates if path.is_file()]
        missing = [team for team, path in candidates if not path.is_file()]
    return [load_report(path) for path in paths], missing
