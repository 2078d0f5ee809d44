"""`validator verify`: claimed versus verified, for a PR (--base/--head) or a whole table (--readme)."""

from __future__ import annotations

from pathlib import Path

import click

from validator.cli.options import (
    as_device,
    as_language,
    config_option,
    echo,
    format_option,
    language_option,
    or_exit_2,
)
from validator.reporters import FORMATS


@click.command()
@click.option("--base", help="The PR's base revision (with --head).")
@click.option("--head", help="The PR's head revision, checked out in the working tree.")
@click.option("--title", help="The PR title; names the team when the author does not.")
@click.option("--author", help="The PR author's GitHub login; the team file names its team.")
@click.option(
    "--readme",
    type=click.Path(path_type=Path),
    help="With --base/--head: the README's path in the repository (default: config `readme`). "
    "Alone: audit this file's whole table, no git needed.",
)
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The course repository (its submissions/ folder holds the manifests).",
)
@click.option(
    "--team",
    help="Only the rows this submission (a folder under submissions/) declares: one job of a CI matrix.",
)
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the report JSON here.")
@click.option(
    "--markdown", type=click.Path(dir_okay=False, path_type=Path), help="Write the Markdown report."
)
@format_option(FORMATS["verify"])
@click.option("--timeout", type=float, help="Seconds per run (default: config bench.timeout_s).")
@click.option("--memory-limit", type=int, help="MB per run (default: config bench.memory_limit_mb).")
@config_option
@language_option
def verify(
    base: str | None,
    head: str | None,
    title: str | None,
    author: str | None,
    readme: Path | None,
    repo: Path,
    team: str | None,
    device: str,
    out: Path | None,
    markdown: Path | None,
    output_format: str,
    timeout: float | None,
    memory_limit: int | None,
    config_path: Path | None,
    language: str | None,
) -> None:
    """Re-run the declared benchmark of each new or changed row and compare every claimed number."""
    from validator.app.verify import VerifySettings, run_verify
    from validator.reporters import render

    settings = VerifySettings(
        base=base,
        head=head,
        title=title,
        author=author,
        readme=readme,
        repo=repo,
        team=team,
        device=as_device(device),
        out=out,
        markdown=markdown,
        timeout_s=timeout,
        memory_limit_mb=memory_limit,
        config_path=config_path,
        language=as_language(language),
    )

    def progress(message: str) -> None:
        click.echo(message, err=True)

    outcome = or_exit_2(lambda: run_verify(settings, progress))
    echo(render("verify", output_format, outcome.report, outcome.language))
    raise SystemExit(outcome.exit_code)
