"""The command line: thin click commands over plain functions that return data.

Exit codes everywhere: 0 no errors, 1 errors found (or claims failed), 2 usage or I/O error.
Each command's module is imported only when that command runs, so `validator check` pays for
nothing else (no git, no PyGithub, no harness).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from validator import __version__

#: Command name -> "module:attribute"; the help lists them in this order.
COMMANDS: dict[str, str] = {
    "check": "validator.cli.check:check",
    "diff": "validator.cli.diff:diff",
    "manifest": "validator.cli.manifest:manifest",
    "bench": "validator.cli.bench:bench",
    "verify": "validator.cli.verify:verify",
    "comment": "validator.cli.comment:comment",
    "ci": "validator.cli.ci:ci",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, then kept in `commands`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(COMMANDS)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(dict.fromkeys([*self.lazy, *super().list_commands(ctx)]))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="validator")
def main() -> None:
    """Check student pull requests to a model-compression course."""
