"""`validator diff`: what a pull request changed in the comparison table, and whether it may."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from validator.app import Language, Outcome
from validator.config import Config, load_config
from validator.diff import config_at_revision, diff_revisions
from validator.model import DiffReport


@dataclass(frozen=True, kw_only=True)
class DiffSettings:
    repo: Path
    base: str
    head: str
    title: str | None
    #: The PR author's GitHub login: the team file names its team.
    author: str | None
    readme: str | None
    config_path: Path | None
    language: Language | None


def course_config(repo: Path, base: str, config_path: Path | None) -> Config:
    """An explicit file, else the base revision's settings: a PR cannot relax the rules it is judged by."""
    return load_config(repo, config_path) if config_path else config_at_revision(repo, base)


def run_diff(settings: DiffSettings) -> Outcome[DiffReport]:
    """Raises `ConfigError`, `CannotReadRevision`."""
    config = course_config(settings.repo, settings.base, settings.config_path)
    report = diff_revisions(
        settings.repo,
        settings.base,
        settings.head,
        title=settings.title,
        author=settings.author,
        readme=str(settings.readme or config.readme),
        config=config,
    )
    return Outcome(report, 1 if report.has_errors else 0, settings.language or config.language)
