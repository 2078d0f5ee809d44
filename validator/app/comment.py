"""`validator comment`: the verify report as the one sticky comment on the pull request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from validator.app import Language, Outcome
from validator.comment import check_identity, check_repo, check_sha, load_report, read_sha
from validator.config import load_config
from validator.errors import SettingsAreInvalid
from validator.model import VerifyReport

if TYPE_CHECKING:
    from validator.github import Publication


@dataclass(frozen=True, kw_only=True)
class CommentSettings:
    repo: str
    pr: int | None
    #: The report to post; None with `missing_report`.
    report: Path | None
    #: The URL of a run that left no report: the comment says so (needs `pr` and `head_sha`).
    missing_report: str | None
    head_sha: str | None
    head_sha_file: Path | None
    author: str | None
    summary_only: bool
    #: The course root, where the settings are read from (the workflow's working directory).
    root: Path
    config_path: Path | None
    language: Language | None


@dataclass(frozen=True)
class Commented:
    """What became of the report, and the Markdown body that was (or would have been) posted."""

    publication: Publication
    body: str


#: The longest a section of the comment may be (two of them, under GitHub's 65,536 characters).
SECTION_CHARS = 30_000
_PROVENANCE = {
    "en": "{device} re-run of commit `{sha}`, reported {when} UTC",
    "ru": "Перезапуск на {device} для коммита `{sha}`, отчёт от {when} UTC",
}
_MISSING = (
    "## ❌ Benchmark verification: no report\n\n"
    "The validation run finished without a report, so nothing can be shown here: see its log, {url}\n\n"
    "Проверка завершилась без отчёта, показать нечего: см. её лог, {url}\n"
)
#: A run's page, as the workflow builds it from GitHub's own values; nothing else goes in the comment.
_RUN_URL = re.compile(
    r"^https?://[A-Za-z0-9.-]+(:[0-9]+)?/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/actions/runs/[0-9]+$"
)


def with_provenance(body: str, report: VerifyReport, language: str, now: datetime | None = None) -> str:
    """The section says on what device, for which commit and when it ran, under its heading."""
    template = _PROVENANCE.get(language, _PROVENANCE["en"])
    line = template.format(
        device="GPU" if report.device == "cuda" else "CPU",
        sha=(report.head or "?")[:12],
        when=(now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M"),
    )
    heading, _, rest = body.partition("\n")
    return f"{heading}\n\n_{line}_\n{rest}"


def missing_report_body(run_url: str) -> str:
    """Both languages: without a report, the course's language is not known here."""
    if not _RUN_URL.match(run_url):
        raise SettingsAreInvalid(
            f"--missing-report must be a run's URL (…/OWNER/REPO/actions/runs/ID), not {run_url!r}"
        )
    return _MISSING.format(url=run_url)


def run_comment(settings: CommentSettings) -> Outcome[Commented]:
    """Exit 0 posted (or a fork's read-only token: the job summary has it), 2 any other refusal.

    The comment has a `cpu` and a `cuda` section (`validator.github.SECTIONS`): a report replaces only
    the section of the device it ran on, so the GPU re-run and the next push keep each other's numbers.

    Raises `SettingsAreInvalid`, `ConfigError`, `CannotReadReport`, `ReportIsForAnotherPullRequest`,
    `CannotPostComment` (no token).
    """
    from validator.github import client, publish
    from validator.reporters.verify import render_markdown

    repo = check_repo(settings.repo)
    head_sha = settings.head_sha
    if settings.head_sha_file is not None:
        if head_sha is not None:
            raise SettingsAreInvalid("give --head-sha or --head-sha-from, not both")
        head_sha = read_sha(settings.head_sha_file)
    elif head_sha is not None:
        check_sha(head_sha)
    if (settings.report is None) == (settings.missing_report is None):
        raise SettingsAreInvalid("give --report FILE, or --missing-report RUN_URL when the run left none")
    config = load_config(settings.root, settings.config_path)
    pr = settings.pr
    if settings.missing_report is not None:
        body = missing_report_body(settings.missing_report)
        if pr is None or head_sha is None:
            raise SettingsAreInvalid(
                "--missing-report needs --pr and --head-sha (the pull request is proven by its head)"
            )
        language = settings.language or config.language
        section = "cpu"
    else:
        assert settings.report is not None
        report = load_report(settings.report)
        if pr is None:
            if report.pr is None or head_sha is None:
                raise SettingsAreInvalid(
                    "--pr is needed, unless the report names its pull request and --head-sha is given "
                    "to check it"
                )
            # The number comes from untrusted data; check_head() proves it against the API before posting.
            pr = report.pr
        check_identity(report, pr, head_sha)
        language = settings.language or report.language or config.language
        # Two sections share the comment: each is kept well under half of GitHub's limit.
        body = with_provenance(render_markdown(report, language, limit=SECTION_CHARS), report, language)
        section = "cuda" if report.device == "cuda" else "cpu"
    github = None if settings.summary_only else client()
    publication = publish(
        repo,
        pr,
        body,
        author=settings.author or config.github.comment_author,
        head_sha=head_sha,
        summary_only=settings.summary_only,
        github=github,
        section=section,
    )
    return Outcome(Commented(publication, body), publication.exit_code, language)
