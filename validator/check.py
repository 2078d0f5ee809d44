"""`validator check`: read one README into tables, rows and problems."""

from __future__ import annotations

import gc
from pathlib import Path

from validator.config import Config
from validator.errors import ValidatorError
from validator.model import CheckReport
from validator.problems import define, sort_key
from validator.reading import AliasTable, decode, read_tables

#: A README larger than this is not read: the course README is ~10 KiB and a 5,000-row table
#: ~500 KiB. Below it (with the line limit) reading stays under ~2 s and ~500 MB.
MAX_BYTES = 2 * 1024 * 1024

FILE_TOO_LARGE = define(
    "file-too-large",
    "error",
    "the file is {size} bytes; files over {limit} bytes (2 MiB) are not read",
    "размер файла {size} байт; файлы больше {limit} байт (2 МиБ) не читаются",
)


class CannotReadFile(ValidatorError):
    """The file does not exist or cannot be read (exit 2, not a problem in the file)."""


def check_bytes(data: bytes, path: str, config: Config | None = None) -> CheckReport:
    """Read a README's bytes; every problem is collected, nothing is raised."""
    config = config or Config()
    if len(data) > MAX_BYTES:
        return too_large(path, len(data))
    # Reading makes many small objects and no reference cycles: the cyclic collector would only
    # rescan them over and over (a third of a 5,000-row table's time). Memory stays bounded by the
    # input limits; the collector runs again afterwards.
    collecting = gc.isenabled()
    gc.disable()
    try:
        source = decode(data)
        tables, problems = read_tables(source, config.table, AliasTable.build(config.table.aliases))
    finally:
        if collecting:
            gc.enable()
    problems = sorted([*source.problems, *problems], key=sort_key)
    return CheckReport.model_construct(path=path, tables=tables, problems=problems)


def too_large(path: str, size: int | str) -> CheckReport:
    return CheckReport.model_construct(
        path=path, problems=[FILE_TOO_LARGE.at(None, size=size, limit=MAX_BYTES)]
    )


def read_file(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The file's bytes, at most `limit` + 1 of them: a huge file or a device is never read whole."""
    try:
        with path.open("rb") as file:
            return file.read(limit + 1)
    except FileNotFoundError:
        raise CannotReadFile(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CannotReadFile(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise CannotReadFile(f"{path}: cannot read ({exc.strerror})") from None


def check_file(path: Path, config: Config | None = None) -> CheckReport:
    data = read_file(path)
    if len(data) > MAX_BYTES:
        # Only the first MAX_BYTES + 1 bytes were read; the size on disk says how far over it is.
        try:
            on_disk = path.stat().st_size
        except OSError:
            on_disk = 0
        return too_large(str(path), on_disk if on_disk > MAX_BYTES else f"more than {MAX_BYTES}")
    return check_bytes(data, str(path), config)
