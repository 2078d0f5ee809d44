"""`validator bench`: re-run a team's declared submission and measure it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from validator.app import Language, Outcome
from validator.config import load_config
from validator.model import BenchReport, Device

if TYPE_CHECKING:
    from validator.benchmark import ProgressFactory


@dataclass(frozen=True, kw_only=True)
class BenchSettings:
    folder: Path
    device: Device
    only: str | None
    timeout_s: float | None
    memory_limit_mb: int | None
    config_path: Path | None
    language: Language | None


def run_bench(settings: BenchSettings, progress: ProgressFactory | None = None) -> Outcome[BenchReport]:
    """Exit 1 when any run did not end ok. Raises `ConfigError`, `ManifestError`, `SettingsAreInvalid`."""
    from validator.benchmark import course_root, measure  # the harness: only when benchmarking

    config = load_config(course_root(settings.folder.resolve(), "submissions"), settings.config_path)
    updates = {"timeout_s": settings.timeout_s, "memory_limit_mb": settings.memory_limit_mb}
    bench = config.bench.model_copy(update={k: v for k, v in updates.items() if v is not None})
    report = measure(
        settings.folder,
        submissions_dir=config.rules.submissions_dir,
        device=settings.device,
        config=bench,
        only=settings.only,
        progress=progress,
    )
    # A skipped run (it cannot fit this runner) is not a failure: its message says where it would fit.
    code = 0 if all(run.status in ("ok", "skipped") for run in report.runs) else 1
    return Outcome(report, code, settings.language or config.language)
