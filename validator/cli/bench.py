"""`validator bench DIR`: re-run a team's declared submission and print what we measured."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from validator.cli.options import config_option, fail, settings
from validator.model import BenchReport, RunResult
from validator.units import format_number, format_quantity

#: Control characters of student text (model cells, error messages, output) never reach the terminal raw:
#: an escape sequence could rewrite what the reader sees.
_CONTROL = {c: "?" for c in [*range(0, 32), *range(127, 160)] if chr(c) not in "\n\t"}


def printable(text: str) -> str:
    return text.translate(_CONTROL)


def team_folders(folder: Path, submissions_dir: str) -> list[Path]:
    """A team folder (has bench.toml), or a course root / submissions folder holding several."""
    if (folder / "bench.toml").is_file():
        return [folder]
    for parent in (folder / submissions_dir, folder):
        if parent.is_dir():
            teams = sorted(p for p in parent.iterdir() if (p / "bench.toml").is_file())
            if teams:
                return teams
    return []


def course_root(folder: Path, submissions_dir: str) -> Path:
    """Where validator.toml would be: above `submissions/<team>` or `submissions/`."""
    if (folder / "bench.toml").is_file() and folder.parent.name == submissions_dir:
        return folder.parent.parent
    if folder.name == submissions_dir:
        return folder.parent
    return folder


class Display:
    """Progress on stderr: one rewritten line on a terminal, plain lines (one per phase) in CI."""

    def __init__(self, team: str, tty: bool):
        self.team, self.tty = team, tty
        self._last = ""

    def __call__(self, event: object) -> None:
        from bench.runner import Progress

        assert isinstance(event, Progress)
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


def _quantity(result: RunResult, field: str) -> str:
    value = result.quantity(field)
    return (
        format_quantity(
            value.model_copy(
                update={
                    "value": round(value.value, 3),
                    "std": None if value.std is None else round(value.std, 3),
                }
            )
        )
        if value
        else "-"
    )


def render_text(report: BenchReport) -> str:
    lines = []
    for run in report.runs:
        head = f"{run.team or ''} {run.model} / {run.method}: {run.status}".strip()
        if run.status != "ok":
            lines.append(f"{head}: {run.error}")
            if run.log_tail:
                lines.extend("    " + line for line in run.log_tail.splitlines()[-12:])
            continue
        speed = "gpu_speed" if run.device == "cuda" else "cpu_speed"
        parts = [f"speed {_quantity(run, speed)}"]
        if run.ms_per_token is not None:
            parts.append(f"({format_number(round(run.ms_per_token.value, 3))} ms/token)")
        parts.append(f"weights {_quantity(run, 'weights_size')}")
        parts.append(f"RAM {_quantity(run, 'ram')}")
        if run.ram_over_baseline is not None:
            parts.append(f"(+{format_number(round(run.ram_over_baseline.value, 1))} MB over the runtime)")
        if run.device == "cuda":
            parts.append(f"VRAM {_quantity(run, 'vram')}")
        if run.quality:
            parts.append(
                ", ".join(f"{m.name} {format_number(round(m.value, 4))}{m.unit or ''}" for m in run.quality)
            )
        parts.append(f"[{run.samples} samples x {run.repeats} repeats, {run.threads or '-'} threads]")
        lines.append(f"{head}: " + " ".join(parts))
    env = report.environment
    lines.append(
        f"environment: {env.cpu}, {env.cores} cores, {format_number(env.ram_mb or 0)} MB RAM, {env.os}, "
        f"Python {env.python}, torch {env.torch}, transformers {env.transformers}"
        + (f", GPU {env.gpu} (driver {env.gpu_driver})" if env.gpu else "")
    )
    return printable("\n".join(lines))


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
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
def bench(
    folder: Path,
    device: str,
    only: str | None,
    timeout_s: float | None,
    memory_limit_mb: int | None,
    output_format: str,
    config_path: Path | None,
) -> None:
    """Re-run the submissions declared in FOLDER/bench.toml in child processes and measure them.

    FOLDER is a team folder (submissions/<team>), or a course root or submissions folder holding several.
    Exit 1 when any run did not end ok.
    """
    from bench import load_manifest, run_manifest
    from bench.manifest import ManifestError
    from bench.trackers.environment import collect_environment

    submissions_dir = "submissions"
    config = settings(course_root(folder.resolve(), submissions_dir), config_path)
    teams = team_folders(folder, config.rules.submissions_dir)
    if not teams:
        fail(f"{folder}: no bench.toml here, in its subfolders or in {config.rules.submissions_dir}/")
    updates: dict[str, object] = {}
    if timeout_s is not None:
        updates["timeout_s"] = timeout_s
    if memory_limit_mb is not None:
        updates["memory_limit_mb"] = memory_limit_mb
    bench_config = config.bench.model_copy(update=updates)
    try:
        manifests = [load_manifest(team) for team in teams]
    except ManifestError as exc:
        fail(str(exc))
        return
    runs = []
    tty = sys.stderr.isatty()
    for manifest in manifests:
        display = Display(manifest.team, tty)
        try:
            report = run_manifest(manifest, device=device, config=bench_config, only=only, progress=display)
        finally:
            display.finish()
        runs.extend(report.runs)
    if only is not None and not runs:
        fail(f"no run of model {only!r} in {', '.join(str(t / 'bench.toml') for t in teams)}")
    full = BenchReport(runs=runs, environment=collect_environment(device, bench_config.threads))
    if output_format == "json":
        click.echo(full.model_dump_json(indent=2))
    else:
        click.echo(render_text(full))
    raise SystemExit(0 if all(run.status == "ok" for run in runs) else 1)
