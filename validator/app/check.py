"""`validator check`: one README's tables and problems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from validator.app import Language, Outcome
from validator.check import check_file
from validator.config import load_config
from validator.model import CheckReport


@dataclass(frozen=True, kw_only=True)
class CheckSettings:
    readme: Path
    config_path: Path | None
    language: Language | None


def run_check(settings: CheckSettings) -> Outcome[CheckReport]:
    """Raises `ConfigError`, `CannotReadFile`."""
    config = load_config(settings.readme.resolve().parent, settings.config_path)
    report = check_file(settings.readme, config)
    return Outcome(report, 1 if report.has_errors else 0, settings.language or config.language)
