"""The comment job: read a verify report as untrusted data, check it is about the pull request we were
told, and publish it as the sticky comment (`validator.github`), or in the job summary.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import ValidationError

from validator.errors import SettingsAreInvalid, ValidatorError
from validator.model import VerifyReport

#: The largest report.json we read: the artifact is written by a job that ran student code.
MAX_REPORT_BYTES = 5 * 1024 * 1024

REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
SHA = re.compile(r"^[0-9a-f]{40}$")


class CannotReadReport(ValidatorError):
    """report.json is missing, too large, or not a valid verify report."""


class ReportIsForAnotherPullRequest(ValidatorError):
    """The report names another pull request or commit than the one we were told to post on."""


def load_report(path: Path) -> VerifyReport:
    """A verify report read as untrusted data: size-capped and validated against the schema."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise CannotReadReport(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_REPORT_BYTES:
        raise CannotReadReport(f"{path}: larger than {MAX_REPORT_BYTES} bytes; not a report of ours")
    try:
        return VerifyReport.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "report"
        raise CannotReadReport(f"{path}: not a valid verify report: {where}: {first['msg']}") from None


def read_sha(path: Path) -> str:
    """A head SHA written to a file by a trusted job; checked to be a full commit SHA."""
    try:
        with path.open("rb") as stream:
            text = stream.read(128).decode("ascii", errors="replace").strip()
    except OSError as exc:
        raise SettingsAreInvalid(f"{path}: cannot read: {exc.strerror}") from None
    return check_sha(text)


def check_sha(text: str) -> str:
    if not SHA.match(text):
        raise SettingsAreInvalid("--head-sha must be a full 40-character commit SHA")
    return text


def check_repo(text: str) -> str:
    if not REPO.match(text):
        raise SettingsAreInvalid(f"--repo must be OWNER/NAME, not {text!r}")
    return text


def check_identity(report: VerifyReport, pr: int, head_sha: str | None) -> None:
    """The report must be about the pull request and commit we were told, when it says which."""
    if report.pr is not None and report.pr != pr:
        raise ReportIsForAnotherPullRequest(
            f"the report is for pull request #{report.pr}, not #{pr}; not posting"
        )
    if head_sha is not None and report.head is not None and report.head != head_sha:
        raise ReportIsForAnotherPullRequest(
            f"the report is for commit {report.head[:12]}, not {head_sha[:12]}; not posting"
        )
