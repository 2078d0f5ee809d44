"""Options shared by the commands, and the one place a usage or I/O error becomes exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from validator.errors import ValidatorError

if TYPE_CHECKING:
    from validator.app import Language
    from validator.model import Device

T = TypeVar("T")
Decorator = Callable[[Any], Any]


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
        help="Language of messages and reports (default: the config's `language`).",
    )(func)


def format_option(formats: tuple[str, ...], default: str = "text", help: str | None = None) -> Decorator:
    """`--format`, offering exactly the formats given (the reporters' formats for the command's report)."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(formats),
        default=default,
        show_default=True,
        help=help or "How to print the report.",
    )


def fail(message: str) -> None:
    """A usage or I/O error: one clear line on stderr, exit 2, never a traceback."""
    click.echo(f"validator: error: {message}", err=True)
    raise SystemExit(2)


def or_exit_2(run: Callable[[], T]) -> T:
    """Call the application function; its usage or I/O errors become a message and exit 2."""
    try:
        return run()
    except ValidatorError as exc:
        fail(str(exc))
        raise AssertionError("unreachable") from None


def echo(output: str) -> None:
    if output:
        click.echo(output)


def as_language(value: str | None) -> Language | None:
    """click.Choice(["en", "ru"]) has checked it; the type says so."""
    return cast("Language | None", value)


def as_device(value: str) -> Device:
    return cast("Device", value)
