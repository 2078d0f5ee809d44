"""`validator verify`: claimed versus verified, for a pull request (base and head) or a whole table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from validator.app import Language, Outcome, ProgressLine
from validator.app.diff import course_config
from validator.config import load_config
from validator.errors import SettingsAreInvalid, ValidatorError
from validator.model import Device, VerifyReport


class CannotWriteReport(ValidatorError):
    """--out or --markdown cannot be written."""


@dataclass(frozen=True, kw_only=True)
class VerifySettings:
    #: A pull request: both revisions; or neither, and `readme` is a file whose whole table is audited.
    base: str | None
    head: str | None
    title: str | None
    readme: Path | None
    #: The PR author's GitHub login: the team file names its team.
    author: str | None
    repo: Path
    #: Only this submission's rows (one job of a CI matrix).
    team: str | None
    device: Device
    #: Where the report JSON and the Markdown report are written, if anywhere.
    out: Path | None
    markdown: Path | None
    timeout_s: float | None
    memory_limit_mb: int | None
    config_path: Path | None
    language: Language | None


def run_verify(settings: VerifySettings, progress: ProgressLine | None = None) -> Outcome[VerifyReport]:
    """Exit 0 when the verdict is pass, else 1.

    Raises `SettingsAreInvalid`, `ConfigError`, `CannotReadRevision`, `WorkTreeIsNotAtHead`,
    `CannotWriteReport`.
    """
    from validator.reporters.verify import render_markdown
    from validator.verify import verify_pull_request, verify_readme

    base, head, readme = settings.base, settings.head, settings.readme
    if (base is None) != (head is None):
        raise SettingsAreInvalid("--base and --head go together")
    if base is None and readme is None:
        raise SettingsAreInvalid(
            "give --base and --head (a pull request), or --readme FILE (audit a whole table)"
        )
    if base is not None:
        root = settings.repo
        # A PR cannot relax the rules it is judged by: settings come from the base revision.
        config = course_config(root, base, settings.config_path)
    else:
        assert readme is not None
        root = readme.resolve().parent if settings.repo == Path(".") else settings.repo
        config = load_config(root, settings.config_path)
    updates = {"timeout_s": settings.timeout_s, "memory_limit_mb": settings.memory_limit_mb}
    bench = config.bench.model_copy(update={k: v for k, v in updates.items() if v is not None})
    config = config.model_copy(update={"bench": bench})
    language = settings.language or config.language
    if base is not None and head is not None:
        report = verify_pull_request(
            root,
            base,
            head,
            title=settings.title,
            author=settings.author,
            device=settings.device,
            config=config,
            readme=str(readme) if readme else None,
            team=settings.team,
            progress=progress,
        )
    else:
        assert readme is not None
        if not readme.is_file():
            raise SettingsAreInvalid(f"{readme}: no such file")
        report = verify_readme(
            readme, root=root, device=settings.device, config=config, team=settings.team, progress=progress
        )
    try:
        if settings.out is not None:
            settings.out.write_text(report.model_dump_json(indent=2), encoding="utf-8")
        if settings.markdown is not None:
            settings.markdown.write_text(render_markdown(report, language), encoding="utf-8")
    except OSError as exc:
        raise CannotWriteReport(f"cannot write the report: {exc.strerror}") from None
    return Outcome(report, 0 if report.verdict == "pass" else 1, language)
