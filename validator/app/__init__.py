"""The application layer: one typed function per command, settings in, data and an exit code out.

`validator.cli` parses options into a frozen settings object and calls `run(settings)`; `validator ci`
calls the same functions directly. Nothing here prints or exits: progress goes to an injected
callback, and a usage or I/O error is raised as a `validator.errors.ValidatorError`, which the CLI
turns into a message and exit 2. Settings have no defaults, so a caller that forgets one (a dropped
`--team`) is a type error, not a silent no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

R = TypeVar("R")
Language = Literal["en", "ru"]
#: A line of progress for the person waiting (the CLI prints it on stderr).
ProgressLine = Callable[[str], None]


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """What a command produced: its report, the exit code (0 ok, 1 problems or failed claims), and the
    language the report is to be rendered in (the flag, else the course's setting)."""

    report: R
    exit_code: int
    language: Language
