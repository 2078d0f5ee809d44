"""The command line: thin click commands over plain functions that return data.

Exit codes everywhere: 0 no errors, 1 errors found (or claims failed), 2 usage or I/O error.
"""

from __future__ import annotations

import click

from validator import __version__
from validator.cli.bench import bench
from validator.cli.check import check


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="validator")
def main() -> None:
    """Check student pull requests to a model-compression course."""


main.add_command(check)
main.add_command(bench)
