"""`validator bench DIR`: re-run a team's declared submission and print what we measured."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from bench.runner import Progress


class Display:
    """Progress on stderr: one rewritten line on a terminal, plain lines (one per phase) in CI."""

    def __init__(self, team: str, tty: bool):
        self.team, self.tty = team, tty
        self._last = ""

    def __call__(self, event: Progress) -> None:
        from validator.reporters.bench import printable

        where = f"[{event.index + 1}/{event.count}] {self.team}: {event.model} / {event.method}"
        if self.tty:
            done = f" {event.done}/{event.total}" if event.total else ""
            line = f"{where}: {event.phase}{done}"
            click.echo("\r\033[K" + printable(line[:150]).replace("\n", " "), nl=False, err=True)
        elif event.phase not in ("predict", "report", "done") or (
            event.phase == "predict" and not event.done
        ):
            line = f"{where}: {event.phase}"
            if line != self._last:
                click.echo(printable(line), err=True)
            self._last = line

    def finish(self) -> None:
        if self.tty:
            click.echo("\r\033[K", nl=False, err=True)


class Displays:
    """One display per team, each finished before the next begins (and at the end)."""

    def __init__(self, tty: bool):
        self.tty = tty
        self.current: Display | None = None

    def __call__(self, team: str) -> Callable[[Progress], None]:
        self.finish()
        self.current = Display(team, self.tty)
        return self.current

    def finish(self) -> None:
        if self.current is not None:
            self.current.finish()
            self.current = None


@click.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--only", "only", default=None, help="Only the runs of this model (or 'model/method').")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Seconds each run may take (default: the config's bench.timeout_s).",
)
@click.option(
    "--memory-limit",
    "memory_limit_mb",
    type=click.IntRange(min=16),
    default=None,
    help="MB of RAM each run's process tree may use (default: bench.memory_limit_mb).",
)
@format_option(FORMATS["bench"])
@config_option
@language_option
def bench(
    folder: Path,
    device: str,
    only: str | None,
    timeout_s: float | None,
    memory_limit_mb: int | None,
    output_format: str,
    config_path: Path | None,
    language: str | None,
) -> None:
    """Re-run the submissions declared in FOLDER/bench.toml in child processes and measure them.

    FOLDER is a team folder (submissions/<team>), or a course root or submissions folder holding several.
    Exit 1 when any run did not end ok.
    """
    from validator.app.bench import BenchSettings, run_bench
    from validator.reporters import render

    settings = BenchSettings(
        folder=folder,
        device=as_device(device),
        only=only,
        timeout_s=timeout_s,
        memory_limit_mb=memory_limit_mb,
        config_path=config_path,
        language=as_language(language),
    )
    displays = Displays(sys.stderr.isatty())
    try:
        outcome = or_exit_2(lambda: run_bench(settings, displays))
    finally:
        displays.finish()
    echo(render("bench", output_format, outcome.report, outcome.language))
    raise SystemExit(outcome.exit_code)
