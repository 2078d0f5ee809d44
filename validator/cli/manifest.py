"""`validator manifest --base REV --head REV [--write]`: the bench.toml a team without one should add."""

from __future__ import annotations

from pathlib import Path

import click

from validator.cli.options import config_option, fail, settings
from validator.config import ConfigError
from validator.diff import config_at_revision, manifest_for_pull_request
from validator.git import CannotReadRevision


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
    try:
        config = settings(repo, config_path) if config_path else config_at_revision(repo, base)
        path, text = manifest_for_pull_request(
            repo,
            base,
            head,
            author=author,
            title=title,
            team=team,
            readme=str(readme or config.readme),
            config=config,
        )
    except (CannotReadRevision, ConfigError) as exc:
        fail(str(exc))
        return
    if not write:
        click.echo(f"# {path}\n{text}", nl=False)
        return
    target = repo / path
    if target.exists():
        fail(f"{target} exists already: add the [[run]] tables below to it by hand\n{text}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    click.echo(
        f"validator: wrote {target}: fill in `entry` and `data`, then run `validator bench {target.parent}`"
    )
