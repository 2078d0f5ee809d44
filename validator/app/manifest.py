"""`validator manifest`: the bench.toml a team without one adds, filled in from its pull request's rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from validator.app import Outcome
from validator.app.diff import course_config
from validator.diff import manifest_for_pull_request
from validator.errors import ValidatorError


class CannotWriteManifest(ValidatorError):
    """The team's folder already has a manifest, or the file cannot be written."""


@dataclass(frozen=True, kw_only=True)
class ManifestSettings:
    repo: Path
    base: str
    head: str
    author: str | None
    title: str | None
    #: The team named outright (a student's local run); else found as `validator diff` finds it.
    team: str | None
    readme: str | None
    config_path: Path | None
    #: Write the file into the team's folder of the working tree (never over an existing one).
    write: bool


@dataclass(frozen=True)
class ManifestTemplate:
    #: The manifest's path in the course (`<team folder>/bench.toml`).
    path: str
    text: str
    #: Where it was written, when it was.
    written: Path | None = None


def run_manifest(settings: ManifestSettings) -> Outcome[ManifestTemplate]:
    """Raises `ConfigError`, `CannotReadRevision` (with `NothingToDeclare`), `CannotWriteManifest`."""
    config = course_config(settings.repo, settings.base, settings.config_path)
    path, text = manifest_for_pull_request(
        settings.repo,
        settings.base,
        settings.head,
        author=settings.author,
        title=settings.title,
        team=settings.team,
        readme=str(settings.readme or config.readme),
        config=config,
    )
    if not settings.write:
        return Outcome(ManifestTemplate(path, text), 0, config.language)
    target = settings.repo / path
    if target.exists():
        raise CannotWriteManifest(
            f"{target} exists already: add the [[run]] tables below to it by hand\n{text}"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CannotWriteManifest(f"{target}: cannot write ({exc.strerror})") from None
    return Outcome(ManifestTemplate(path, text, target), 0, config.language)
