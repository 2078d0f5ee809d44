"""`validator diff --base REV --head REV`."""

from __future__ import annotations

from pathlib import Path

import click

from validator.app.diff import DiffSettings, run_diff
from validator.cli.options import as_language, config_option, echo, format_option, language_option, or_exit_2
from validator.reporters import FORMATS, render


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
@format_option(FORMATS["diff"])
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
    settings = DiffSettings(
        repo=repo,
        base=base,
        head=head,
        title=title,
        author=author,
        readme=readme,
        config_path=config_path,
        language=as_language(language),
    )
    outcome = or_exit_2(lambda: run_diff(settings))
    echo(render("diff", output_format, outcome.report, outcome.language))
    raise SystemExit(outcome.exit_code)
