"""The README's command table says exactly which formats and options each command takes."""

from __future__ import annotations

import re

import click
import pytest

from tests.conftest import ROOT
from validator.cli import COMMANDS, main

README = ROOT / "README.md"


def _table() -> dict[str, tuple[set[str], bool]]:
    """Command name -> (the formats the table lists, whether it says the command takes --lang)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Commands") :]
    rows: dict[str, tuple[set[str], bool]] = {}
    for line in section.splitlines()[2:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        match = re.match(r"`validator (\w+)", cells[0])
        if match is None:
            continue
        rows[match[1]] = (set(re.findall(r"`(\w+)`", cells[1])), cells[2] == "yes")
    return rows


def _command(name: str) -> click.Command:
    with click.Context(main) as ctx:
        command = main.get_command(ctx, name)
    assert command is not None
    return command


def _option(command: click.Command, flag: str) -> click.Option | None:
    return next((p for p in command.params if isinstance(p, click.Option) and flag in p.opts), None)


def test_the_table_lists_every_command() -> None:
    assert set(_table()) == set(COMMANDS)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_table_states_formats_and_language_exactly(name: str) -> None:
    formats, takes_lang = _table()[name]
    command = _command(name)
    option = _option(command, "--format")
    offered = (
        set(option.type.choices) if option is not None and isinstance(option.type, click.Choice) else set()
    )
    assert offered == formats, f"`validator {name} --format`: README says {formats}, the CLI {offered}"
    assert (_option(command, "--lang") is not None) == takes_lang
    assert _option(command, "--config") is not None  # "Every command also takes --config FILE"
