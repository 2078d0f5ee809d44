"""`validator check README.md`."""

from __future__ import annotations

from pathlib import Path

import click

from validator.app.check import CheckSettings, run_check
from validator.cli.options import as_language, config_option, echo, format_option, language_option, or_exit_2
from validator.reporters import FORMATS, render


@click.command()
@click.argument("readme", type=click.Path(path_type=Path), default="README.md")
@format_option(FORMATS["check"])
@config_option
@language_option
def check(readme: Path, output_format: str, config_path: Path | None, language: str | None) -> None:
    """Read the comparison table of README and report every problem in it."""
    settings = CheckSettings(readme=readme, config_path=config_path, language=as_language(language))
    outcome = or_exit_2(lambda: run_check(settings))
    echo(render("check", output_format, outcome.report, outcome.language))
    raise SystemExit(outcome.exit_code)
