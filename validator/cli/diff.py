"""`validator diff --base REV --head REV`."""

from __future__ import annotations

from pathlib import Path

import click

from validator.cli.options import FORMATS, config_option, fail, language_option, settings
from validator.config import ConfigError
from validator.diff import DIFF_REPORTER_BY_NAME, config_at_revision, diff_revisions
from validator.git import CannotReadRevision


@click.command()
@click.option("--base", required=True, help="The revision the pull request targets (branch, tag or sha).")
@click.option("--head", required=True, help="The pull request's head revision.")
@click.option(
    "--author", default=None, help="The pull request author's GitHub login; the team file names its team."
)
@click.option(
    "--title",
    default=None,
    help="The pull request's title; names the team (`<team> HW-<n>`) when the author does not.",
)
@click.option("--readme", default=None, help="The README holding the table (default: the config's `readme`).")
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The git checkout of the course repository.",
)
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True)
@config_option
@language_option
def diff(
    base: str,
    head: str,
    author: str | None,
    title: str | None,
    readme: str | None,
    repo: Path,
    output_format: str,
    config_path: Path | None,
    language: str | None,
) -> None:
    """Report what a pull request changed in the comparison table, and whether it may.

    Both versions are read from git objects: the checkout is never switched, and a shallow clone holding
    both commits is enough. Without --config, the settings are read from the BASE revision.
    """
    try:
        config = settings(repo, config_path) if config_path else config_at_revision(repo, base)
        report = diff_revisions(
            repo, base, head, title=title, author=author, readme=str(readme or config.readme), config=config
        )
    except (CannotReadRevision, ConfigError) as exc:
        fail(str(exc))
        return
    output = DIFF_REPORTER_BY_NAME[output_format](report, language or config.language)
    if output:
        click.echo(output)
    raise SystemExit(1 if report.has_errors else 0)
