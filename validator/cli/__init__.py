"""The command line: thin click commands over plain functions that return data.

Exit codes everywhere: 0 no errors, 1 errors found (or claims failed), 2 usage or I/O error.
"""

from __future__ import annotations

import click

from validator import __version__
from validator.cli.check import check
from validator.cli.ci import ci
from validator.cli.comment import comment
from validator.cli.diff import diff
from validator.cli.verify import verify


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="validator")
def main() -> None:
    """Check student pull requests to a model-compression course."""


main.add_command(check)
main.add_command(diff)
main.add_command(verify)
main.add_command(comment)
main.add_command(ci)
