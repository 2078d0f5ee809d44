"""`validator check README.md`."""

from __future__ import annotations

from pathlib import Path

import click

from validator.check import CannotReadFile, check_file
from validator.cli.options import FORMATS, config_option, fail, language_option, settings
from validator.reporters import REPORTER_BY_NAME


@click.command()
@click.argument("readme", type=click.Path(path_type=Path), default="README.md")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True)
@config_option
@language_option
def check(readme: Path, output_format: str, config_path: Path | None, language: str | None) -> None:
    """Read the comparison table of README and report every problem in it."""
    config = settings(readme.resolve().parent, config_path)
    try:
        report = check_file(readme, config)
    except CannotReadFile as exc:
        fail(str(exc))
        return
    output = REPORTER_BY_NAME[output_format](report, language or config.language)
    if output:
        click.echo(output)
    raise SystemExit(1 if report.has_errors else 0)
