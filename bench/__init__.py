"""The benchmark harness: re-runs a team's declared submission and measures it from outside.

`run_manifest(manifest, device=..., config=...)` runs every declared run, each in its own child
process (`bench.runner.run_submission`), and returns a `BenchReport`. Heavy libraries (torch,
transformers, jiwer, pynvml) are only imported in the child or where a measurement needs them.
"""

from __future__ import annotations

from bench.hub import fetch_all
from bench.manifest import Manifest, ManifestError, RunSpec, load_manifest
from bench.runner import Progress, ProgressCallback, run_submission
from bench.trackers.environment import collect_environment
from validator.config import BenchConfig
from validator.model import BenchReport, RunResult

__all__ = [
    "BenchConfig",
    "Manifest",
    "ManifestError",
    "Progress",
    "RunSpec",
    "collect_environment",
    "load_manifest",
    "run_manifest",
    "run_submission",
    "select_runs",
]


def select_runs(manifest: Manifest, only: str | None = None) -> list[RunSpec]:
    """All runs, or those whose model (or `model/method`) is `only`, compared case-insensitively."""
    if only is None:
        return list(manifest.runs)
    wanted = " ".join(only.casefold().split())
    return [
        run
        for run in manifest.runs
        if wanted in (run.key[0], f"{run.key[0]}/{run.key[1]}", f"{run.key[0]} / {run.key[1]}")
    ]


def run_manifest(
    manifest: Manifest,
    *,
    device: str,
    config: BenchConfig,
    only: str | None = None,
    progress: ProgressCallback | None = None,
) -> BenchReport:
    """Measure the team's runs one after the other; a failing run never stops the others."""
    runs = select_runs(manifest, only)
    fetch_all(runs, config.hub_cache)  # every hub artifact before the first child starts
    results: list[RunResult] = []
    for index, run in enumerate(runs):
        results.append(
            run_submission(
                manifest, run, device=device, config=config, progress=progress, index=index, count=len(runs)
            )
        )
    environment = collect_environment(device, config.threads, config.memory_limit_mb)
    return BenchReport(runs=results, environment=environment)
