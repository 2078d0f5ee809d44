"""Options and settings shared by the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from validator.config import Config, ConfigError, load_config

FORMATS = ("text", "json", "github")


def config_option(func: Any) -> Any:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="validator.toml to use (default: validator.toml or [tool.validator] in pyproject.toml "
        "at the course root).",
    )(func)


def language_option(func: Any) -> Any:
    return click.option(
        "--lang",
        "language",
        type=click.Choice(["en", "ru"]),
        default=None,
        help="Language of messages (default: the config's `language`).",
    )(func)


def fail(message: str) -> None:
    """A usage or I/O error: one clear line on stderr, exit 2, never a traceback."""
    click.echo(f"validator: error: {message}", err=True)
    raise SystemExit(2)


def settings(root: Path, config_path: Path | None) -> Config:
    try:
        return load_config(root, config_path)
    except ConfigError as exc:
        fail(str(exc))
        raise AssertionError("unreachable") from None
