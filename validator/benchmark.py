"""The `validator bench` job: find the team folders under a path and re-run their manifests through
the harness (`bench/`), one report for all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench import load_manifest, run_manifest, select_runs
from bench.hub import fetch_all
from bench.runner import Progress
from bench.trackers.environment import collect_environment
from validator.config import BenchConfig
from validator.errors import SettingsAreInvalid
from validator.model import BenchReport, Device, Manifest, RunResult

#: Makes the progress callback for one team's runs (a terminal display, a CI log).
ProgressFactory = Callable[[str], Callable[[Progress], None]]


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


def measure(
    folder: Path,
    *,
    submissions_dir: str,
    device: Device,
    config: BenchConfig,
    only: str | None,
    progress: ProgressFactory | None = None,
) -> BenchReport:
    """Every declared run of every team under `folder`; raises `ManifestError`, `SettingsAreInvalid`."""
    teams = team_folders(folder, submissions_dir)
    if not teams:
        raise SettingsAreInvalid(f"{folder}: no bench.toml here, in its subfolders or in {submissions_dir}/")
    manifests: list[Manifest] = [load_manifest(team) for team in teams]
    # Every team's hub artifacts before the first child of any team starts.
    fetch_all([run for manifest in manifests for run in select_runs(manifest, only)], config.hub_cache)
    runs: list[RunResult] = []
    for manifest in manifests:
        callback = progress(manifest.team) if progress else None
        report = run_manifest(manifest, device=device, config=config, only=only, progress=callback)
        runs.extend(report.runs)
    if only is not None and not runs:
        where = ", ".join(str(t / "bench.toml") for t in teams)
        raise SettingsAreInvalid(f"no run of model {only!r} in {where}")
    environment = collect_environment(device, config.threads, config.memory_limit_mb)
    return BenchReport(runs=runs, environment=environment)
