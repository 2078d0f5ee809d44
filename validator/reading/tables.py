"""Finding and reading a file's tables: which are comparison tables, their headers, their rows.

`read_tables` is the reader's entry point: a decoded `Source` in, every table (typed rows for a
comparison table) and the problems found out. Headers are recognized through one alias table
(`headers.py`), rows mapped by `rows.py`, and input past the limits of `limits.py` is cut, with a problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from validator.config import TableConfig
from validator.model import QUANTITY_FIELDS, Problem, Table
from validator.problems import define
from validator.reading.gfm import DEEP_QUOTE, MAX_NESTING, MD_BLOCKS, cell_text, split_cells
from validator.reading.headers import AliasTable, normalize_header, parse_header
from validator.reading.limits import (
    CELL_TOO_LONG,
    FILE_TOO_LONG,
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_LINES,
    MAX_ROWS,
    MAX_TABLES,
    NESTING_TOO_DEEP,
    TABLE_TOO_MANY_COLUMNS,
    TABLE_TOO_MANY_ROWS,
    TOO_MANY_TABLES,
    ProblemLog,
    shorten,
)
from validator.reading.rows import Column, read_rows
from validator.reading.source import Source

TABLE_MISSING = define(
    "table-missing",
    "error",
    "no comparison table found: expected a Markdown table whose header names the model, the method "
    "and the measurements (e.g. `| Модель | Метод | Размер весов | ... |`)",
    "сравнительная таблица не найдена: ожидается Markdown-таблица с заголовком, где названы модель, метод "
    "и замеры (например, `| Модель | Метод | Размер весов | ... |`)",
)
TABLE_TRANSPOSED = define(
    "table-transposed",
    "error",
    "this table is transposed: measurements are rows (`{first}` ...) and models are columns; the course "
    "table has one row per (model, method), with measurements as columns",
    "таблица транспонирована: замеры идут строками (`{first}` ...), а модели — столбцами; в таблице курса "
    "одна строка на (модель, метод), замеры — столбцы",
)
TABLE_NOT_MARKDOWN = define(
    "table-not-markdown",
    "error",
    "a table written as {shape} is not read; write it as a Markdown table (`| Модель | Метод | ... |`)",
    "таблица в виде {shape} не читается; запишите её как Markdown-таблицу (`| Модель | Метод | ... |`)",
)
HEADER_UNKNOWN = define(
    "header-unknown",
    "warning",
    "column `{header}` is not a field we know; its cells are kept as notes. Rename it (e.g. `{example}`) "
    "or add an alias under [table.aliases] in validator.toml",
    "столбец `{header}` не распознан; его ячейки сохранены как примечания. Переименуйте его (например, "
    "`{example}`) или добавьте синоним в [table.aliases] файла validator.toml",
)
HEADER_DUPLICATE = define(
    "header-duplicate",
    "warning",
    "column `{header}` repeats the field {field} of column {first}; only the first is read, this one's "
    "cells are kept as notes",
    "столбец `{header}` повторяет поле {field} столбца {first}; читается только первый, ячейки этого "
    "сохранены как примечания",
)
HEADER_NO_MODEL = define(
    "header-no-model",
    "error",
    "this table looks like the comparison table but has no model column (`Модель` / `Model`), so it is "
    "not read; add one",
    "таблица похожа на сравнительную, но в ней нет столбца модели (`Модель` / `Model`), поэтому она не "
    "прочитана; добавьте его",
)
HEADER_NO_METHOD = define(
    "header-no-method",
    "error",
    "this table has no method column (`Метод` / `Method`): the course table has one row per (model, "
    "method), with the method written as `Оригинал`, `int8`, ...",
    "в таблице нет столбца метода (`Метод` / `Method`): в таблице курса одна строка на (модель, метод), "
    "метод пишется как `Оригинал`, `int8`, ...",
)
HEADER_NO_MEASUREMENT = define(
    "header-no-measurement",
    "error",
    "this table names a model but no measurement column (size, time, memory or quality, e.g. "
    "`Размер весов (MB)`), so it is not read as the comparison table",
    "в таблице есть модель, но нет ни одного столбца с замерами (размер, время, память или качество, "
    "например `Размер весов (MB)`), поэтому она не прочитана как сравнительная",
)


@dataclass
class _RawTable:
    """A table as found: where it starts, the heading above it, its cells as written."""

    line: int
    heading: str | None
    #: (column, cell as written) per header cell.
    header: list[tuple[int, str]]
    #: (line, cells) per body row read; rows past `MAX_ROWS` are only counted.
    rows: list[tuple[int, list[tuple[int, str]]]]
    dropped_rows: int = 0
    first_dropped: int | None = None


def _collect_tables(tokens: Sequence[Token]) -> tuple[list[_RawTable], list[tuple[int, str]]]:
    """Tables in document order, and other shapes a table might be pasted in: (line, shape)."""
    tables: list[_RawTable] = []
    others: list[tuple[int, str]] = []
    heading: str | None = None
    current: _RawTable | None = None
    cells_left = MAX_CELLS
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            heading = tokens[index + 1].content if index + 1 < len(tokens) else None
        elif token.type == "table_open":
            current = _RawTable(token.map[0] + 1 if token.map else 1, heading, [], [])
            tables.append(current)
        elif token.type == "table_row" and current is not None and len(tables) <= MAX_TABLES:
            line = token.map[0] + 1 if token.map else current.line
            if token.meta["header"]:
                current.header = split_cells(token.content, token.meta["offset"])
            elif len(current.rows) < MAX_ROWS and cells_left > 0:
                current.rows.append((line, split_cells(token.content, token.meta["offset"])))
                # A row costs its header's width, however many cells it holds (extras are capped).
                cells_left -= max(1, min(len(current.header), MAX_COLUMNS))
            else:
                current.dropped_rows += 1
                current.first_dropped = current.first_dropped or line
        elif token.type == "table_close":
            current = None
        elif token.type == "html_block" and "<table" in token.content.casefold():
            others.append((token.map[0] + 1 if token.map else 1, "an HTML <table>"))
        elif token.type in ("fence", "code_block") and token.content.count("|") >= 6:
            others.append((token.map[0] + 1 if token.map else 1, "a code block"))
    return tables, others


def _under_heading(heading: str | None, config: TableConfig) -> bool:
    if heading is None:
        return False
    folded = normalize_header(heading)
    return any(normalize_header(h) in folded for h in config.heading)


def read_tables(
    source: Source, config: TableConfig, aliases: AliasTable | None = None
) -> tuple[list[Table], list[Problem]]:
    """Every table of the document, each row read into the data model, with problems."""
    aliases = aliases or AliasTable.build(config.aliases)
    problems = ProblemLog()
    text = source.text
    if len(source.lines) > MAX_LINES:
        # Markdown's tokens cost ~0.5 KB each and a line can make several: bound them by lines.
        problems.add(FILE_TOO_LONG, MAX_LINES + 1, 1, count=len(source.lines), limit=MAX_LINES)
        text = "\n".join(source.lines[:MAX_LINES])
    deep = DEEP_QUOTE.search(text)
    if deep:
        line = text.count("\n", 0, deep.start()) + 1
        problems.add(NESTING_TOO_DEEP, line, 1, limit=MAX_NESTING, depth=deep[0].count(">"))
    tokens = MD_BLOCKS.parse(text)
    raw_tables, others = _collect_tables(tokens)
    tables: list[Table] = []
    if len(raw_tables) > MAX_TABLES:
        problems.add(TOO_MANY_TABLES, raw_tables[MAX_TABLES].line, 1, count=len(raw_tables), limit=MAX_TABLES)
        raw_tables = raw_tables[:MAX_TABLES]
    transposed = False
    candidates: list[_Candidate] = []
    for raw in raw_tables:
        table, found = _read_table(raw, config, aliases, problems)
        tables.append(table)
        if isinstance(found, _Candidate):
            candidates.append(found)
        transposed = transposed or found is True
    if not any(t.kind == "comparison" for t in tables):
        for line, shape in others:
            problems.add(TABLE_NOT_MARKDOWN, line, 1, shape=shape)
        if not transposed and not others and not _diagnose(candidates, problems):
            problems.add(TABLE_MISSING, None)
    return tables, problems.result()


@dataclass
class _Candidate:
    """A table that is not the comparison table but comes close: what it would need to be one."""

    line: int
    #: (column, header) of each column whose header is not a field.
    unknown: list[tuple[int, str]]
    recognized: set[str]


#: The fields that are measurements: a comparison table needs at least one of them.
_MEASUREMENTS = frozenset((*QUANTITY_FIELDS, "quality"))


def _diagnose(candidates: list[_Candidate], problems: ProblemLog) -> bool:
    """Say why the table closest to a comparison table is not one; False when no table comes close."""
    if not candidates:
        return False
    best = max(candidates, key=lambda c: len(c.recognized))  # the first of the closest
    missing = []
    if "model" not in best.recognized:
        missing.append(HEADER_NO_MODEL)
    if "method" not in best.recognized:
        missing.append(HEADER_NO_METHOD)
    if not best.recognized & _MEASUREMENTS:
        missing.append(HEADER_NO_MEASUREMENT)
    if not missing:
        return False  # every part is there, yet too few fields for `min_fields`: no better word than missing
    for kind in missing:
        problems.add(kind, best.line, 1)
    for column, header in best.unknown:
        problems.add(HEADER_UNKNOWN, best.line, column, header=shorten(header), example="Размер весов (MB)")
    return True


def _read_table(
    raw: _RawTable, config: TableConfig, aliases: AliasTable, problems: ProblemLog
) -> tuple[Table, _Candidate | bool | None]:
    """One table read into the data model, and for a table that is not a comparison table: True when
    it is a transposed one, a `_Candidate` when it comes close to one."""
    header_positions = raw.header[:MAX_COLUMNS]
    if len(raw.header) > MAX_COLUMNS:
        problems.add(
            TABLE_TOO_MANY_COLUMNS,
            raw.line,
            raw.header[MAX_COLUMNS][0],
            count=len(raw.header),
            limit=MAX_COLUMNS,
        )
    headers = []
    for column, written in header_positions:
        if len(written) > MAX_CELL_CHARS:
            problems.add(CELL_TOO_LONG, raw.line, column, length=len(written), limit=MAX_CELL_CHARS)
            written = ""
        headers.append(cell_text(written))
    infos = [parse_header(h, aliases) for h in headers]
    fields = [i.field for i in infos]
    recognized = {f for f in fields if f}
    is_comparison = "model" in recognized and (
        len(recognized) >= config.min_fields or _under_heading(raw.heading, config)
    )
    if not is_comparison:
        first_column = [
            cell_text(cells[0][1]) for _, cells in raw.rows if cells and len(cells[0][1]) <= MAX_CELL_CHARS
        ]
        down = {parse_header(text, aliases).field for text in first_column} - {None, "model"}
        other = Table.model_construct(line=raw.line, kind="other", columns=list(fields), headers=headers)
        if len(down) >= config.min_fields:
            problems.add(TABLE_TRANSPOSED, raw.line, 1, first=shorten(first_column[0]))
            return other, True
        if len(recognized) >= 2 or (recognized and _under_heading(raw.heading, config)):
            unknown = [
                (header_positions[i][0], info.text) for i, info in enumerate(infos) if info.field is None
            ]
            return other, _Candidate(raw.line, unknown, recognized)
        return other, None

    def header_column(index: int) -> int:
        return header_positions[index][0] if index < len(header_positions) else 1

    columns: list[Column] = []
    first_of: dict[str, int] = {}
    for index, info in enumerate(infos):
        read = info.field is not None
        if info.field is None:
            problems.add(
                HEADER_UNKNOWN,
                raw.line,
                header_column(index),
                header=shorten(info.text),
                example="Размер весов (MB)",
            )
        elif info.field != "quality" and info.field in first_of:
            read = False
            problems.add(
                HEADER_DUPLICATE,
                raw.line,
                header_column(index),
                header=shorten(info.text),
                field=info.field,
                first=first_of[info.field] + 1,
            )
        else:
            first_of.setdefault(info.field, index)
        columns.append(Column(info, index, read))

    if raw.dropped_rows:
        problems.add(
            TABLE_TOO_MANY_ROWS,
            raw.first_dropped,
            1,
            count=len(raw.rows) + raw.dropped_rows,
            limit=len(raw.rows),
            max_rows=MAX_ROWS,
            max_cells=MAX_CELLS,
        )
    if "method" not in recognized:
        # Read all the same; rows are told apart by the model alone.
        problems.add(HEADER_NO_METHOD, raw.line, 1, severity="warning")
    rows = read_rows(raw.rows, columns, len(raw.header), config, problems)
    table = Table.model_construct(
        line=raw.line, kind="comparison", columns=list(fields), headers=headers, rows=rows
    )
    return table, None
