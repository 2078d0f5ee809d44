"""`validator verify`: claimed versus verified, for a PR (--base/--head) or a whole table (--readme)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from validator.cli.options import config_option, fail, language_option, settings


@click.command()
@click.option("--base", help="The PR's base revision (with --head).")
@click.option("--head", help="The PR's head revision, checked out in the working tree.")
@click.option("--title", help="The PR title; the team is read from it.")
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
@click.option("--team", help="Only this submission's rows (a job of a CI matrix).")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the report JSON here.")
@click.option(
    "--markdown", type=click.Path(dir_okay=False, path_type=Path), help="Write the Markdown report."
)
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default="text")
@click.option("--timeout", type=float, help="Seconds per run (default: config bench.timeout_s).")
@click.option("--memory-limit", type=int, help="MB per run (default: config bench.memory_limit_mb).")
@config_option
@language_option
def verify(
    base: str | None,
    head: str | None,
    title: str | None,
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
    from validator.config import ConfigError
    from validator.diff import config_at_revision
    from validator.git import CannotReadRevision
    from validator.report import render_markdown, render_text
    from validator.verify import WorkTreeIsNotAtHead, verify_pull_request, verify_readme

    if (base is None) != (head is None):
        fail("--base and --head go together")
    if base is None and readme is None:
        fail("give --base and --head (a pull request), or --readme FILE (audit a whole table)")
    root = repo if base is not None else (readme.resolve().parent if readme and repo == Path(".") else repo)
    if base is not None and config_path is None:
        # A PR cannot relax the rules it is judged by: settings come from the base revision.
        try:
            config = config_at_revision(root, base)
        except (ConfigError, CannotReadRevision) as exc:
            fail(str(exc))
            return
    else:
        config = settings(root, config_path)
    bench = config.bench.model_copy(
        update={
            k: v for k, v in {"timeout_s": timeout, "memory_limit_mb": memory_limit}.items() if v is not None
        }
    )
    config = config.model_copy(update={"bench": bench})
    lang = language or config.language

    def progress(message: str) -> None:
        click.echo(message, err=True)

    try:
        if base is not None and head is not None:
            report = verify_pull_request(
                root,
                base,
                head,
                title=title,
                device=device,  # type: ignore[arg-type]
                config=config,
                readme=str(readme) if readme else None,
                team=team,
                progress=progress,
            )
        else:
            assert readme is not None
            if not readme.is_file():
                fail(f"{readme}: no such file")
            report = verify_readme(readme, root=root, device=device, config=config, progress=progress)  # type: ignore[arg-type]
    except (CannotReadRevision, WorkTreeIsNotAtHead) as exc:
        fail(str(exc))
        return
    # The comment job has no checkout of the course: the report says which language to speak.
    report = report.model_copy(update={"language": lang})
    body = render_markdown(report, lang)
    try:
        if out is not None:
            out.write_text(report.model_dump_json(indent=2), encoding="utf-8")
        if markdown is not None:
            markdown.write_text(body, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write the report: {exc.strerror}")
    if output_format == "json":
        click.echo(report.model_dump_json(indent=2))
    elif output_format == "markdown":
        click.echo(body)
    else:
        click.echo(render_text(report, lang))
    sys.exit(0 if report.verdict == "pass" else 1)
