"""A file's bytes -> its text, never failing: a BOM dropped, bad UTF-8 and NUL bytes replaced and
reported, text encoded twice (UTF-8 read as Mac Roman) repaired and reported."""

from __future__ import annotations

from dataclasses import dataclass, field

from validator.model import Problem
from validator.problems import define

ENCODING_INVALID = define(
    "encoding-invalid",
    "error",
    "the file is not valid UTF-8 (first bad byte at line {bad_line}, column {bad_column}); it was read with "
    "replacement characters, save it as UTF-8",
    "файл не в кодировке UTF-8 (первый неверный байт: строка {bad_line}, столбец {bad_column}); "
    "он прочитан с заменой символов, сохраните его в UTF-8",
)
ENCODING_MOJIBAKE = define(
    "encoding-mojibake",
    "warning",
    "the file's text was encoded twice (UTF-8 read as Mac Roman, e.g. `{sample}`); it was read repaired, "
    "re-save it as plain UTF-8",
    "текст файла закодирован дважды (UTF-8, прочитанный как Mac Roman, например `{sample}`); он прочитан "
    "с исправлением, пересохраните файл в UTF-8",
)
NUL_BYTES = define(
    "nul-byte",
    "warning",
    "the file holds {count} NUL byte(s); they were read as U+FFFD",
    "в файле {count} NUL-байт(ов); они прочитаны как U+FFFD",
)


@dataclass
class Source:
    """The decoded text of a file, with what decoding found."""

    text: str
    lines: list[str]
    problems: list[Problem] = field(default_factory=list)


def _repair_mojibake(text: str) -> str | None:
    """UTF-8 that was once read as Mac Roman and saved again (the course seed is): undo it.

    Only when the round trip is exact and yields Cyrillic, so real text is never touched.
    """
    if "\u2013" not in text and "\u2014" not in text:  # '–'/'—' render UTF-8 lead bytes 0xD0/0xD1
        return None
    try:
        repaired = text.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    return repaired if any("\u0400" <= char <= "\u04ff" for char in repaired) else None


def decode(data: bytes) -> Source:
    """Bytes -> text, never failing: bad UTF-8 is replaced and reported, a BOM dropped, mojibake repaired."""
    problems: list[Problem] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        problems.append(ENCODING_INVALID.at(line, column, bad_line=line, bad_column=column))
        text = data.decode("utf-8", "replace")
    if "\x00" in text:
        problems.append(NUL_BYTES.at(None, count=text.count("\x00")))
        text = text.replace("\x00", "\ufffd")
    repaired = _repair_mojibake(text)
    if repaired is not None:
        first = next(i for i, char in enumerate(text) if ord(char) > 127)
        line = text.count("\n", 0, first) + 1
        problems.append(ENCODING_MOJIBAKE.at(line, None, sample=text[first : first + 2]))
        text = repaired
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Source(text, text.split("\n"), problems)
