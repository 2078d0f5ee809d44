"""`validator comment --repo OWNER/NAME --pr N --report report.json`: the sticky PR comment.

`--missing-report RUN_URL` instead says that a run left no report, pointing at its log.
"""

from __future__ import annotations

from pathlib import Path

import click

from validator.cli.options import as_language, config_option, language_option, or_exit_2


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
    from validator.app.comment import CommentSettings, run_comment
    from validator.summary import echo_untrusted

    settings = CommentSettings(
        repo=repo,
        pr=pr,
        report=report_path,
        missing_report=missing_run,
        head_sha=head_sha,
        head_sha_file=head_sha_file,
        author=author,
        summary_only=summary_only,
        root=Path.cwd(),
        config_path=config_path,
        language=as_language(language),
    )
    outcome = or_exit_2(lambda: run_comment(settings))
    publication = outcome.report.publication
    if publication.posted is not None:
        verb = "created" if publication.posted.created else "updated"
        click.echo(f"validator: {verb} the report comment {publication.posted.url}")
    elif publication.reason:
        where = " (the report is in the job summary)" if publication.in_summary else ""
        click.echo(f"validator: not posted: {publication.reason}{where}", err=True)
    if publication.posted is None and not publication.in_summary and not publication.stale:
        # Not on GitHub Actions: the log is the only place left, with workflow commands stopped.
        echo_untrusted(outcome.report.body)
    raise SystemExit(outcome.exit_code)
