"""`validator manifest --base REV --head REV [--write]`: the bench.toml a team without one should add."""

from __future__ import annotations

from pathlib import Path

import click

from validator.app.manifest import ManifestSettings, run_manifest
from validator.cli.options import config_option, echo, or_exit_2


@click.command()
@click.option("--base", required=True, help="The revision the pull request targets (branch, tag or sha).")
@click.option("--head", required=True, help="The pull request's head revision.")
@click.option("--author", default=None, help="The author's GitHub login; the team file names its team.")
@click.option(
    "--title", default=None, help="The pull request's title (`<team> HW-<n>`), when no author is given."
)
@click.option("--team", default=None, help="The team, named outright (its folder comes from the team file).")
@click.option("--readme", default=None, help="The README holding the table (default: the config's `readme`).")
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The git checkout of the course repository.",
)
@click.option("--write", is_flag=True, help="Write it into the team's folder (never over an existing file).")
@config_option
def manifest(
    base: str,
    head: str,
    author: str | None,
    title: str | None,
    team: str | None,
    readme: str | None,
    repo: Path,
    write: bool,
    config_path: Path | None,
) -> None:
    """Print the manifest declaring the rows a pull request adds, or write it into the team's folder.

    The rows come from the comparison table as `validator diff` reads it; `entry` and `data` are the usual
    names (bench.py:Submission, data/eval.jsonl): edit them to what the team's folder holds.
    """
    settings = ManifestSettings(
        repo=repo,
        base=base,
        head=head,
        author=author,
        title=title,
        team=team,
        readme=readme,
        config_path=config_path,
        write=write,
    )
    outcome = or_exit_2(lambda: run_manifest(settings))
    template = outcome.report
    if template.written is None:
        echo(f"# {template.path}\n{template.text}".rstrip("\n"))
    else:
        echo(
            f"validator: wrote {template.written}: fill in `entry` and `data`, "
            f"then run `validator bench {template.written.parent}`"
        )
