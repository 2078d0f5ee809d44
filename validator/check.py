"""`validator check`: read one README into tables, rows and problems."""

from __future__ import annotations

from pathlib import Path

from validator.config import Config
from validator.headers import AliasTable
from validator.model import CheckReport
from validator.problems import sort_key
from validator.table import decode, read_tables


class CannotReadFile(Exception):
    """The file does not exist or cannot be read (exit 2, not a problem in the file)."""


def check_bytes(data: bytes, path: str, config: Config | None = None) -> CheckReport:
    """Read a README's bytes; every problem is collected, nothing is raised."""
    config = config or Config()
    source = decode(data)
    tables, problems = read_tables(source, config.table, AliasTable.build(config.table.aliases))
    problems = sorted([*source.problems, *problems], key=sort_key)
    return CheckReport(path=path, tables=tables, problems=problems)


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CannotReadFile(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CannotReadFile(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise CannotReadFile(f"{path}: cannot read ({exc.strerror})") from None


def check_file(path: Path, config: Config | None = None) -> CheckReport:
    return check_bytes(read_file(path), str(path), config)
