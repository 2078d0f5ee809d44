"""Reporters: data in, a string out, one per (report kind, format) and in English or Russian.

| kind | text | json | github | markdown |
|---|---|---|---|---|
| check | problems and tables for a terminal | `CheckReport` | workflow annotations | |
| diff | rows added, changed, removed; problems | `DiffReport` | workflow annotations | |
| bench | one line per run, the environment | `BenchReport` | | |
| verify | claimed vs verified for a terminal | `VerifyReport` | workflow annotations | the PR comment |

A reporter module is imported only when its report is rendered: `validator check` loads only `check`.
Every JSON output carries `schema_version`, and its problem messages are in the requested language.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Literal

Kind = Literal["check", "diff", "bench", "verify"]
Format = Literal["text", "json", "github", "markdown"]
Language = Literal["en", "ru"]
LANGUAGES: tuple[Language, ...] = ("en", "ru")

#: The formats each kind of report can be rendered in; the CLI offers exactly these.
FORMATS: dict[Kind, tuple[Format, ...]] = {
    "check": ("text", "json", "github"),
    "diff": ("text", "json", "github"),
    "bench": ("text", "json"),
    "verify": ("text", "json", "github", "markdown"),
}

#: A reporter: the report and the language, to the rendered string.
Reporter = Callable[[Any, str], str]


def reporter(kind: Kind, name: str) -> Reporter:
    """The reporter of a kind of report by format name; `KeyError` for a format the kind lacks."""
    if name not in FORMATS[kind]:
        raise KeyError(f"{kind} reports have no {name!r} format; they have {', '.join(FORMATS[kind])}")
    module = importlib.import_module(f"validator.reporters.{kind}")
    found: Reporter = module.REPORTER_BY_NAME[name]
    return found


def render(kind: Kind, name: str, report: Any, language: str = "en") -> str:
    return reporter(kind, name)(report, language)
