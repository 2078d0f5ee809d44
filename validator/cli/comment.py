"""`validator comment --repo OWNER/NAME --pr N --report report.json`: the sticky PR comment."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path

import click
from pydantic import ValidationError

from validator.cli.options import config_option, fail, language_option, settings
from validator.model import VerifyReport

#: The largest report.json we read: the artifact is written by a job that ran student code.
MAX_REPORT_BYTES = 5 * 1024 * 1024

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


class CannotReadReport(Exception):
    """report.json is missing, too large, or not a valid verify report."""


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


def _read_sha(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            text = stream.read(128).decode("ascii", errors="replace").strip()
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror}")
        raise AssertionError("unreachable") from None
    return text


def _check_identity(report: VerifyReport, pr: int, head_sha: str | None) -> None:
    """The report must be about the pull request and commit we were told, when it says which."""
    if report.pr is not None and report.pr != pr:
        fail(f"the report is for pull request #{report.pr}, not #{pr}; not posting")
    if head_sha is not None and report.head is not None and report.head != head_sha:
        fail(f"the report is for commit {report.head[:12]}, not {head_sha[:12]}; not posting")


@click.command()
@click.option("--repo", required=True, help="The repository, OWNER/NAME (in a workflow: $GITHUB_REPOSITORY).")
@click.option(
    "--pr",
    type=click.IntRange(min=1),
    default=None,
    help="The pull request number (default: the report's `pr`, which then needs --head-sha to be checked).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="report.json written by `validator verify` (or give --missing-report).",
)
@click.option(
    "--missing-report",
    "missing_run",
    default=None,
    metavar="RUN_URL",
    help="The run at RUN_URL left no report: say so on the pull request (needs --pr and --head-sha).",
)
@click.option(
    "--head-sha",
    default=None,
    help="Post only if the pull request's head is this commit (in comment.yml: the workflow_run's head_sha).",
)
@click.option(
    "--head-sha-from",
    "head_sha_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Read --head-sha from this file (written by a trusted job before any student code ran).",
)
@click.option(
    "--author",
    default=None,
    help="The login whose comment is ours (default: the config's github.comment_author).",
)
@click.option("--summary-only", is_flag=True, help="Write the report to the job summary; post nothing.")
@config_option
@language_option
def comment(
    repo: str,
    pr: int | None,
    report_path: Path | None,
    missing_run: str | None,
    head_sha: str | None,
    head_sha_file: Path | None,
    author: str | None,
    summary_only: bool,
    config_path: Path | None,
    language: str | None,
) -> None:
    """Post the verify report as one sticky comment on the pull request, edited on every run.

    The token comes from GITHUB_TOKEN and the API from GITHUB_API_URL. When the token may not comment
    (a fork's pull request) the report goes to the job summary instead, and the command still exits 0.
    """
    if not _REPO.match(repo):
        fail(f"--repo must be OWNER/NAME, not {repo!r}")
    if head_sha_file is not None:
        if head_sha is not None:
            fail("give --head-sha or --head-sha-from, not both")
        head_sha = _read_sha(head_sha_file)
    if head_sha is not None and not _SHA.match(head_sha):
        fail("--head-sha must be a full 40-character commit SHA")
    config = settings(Path.cwd(), config_path)
    if (report_path is None) == (missing_run is None):
        fail("give --report FILE, or --missing-report RUN_URL when the run left none")
    if missing_run is not None:
        if not _RUN_URL.match(missing_run):
            fail(f"--missing-report must be a run's URL (…/OWNER/REPO/actions/runs/ID), not {missing_run!r}")
        if pr is None or head_sha is None:
            fail("--missing-report needs --pr and --head-sha (the pull request is proven by its head)")
            return
        report = None
    else:
        assert report_path is not None
        try:
            report = load_report(report_path)
        except CannotReadReport as exc:
            fail(str(exc))
            return
    if report is None:
        assert pr is not None
        _post(
            repo,
            pr,
            missing_report_body(missing_run or ""),
            "cpu",
            author or config.github.comment_author,
            head_sha,
            summary_only,
        )
        return
    if pr is None:
        if report.pr is None or head_sha is None:
            fail(
                "--pr is needed, unless the report names its pull request and --head-sha is given to check it"
            )
            return
        # The number comes from untrusted data; check_head() proves it against the API before posting.
        pr = report.pr
    _check_identity(report, pr, head_sha)
    try:
        # Looked up at run time: the renderer belongs to `validator verify`, and is imported only here.
        renderer = importlib.import_module("validator.report")
    except ImportError:
        fail("this installation has no Markdown report renderer (validator.report)")
        return
    render: Callable[..., str] = renderer.render_markdown
    lang = language or report.language or config.language
    # Two sections share the comment: each is kept well under half of GitHub's limit.
    body = with_provenance(render(report, lang, limit=SECTION_CHARS), report, lang)
    section = "cuda" if report.device == "cuda" else "cpu"
    _post(repo, pr, body, section, author or config.github.comment_author, head_sha, summary_only)


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


def with_provenance(body: str, report: VerifyReport, language: str) -> str:
    """The section says on what, for which commit and when it ran, under its heading."""
    from datetime import UTC, datetime

    template = _PROVENANCE.get(language, _PROVENANCE["en"])
    line = template.format(
        device="GPU" if report.device == "cuda" else "CPU",
        sha=(report.head or "?")[:12],
        when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
    )
    heading, _, rest = body.partition("\n")
    return f"{heading}\n\n_{line}_\n{rest}"


#: A run's page, as the workflow builds it from GitHub's own values; nothing else goes in the comment.
_RUN_URL = re.compile(
    r"^https?://[A-Za-z0-9.-]+(:[0-9]+)?/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/actions/runs/[0-9]+$"
)


def missing_report_body(run_url: str) -> str:
    return _MISSING.format(url=run_url)


def _post(
    repo: str, pr: int, body: str, section: str, author: str, head_sha: str | None, summary_only: bool
) -> None:
    from validator.github import CannotPostComment, client, publish
    from validator.summary import echo_untrusted

    try:
        github = None if summary_only else client()
    except CannotPostComment as exc:
        fail(str(exc))
        return
    outcome = publish(
        repo,
        pr,
        body,
        author=author,
        head_sha=head_sha,
        summary_only=summary_only,
        github=github,
        section=section,
    )
    if outcome.posted is not None:
        verb = "created" if outcome.posted.created else "updated"
        click.echo(f"validator: {verb} the report comment {outcome.posted.url}")
    elif outcome.reason:
        where = " (the report is in the job summary)" if outcome.in_summary else ""
        click.echo(f"validator: not posted: {outcome.reason}{where}", err=True)
    if outcome.posted is None and not outcome.in_summary and not outcome.stale:
        # Not on GitHub Actions: the log is the only place left, with workflow commands stopped.
        echo_untrusted(body)
    raise SystemExit(outcome.exit_code)
