"""Reading the course README: Markdown (markdown-it-py) -> tables -> typed rows, and problems.

Structure comes from markdown-it-py's tokens (their `map` gives lines); cell columns come from
splitting the row's own source line on its unescaped pipes, the same way the GFM table rule does.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from validator.cell import (
    CELL_NO_UNIT,
    CellIssue,
    QuantityCell,
    is_placeholder,
    parse_quality,
    parse_quantity,
)
from validator.config import TableConfig
from validator.headers import AliasTable, HeaderInfo, normalize_header, parse_header
from validator.model import QUANTITY_FIELDS, CellSource, Metric, Problem, Quantity, Row, Table
from validator.problems import define

ENCODING_INVALID = define(
    "encoding-invalid", "error",
    "the file is not valid UTF-8 (first bad byte at line {bad_line}, column {bad_column}); it was read with "
    "replacement characters, save it as UTF-8",
    "файл не в кодировке UTF-8 (первый неверный байт: строка {bad_line}, столбец {bad_column}); "
    "он прочитан с заменой символов, сохраните его в UTF-8",
)
ENCODING_MOJIBAKE = define(
    "encoding-mojibake", "warning",
    "the file's text was encoded twice (UTF-8 read as Mac Roman, e.g. `{sample}`); it was read repaired, "
    "re-save it as plain UTF-8",
    "текст файла закодирован дважды (UTF-8, прочитанный как Mac Roman, например `{sample}`); он прочитан "
    "с исправлением, пересохраните файл в UTF-8",
)
NUL_BYTES = define(
    "nul-byte", "warning",
    "the file holds {count} NUL byte(s); they were read as U+FFFD",
    "в файле {count} NUL-байт(ов); они прочитаны как U+FFFD",
)
TABLE_MISSING = define(
    "table-missing", "error",
    "no comparison table found: expected a Markdown table whose header names the model, the method "
    "and the measurements (e.g. `| Модель | Метод | Размер весов | ... |`)",
    "сравнительная таблица не найдена: ожидается Markdown-таблица с заголовком, где названы модель, метод "
    "и замеры (например, `| Модель | Метод | Размер весов | ... |`)",
)
TABLE_TRANSPOSED = define(
    "table-transposed", "error",
    "this table is transposed: measurements are rows (`{first}` ...) and models are columns; the course "
    "table has one row per (model, method), with measurements as columns",
    "таблица транспонирована: замеры идут строками (`{first}` ...), а модели — столбцами; в таблице курса "
    "одна строка на (модель, метод), замеры — столбцы",
)
TABLE_NOT_MARKDOWN = define(
    "table-not-markdown", "error",
    "a table written as {shape} is not read; write it as a Markdown table (`| Модель | Метод | ... |`)",
    "таблица в виде {shape} не читается; запишите её как Markdown-таблицу (`| Модель | Метод | ... |`)",
)
HEADER_UNKNOWN = define(
    "header-unknown", "warning",
    "column `{header}` is not a field we know; its cells are kept as notes. Rename it (e.g. `{example}`) "
    "or add an alias under [table.aliases] in validator.toml",
    "столбец `{header}` не распознан; его ячейки сохранены как примечания. Переименуйте его (например, "
    "`{example}`) или добавьте синоним в [table.aliases] файла validator.toml",
)
HEADER_DUPLICATE = define(
    "header-duplicate", "warning",
    "column `{header}` repeats the field {field} of column {first}; only the first is read, this one's "
    "cells are kept as notes",
    "столбец `{header}` повторяет поле {field} столбца {first}; читается только первый, ячейки этого "
    "сохранены как примечания",
)
HEADER_NO_MODEL = define(
    "header-no-model", "error",
    "the comparison table has no model column (`Модель` / `Model`)",
    "в сравнительной таблице нет столбца модели (`Модель` / `Model`)",
)
ROW_CELL_COUNT = define(
    "row-cell-count", "warning",
    "this row has {found} cells, the header has {expected}; {what}",
    "в строке {found} ячеек, в заголовке {expected}; {what}",
)
ROW_NO_MODEL = define(
    "row-no-model", "error",
    "this row has no model name; the row is not read",
    "в строке нет названия модели; строка не прочитана",
)
ROW_DUPLICATE = define(
    "row-duplicate", "warning",
    "the row ({model}, {method}) repeats line {first}",
    "строка ({model}, {method}) повторяет строку {first}",
)

_HTML_BREAK = re.compile(r"<\s*/?\s*br\s*/?\s*>", re.IGNORECASE)


@functools.cache
def _markdown() -> MarkdownIt:
    # Built on first use: `validator check` pays for nothing it does not run.
    return MarkdownIt("commonmark", {"html": True}).enable("table")


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


def inline_text(token: Token) -> str:
    """An inline token's text without markup: `**0.431**` -> `0.431`, `<br>` -> a newline."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "html_inline":
            if _HTML_BREAK.fullmatch(child.content.strip()):
                parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()


def cell_columns(line: str) -> list[tuple[int, str]]:
    """Split a table row's source line on its unescaped pipes, outside code spans.

    Returns (1-based column of the cell's first non-blank character, raw cell text) per cell.
    """
    cells: list[tuple[int, str]] = []
    start = 0
    in_code = False
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\":
            index += 2
            continue
        if char == "`":
            in_code = not in_code
        elif char == "|" and not in_code:
            cells.append((start, line[start:index]))
            start = index + 1
        index += 1
    cells.append((start, line[start:]))
    stripped = line.strip()
    # A leading pipe opens the row and a trailing one closes it: neither starts a cell.
    if cells and stripped.startswith(("|", ">")) and not cells[0][1].strip(" >"):
        cells = cells[1:]
    if cells and stripped.endswith("|") and not cells[-1][1].strip():
        cells = cells[:-1]
    result = []
    for offset, raw in cells:
        lead = len(raw) - len(raw.lstrip())
        result.append((offset + lead + 1, raw.strip()))
    return result


@dataclass
class _RawTable:
    line: int
    heading: str | None
    header_tokens: list[Token]
    rows: list[tuple[int, list[Token]]]


def _collect_tables(tokens: Sequence[Token]) -> tuple[list[_RawTable], list[tuple[int, str]]]:
    """Tables in document order, and other shapes a table might be pasted in: (line, shape)."""
    tables: list[_RawTable] = []
    others: list[tuple[int, str]] = []
    heading: str | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open":
            heading = tokens[index + 1].content if index + 1 < len(tokens) else None
        elif token.type == "table_open":
            line = token.map[0] + 1 if token.map else 1
            header: list[Token] = []
            rows: list[tuple[int, list[Token]]] = []
            current: list[Token] | None = None
            in_head = False
            index += 1
            while index < len(tokens) and tokens[index].type != "table_close":
                inner = tokens[index]
                if inner.type == "thead_open":
                    in_head = True
                elif inner.type == "thead_close":
                    in_head = False
                elif inner.type == "tr_open":
                    current = []
                    if not in_head:
                        rows.append((inner.map[0] + 1 if inner.map else line, current))
                elif inner.type == "inline" and current is not None:
                    (header if in_head else current).append(inner)
                index += 1
            tables.append(_RawTable(line, heading, header, rows))
        elif token.type == "html_block" and "<table" in token.content.casefold():
            others.append((token.map[0] + 1 if token.map else 1, "an HTML <table>"))
        elif token.type in ("fence", "code_block") and token.content.count("|") >= 6:
            others.append((token.map[0] + 1 if token.map else 1, "a code block"))
        index += 1
    return tables, others


@dataclass
class _Column:
    info: HeaderInfo
    index: int
    read: bool


def _under_heading(heading: str | None, config: TableConfig) -> bool:
    if heading is None:
        return False
    folded = normalize_header(heading)
    return any(normalize_header(h) in folded for h in config.heading)


def read_tables(source: Source, config: TableConfig, aliases: AliasTable | None = None) -> tuple[
    list[Table], list[Problem]
]:
    """Every table of the document, each row read into the data model, with problems."""
    aliases = aliases or AliasTable.build(config.aliases)
    tokens = _markdown().parse(source.text)
    raw_tables, others = _collect_tables(tokens)
    tables: list[Table] = []
    problems: list[Problem] = []
    for raw in raw_tables:
        table, found = _read_table(raw, source, config, aliases)
        tables.append(table)
        problems.extend(found)
    if not any(t.kind == "comparison" for t in tables):
        transposed = [p for p in problems if p.code == TABLE_TRANSPOSED.code]
        for line, shape in others:
            problems.append(TABLE_NOT_MARKDOWN.at(line, 1, shape=shape))
        if not transposed and not others:
            problems.append(TABLE_MISSING.at(None))
    return tables, problems


def _read_table(
    raw: _RawTable, source: Source, config: TableConfig, aliases: AliasTable
) -> tuple[Table, list[Problem]]:
    problems: list[Problem] = []
    header_line = source.lines[raw.line - 1] if raw.line - 1 < len(source.lines) else ""
    header_positions = cell_columns(header_line)
    headers = [inline_text(t) for t in raw.header_tokens]
    infos = [parse_header(h, aliases) for h in headers]
    fields = [i.field for i in infos]
    recognized = {f for f in fields if f}
    is_comparison = "model" in recognized and (
        len(recognized) >= config.min_fields or _under_heading(raw.heading, config)
    )
    if not is_comparison:
        first_column = [inline_text(cells[0]) for _, cells in raw.rows if cells]
        down = {parse_header(text, aliases).field for text in first_column} - {None, "model"}
        if len(down) >= config.min_fields:
            problems.append(TABLE_TRANSPOSED.at(raw.line, 1, first=first_column[0] if first_column else ""))
        elif (
            _under_heading(raw.heading, config) and len(recognized) >= 2 and "model" not in recognized
        ):
            problems.append(HEADER_NO_MODEL.at(raw.line, 1))
        return Table(line=raw.line, kind="other", columns=list(fields), headers=headers), problems

    def header_column(index: int) -> int:
        return header_positions[index][0] if index < len(header_positions) else 1

    columns: list[_Column] = []
    first_of: dict[str, int] = {}
    for index, info in enumerate(infos):
        read = info.field is not None
        if info.field is None:
            problems.append(
                HEADER_UNKNOWN.at(
                    raw.line, header_column(index), header=info.text, example="Размер весов (MB)"
                )
            )
        elif info.field != "quality" and info.field in first_of:
            read = False
            problems.append(
                HEADER_DUPLICATE.at(
                    raw.line, header_column(index), header=info.text, field=info.field,
                    first=first_of[info.field] + 1,
                )
            )
        else:
            first_of.setdefault(info.field, index)
        columns.append(_Column(info, index, read))

    rows: list[Row] = []
    pending: list[tuple[int, int, QuantityCell, str]] = []  # (row, column) cells lacking a unit
    seen: dict[tuple[str, str], int] = {}
    for line_number, cells in raw.rows:
        source_line = source.lines[line_number - 1] if line_number - 1 < len(source.lines) else ""
        positions = cell_columns(source_line)
        if len(positions) != len(headers):
            if len(positions) > len(headers):
                lost = " | ".join(text for _, text in positions[len(headers) :])
                what = f"the extra cells (`{lost}`) are kept as notes"
            else:
                what = "the missing cells are read as not measured"
            problems.append(
                ROW_CELL_COUNT.at(line_number, 1, found=len(positions), expected=len(headers), what=what)
            )
        row, found, missing_units = _read_row(
            line_number, cells, positions, columns, config, raw_extra=positions[len(headers) :]
        )
        problems.extend(found)
        if row is None:
            continue
        if row.key in seen:
            problems.append(
                ROW_DUPLICATE.at(
                    line_number, 1, model=row.model, method=row.method or "-", first=seen[row.key]
                )
            )
        seen.setdefault(row.key, line_number)
        pending.extend((line_number, col, cell, f) for col, cell, f in missing_units)
        rows.append(row)

    problems.extend(_suggest_units(pending, rows, problems))
    table = Table(line=raw.line, kind="comparison", columns=list(fields), headers=headers, rows=rows)
    return table, problems


def _issue_problem(issue: CellIssue, line: int, column: int) -> Problem:
    return issue.kind.at(line, column, suggestion=issue.suggestion, **issue.params)


def _read_row(
    line: int,
    cells: list[Token],
    positions: list[tuple[int, str]],
    columns: list[_Column],
    config: TableConfig,
    raw_extra: list[tuple[int, str]],
) -> tuple[Row | None, list[Problem], list[tuple[int, QuantityCell, str]]]:
    problems: list[Problem] = []
    values: dict[str, object] = {}
    quality: list[Metric] = []
    notes: list[str] = []
    sources: dict[str, CellSource] = {}
    missing_units: list[tuple[int, QuantityCell, str]] = []
    for column in columns:
        token = cells[column.index] if column.index < len(cells) else None
        text = inline_text(token) if token is not None else ""
        col = positions[column.index][0] if column.index < len(positions) else 1
        info = column.info
        if not column.read:
            if text and not is_placeholder(text, config.placeholders):
                notes.append(f"{info.text}: {' '.join(text.split())}")
            continue
        assert info.field is not None
        raw_text = positions[column.index][1] if column.index < len(positions) else text
        if info.field in ("model", "method"):
            values[info.field] = " ".join(text.split())
            sources[info.field] = CellSource(text=raw_text, column=col)
            continue
        if is_placeholder(text, config.placeholders):
            # Kept as written: the corrected row and the diff's format-only test need it.
            sources.setdefault(info.field, CellSource(text=raw_text, column=col))
            continue
        if info.field == "quality":
            parsed = parse_quality(text, info)
            quality.extend(parsed.metrics)
            problems.extend(_issue_problem(i, line, col) for i in parsed.issues)
            key = "quality" if "quality" not in sources else f"quality.{column.index}"
            sources[key] = CellSource(text=raw_text, column=col)
            continue
        cell = parse_quantity(text, info.field, info)
        problems.extend(
            _issue_problem(i, line, col) for i in cell.issues if i.kind is not CELL_NO_UNIT
        )
        if any(i.kind is CELL_NO_UNIT for i in cell.issues):
            missing_units.append((col, cell, info.field))
        if cell.value is not None:
            values[info.field] = cell.value
            if cell.value.note:
                notes.append(cell.value.note)
        sources[info.field] = CellSource(text=raw_text, column=col)
    for _, text in raw_extra:
        if text:
            notes.append(text)
    for metric in quality:
        if metric.note and metric.note not in notes:
            notes.append(metric.note)
    model = values.get("model")
    if not model:
        problems.append(ROW_NO_MODEL.at(line, 1))
        return None, problems, []
    row = Row(
        line=line,
        model=str(model),
        method=str(values["method"]) if values.get("method") else None,
        quality=quality,
        notes=notes,
        source=sources,
        **{f: v for f, v in values.items() if f in QUANTITY_FIELDS and isinstance(v, Quantity)},
    )
    # Cells lacking a unit are reported once the whole column is known (see `_suggest_units`).
    return row, problems, [(col, cell, f) for col, cell, f in missing_units]


def _suggest_units(
    pending: list[tuple[int, int, QuantityCell, str]], rows: list[Row], problems: list[Problem]
) -> list[Problem]:
    """Report cells without a unit, suggesting the unit the rest of their column is written in."""
    found: list[Problem] = []
    for line, column, cell, field_name in pending:
        units = Counter(
            r.source[field_name].text.strip()
            for r in rows
            if r.quantity(field_name) is not None and field_name in r.source
        )
        column_units = Counter(
            q.unit for r in rows if (q := r.quantity(field_name)) is not None
        )
        suggestion = None
        if len(column_units) == 1 and units:
            suggestion = f"{cell.number_text} {next(iter(column_units))}"
        issue = next(i for i in cell.issues if i.kind is CELL_NO_UNIT)
        found.append(_issue_problem(CellIssue(issue.kind, issue.params, suggestion), line, column))
    return found
