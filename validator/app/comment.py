"""`validator comment`: the verify report as the one sticky comment on the pull request."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from validator.app import Language, Outcome
from validator.comment import check_identity, check_repo, check_sha, load_report, read_sha
from validator.config import load_config
from validator.errors import SettingsAreInvalid

if TYPE_CHECKING:
    from validator.github import Publication


@dataclass(frozen=True, kw_only=True)
class CommentSettings:
    repo: str
    pr: int | None
    report: Path
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


def run_comment(settings: CommentSettings) -> Outcome[Commented]:
    """Exit 0 posted (or a fork's read-only token: the job summary has it), 2 any other refusal.

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
    config = load_config(settings.root, settings.config_path)
    report = load_report(settings.report)
    pr = settings.pr
    if pr is None:
        if report.pr is None or head_sha is None:
            raise SettingsAreInvalid(
                "--pr is needed, unless the report names its pull request and --head-sha is given to check it"
            )
        # The number comes from untrusted data; check_head() proves it against the API before posting.
        pr = report.pr
    check_identity(report, pr, head_sha)
    language = settings.language or config.language
    body = render_markdown(report, language)
    github = None if settings.summary_only else client()
    publication = publish(
        repo,
        pr,
        body,
        author=settings.author or config.github.comment_author,
        head_sha=head_sha,
        summary_only=settings.summary_only,
        github=github,
    )
    return Outcome(Commented(publication, body), publication.exit_code, language)
