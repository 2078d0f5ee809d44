"""Reading the course README: Markdown (markdown-it-py) -> tables -> typed rows, and problems.

Structure comes from markdown-it-py's tokens (their `map` gives lines); cell columns come from
splitting the row's own source line on its unescaped pipes, the same way the GFM table rule does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import MD_TRIM_CHARS
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.token import Token

from validator.cell import (
    CELL_NO_UNIT,
    CellIssue,
    QualityCell,
    QuantityCell,
    is_placeholder,
    parse_quality,
    parse_quantity,
)
from validator.config import TableConfig
from validator.headers import AliasTable, HeaderInfo, normalize_header, parse_header
from validator.model import CellSource, Metric, Problem, Quantity, Row, Severity, Table
from validator.problems import ProblemType, define

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
    "the comparison table has no model column (`Модель` / `Model`)",
    "в сравнительной таблице нет столбца модели (`Модель` / `Model`)",
)
ROW_CELL_COUNT = define(
    "row-cell-count",
    "warning",
    "this row has {found} cells, the header has {expected}; {what}",
    "в строке {found} ячеек, в заголовке {expected}; {what}",
)
ROW_NO_MODEL = define(
    "row-no-model",
    "error",
    "this row has no model name; the row is not read",
    "в строке нет названия модели; строка не прочитана",
)
ROW_DUPLICATE = define(
    "row-duplicate",
    "warning",
    "the row ({model}, {method}) repeats line {first}",
    "строка ({model}, {method}) повторяет строку {first}",
)

TABLE_TOO_MANY_ROWS = define(
    "table-too-many-rows",
    "error",
    "the table has {count} rows; only the first {limit} are read (a file is read up to {max_rows} rows "
    "per table and {max_cells} cells in all)",
    "в таблице {count} строк; прочитаны только первые {limit} (читается не больше {max_rows} строк "
    "в таблице и {max_cells} ячеек в файле)",
)
TABLE_TOO_MANY_COLUMNS = define(
    "table-too-many-columns",
    "error",
    "the table has {count} columns; only the first {limit} are read",
    "в таблице {count} столбцов; прочитаны только первые {limit}",
)
FILE_TOO_LONG = define(
    "file-too-long",
    "error",
    "the file has {count} lines; only the first {limit} are read",
    "в файле {count} строк; прочитаны только первые {limit}",
)
NESTING_TOO_DEEP = define(
    "nesting-too-deep",
    "warning",
    "blocks nested more than {limit} levels deep (here {depth} `>`) are not read as Markdown",
    "блоки с вложенностью больше {limit} уровней (здесь {depth} `>`) не читаются как Markdown",
)
TOO_MANY_TABLES = define(
    "too-many-tables",
    "error",
    "the file has {count} tables; only the first {limit} are read",
    "в файле {count} таблиц; прочитаны только первые {limit}",
)
CELL_TOO_LONG = define(
    "cell-too-long",
    "error",
    "this cell is {length} characters long; cells over {limit} characters are not read",
    "в ячейке {length} символов; ячейки длиннее {limit} символов не читаются",
)

TOO_MANY_PROBLEMS = define(
    "too-many-problems",
    "error",
    "{count} more problem(s) were not reported: only the first {limit} are; fix these and check again",
    "ещё {count} проблем(ы) не показаны: показываются только первые {limit}; исправьте эти и проверьте снова",
)

#: Limits on hostile input (docs/security-input.md). A course table has ~10 columns, tens of rows
#: and cells under 300 characters; these are far above that and keep reading linear and bounded.
MAX_LINES = 20_000
MAX_TABLES = 200
MAX_ROWS = 10_000
MAX_COLUMNS = 64
MAX_CELL_CHARS = 1_000
MAX_CELLS = 100_000
MAX_PROBLEMS = 1_000

_HTML_BREAK = re.compile(r"<\s*/?\s*br\s*/?\s*>", re.IGNORECASE)
# A pipe that separates cells: GFM escapes a pipe with a backslash, even inside a code span.
_PIPE = re.compile(r"(?<!\\)\|")
# Characters that start inline markup in CommonMark; a cell without them is its own text.
_MARKUP = re.compile(r"[\\`*_&<\[!\n]")


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


@functools.lru_cache(maxsize=4096)
def cell_text(raw: str) -> str:
    """A cell as written (`**0.431**`, `a \\| b`) -> its plain text; inline Markdown parsed only if present.

    Tables repeat the same cells (units, placeholders, method names), hence the cache.
    """
    content = raw.replace("\\|", "|")
    if not _MARKUP.search(content):
        return content.strip()
    tokens = _MD.parseInline(content)
    return inline_text(tokens[0]) if tokens else ""


def split_cells(text: str, offset: int = 0) -> list[tuple[int, str]]:
    """Split a table row into cells exactly as the GFM table rule does (markdown-it's `escapedSplit`).

    `text` is the row without its container prefix (`> `, list indent), `offset` the 0-based column
    where it starts in its source line. Returns (1-based column of the cell's first non-blank
    character, the cell as written, trimmed) per cell; a leading and a trailing pipe open and close
    the row and start no cell.
    """
    body = text.strip(MD_TRIM_CHARS)
    start = offset + len(text) - len(text.lstrip(MD_TRIM_CHARS))
    parts: list[tuple[int, str]] = []
    if "\\" in body:
        last = 0
        for pipe in _PIPE.finditer(body):
            parts.append((last, body[last : pipe.start()]))
            last = pipe.end()
        parts.append((last, body[last:]))
    else:
        position = 0
        for piece in body.split("|"):
            parts.append((position, piece))
            position += len(piece) + 1
    if parts and parts[0][1] == "":
        parts.pop(0)
    if parts and parts[-1][1] == "":
        parts.pop()
    cells = []
    for position, raw in parts:
        lead = len(raw) - len(raw.lstrip(MD_TRIM_CHARS))
        cells.append((start + position + lead + 1, raw.strip(MD_TRIM_CHARS)))
    return cells


def cell_columns(line: str) -> list[tuple[int, str]]:
    """Split a table row's source line into (1-based column, raw cell text), as GFM does.

    A blockquote prefix (`> > `) is skipped. The reader itself splits the row markdown-it located,
    which knows every container prefix (`split_cells`).
    """
    prefix = re.match(r"[ \t]{0,3}(?:>[ \t]?)*", line)
    skip = prefix.end() if prefix and ">" in prefix[0] else 0
    return split_cells(line[skip:], skip)


def _row_text(state: StateBlock, line: int) -> tuple[str, int]:
    """A row's text without its container prefix, and the column where it starts in its source line."""
    pos = state.bMarks[line] + state.tShift[line]
    return state.src[pos : state.eMarks[line]], pos - (state.src.rfind("\n", 0, pos) + 1)


def _table_rule(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """markdown-it's GFM table rule, emitting one `table_row` token per row instead of ~3 per cell.

    Detection and termination are markdown-it-py's own (rules_block/table.py, MIT); the cells are
    split later, only for rows that are read (`split_cells`), so a row costs one token, and a cell is
    inline-parsed only when it has markup (`cell_text`). This keeps a 5,000-row table about as fast
    to read as a short one, and memory linear in the file's size.
    """
    if startLine + 2 > endLine:
        return False
    nextLine = startLine + 1
    if state.sCount[nextLine] < state.blkIndent or state.is_code_block(nextLine):
        return False
    delimiter, _ = _row_text(state, nextLine)
    if not _DELIMITER_ROW.fullmatch(delimiter) or (delimiter[0] == "-" and delimiter[1] in " \t"):
        return False
    aligns = 0
    columns = delimiter.split("|")
    for index, column in enumerate(columns):
        trimmed = column.strip(MD_TRIM_CHARS)
        if not trimmed:
            # Empty columns are allowed before and after the table, not between columns.
            if index in (0, len(columns) - 1):
                continue
            return False
        if not _DELIMITER_CELL.fullmatch(trimmed):
            return False
        aligns += 1
    header, _ = _row_text(state, startLine)
    header = header.strip(MD_TRIM_CHARS)
    if "|" not in header or state.is_code_block(startLine):
        return False
    if len(split_cells(header)) != aligns:
        return False
    if silent:
        return True

    old_parent = state.parentType
    state.parentType = "table"
    terminators = state.md.block.ruler.getRules("blockquote")
    token = state.push("table_open", "table", 1)
    token.map = table_lines = [startLine, 0]
    line = startLine
    while line < endLine:
        text, offset = _row_text(state, line)
        if line > startLine:
            if state.sCount[line] < state.blkIndent:
                break
            # Every terminating block (fence, quote, rule, list, HTML, heading) starts with one of
            # these characters: a row starting with `|` needs no rule tried.
            if (text[:1] in _BLOCK_STARTS or text[:1].isdigit()) and any(
                rule(state, line, endLine, True) for rule in terminators
            ):
                break
            if not text.strip(MD_TRIM_CHARS) or state.is_code_block(line):
                break
        token = state.push("table_row", "tr", 0)
        token.map = [line, line + 1]
        token.content = text
        token.meta = {"offset": offset, "header": line == startLine}
        nextLine = line + 1
        # The delimiter row is structure, not a row.
        line = startLine + 2 if line == startLine else line + 1
    state.push("table_close", "table", -1)
    table_lines[1] = nextLine
    state.parentType = old_parent
    state.line = nextLine
    return True


_BLOCK_STARTS = frozenset("`~>*-_+<#")
_DELIMITER_ROW = re.compile(r"[-:|][-:| \t]+")
_DELIMITER_CELL = re.compile(r":?-+:?")


def _markdown(*, blocks_only: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.block.ruler.at("table", _table_rule, {"alt": ["paragraph", "reference"]})
    if blocks_only:
        # Headings and tables are all the reader needs from the document; cells are parsed on demand.
        md.disable("inline")
    return md


_MD = _markdown(blocks_only=False)
_MD_BLOCKS = _markdown(blocks_only=True)
#: markdown-it stops nesting blocks here (its `maxNesting`); deeper content is silently dropped.
_MAX_NESTING = int(_MD.options["maxNesting"])
_DEEP_QUOTE = re.compile(rf"^[ \t]*(?:>[ \t]*){{{_MAX_NESTING},}}", re.MULTILINE)


@dataclass
class _RawTable:
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


class _Problems:
    """The problems of one file, at most `MAX_PROBLEMS` of them built.

    A hostile table can hold a million bad cells; past the limit a problem is only counted, never
    formatted, so time and memory stay bounded and the report stays readable.
    """

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.dropped = 0
        self.dropped_errors = False

    def add(
        self,
        kind: ProblemType,
        line: int | None,
        column: int | None = None,
        *,
        suggestion: str | None = None,
        **params: Any,
    ) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(kind.at(line, column, suggestion=suggestion, **params))
        else:
            self.dropped += 1
            self.dropped_errors = self.dropped_errors or kind.severity is Severity.error

    def add_issue(self, issue: CellIssue, line: int, column: int) -> None:
        self.add(issue.kind, line, column, suggestion=issue.suggestion, **issue.params)

    def result(self) -> list[Problem]:
        if not self.dropped:
            return self.items
        severity = Severity.error if self.dropped_errors else Severity.warning
        summary = TOO_MANY_PROBLEMS.at(None, severity=severity, count=self.dropped, limit=MAX_PROBLEMS)
        return [*self.items, summary]


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


def read_tables(
    source: Source, config: TableConfig, aliases: AliasTable | None = None
) -> tuple[list[Table], list[Problem]]:
    """Every table of the document, each row read into the data model, with problems."""
    aliases = aliases or AliasTable.build(config.aliases)
    problems = _Problems()
    text = source.text
    if len(source.lines) > MAX_LINES:
        # Markdown's tokens cost ~0.5 KB each and a line can make several: bound them by lines.
        problems.add(FILE_TOO_LONG, MAX_LINES + 1, 1, count=len(source.lines), limit=MAX_LINES)
        text = "\n".join(source.lines[:MAX_LINES])
    deep = _DEEP_QUOTE.search(text)
    if deep:
        line = text.count("\n", 0, deep.start()) + 1
        problems.add(NESTING_TOO_DEEP, line, 1, limit=_MAX_NESTING, depth=deep[0].count(">"))
    tokens = _MD_BLOCKS.parse(text)
    raw_tables, others = _collect_tables(tokens)
    tables: list[Table] = []
    if len(raw_tables) > MAX_TABLES:
        problems.add(TOO_MANY_TABLES, raw_tables[MAX_TABLES].line, 1, count=len(raw_tables), limit=MAX_TABLES)
        raw_tables = raw_tables[:MAX_TABLES]
    transposed = False
    for raw in raw_tables:
        table, is_transposed = _read_table(raw, config, aliases, problems)
        tables.append(table)
        transposed = transposed or is_transposed
    if not any(t.kind == "comparison" for t in tables):
        for line, shape in others:
            problems.add(TABLE_NOT_MARKDOWN, line, 1, shape=shape)
        if not transposed and not others:
            problems.add(TABLE_MISSING, None)
    return tables, problems.result()


def _read_table(
    raw: _RawTable, config: TableConfig, aliases: AliasTable, problems: _Problems
) -> tuple[Table, bool]:
    """One table read into the data model, and whether it is a transposed comparison table."""
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
        transposed = len(down) >= config.min_fields
        if transposed:
            problems.add(TABLE_TRANSPOSED, raw.line, 1, first=_shorten(first_column[0]))
        elif _under_heading(raw.heading, config) and len(recognized) >= 2 and "model" not in recognized:
            problems.add(HEADER_NO_MODEL, raw.line, 1)
        return Table.model_construct(
            line=raw.line, kind="other", columns=list(fields), headers=headers
        ), transposed

    def header_column(index: int) -> int:
        return header_positions[index][0] if index < len(header_positions) else 1

    columns: list[_Column] = []
    first_of: dict[str, int] = {}
    for index, info in enumerate(infos):
        read = info.field is not None
        if info.field is None:
            problems.add(
                HEADER_UNKNOWN,
                raw.line,
                header_column(index),
                header=_shorten(info.text),
                example="Размер весов (MB)",
            )
        elif info.field != "quality" and info.field in first_of:
            read = False
            problems.add(
                HEADER_DUPLICATE,
                raw.line,
                header_column(index),
                header=_shorten(info.text),
                field=info.field,
                first=first_of[info.field] + 1,
            )
        else:
            first_of.setdefault(info.field, index)
        columns.append(_Column(info, index, read))

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
    rows: list[Row] = []
    # Columns repeat their cells (`-`, `1560Mb`, `int8`): a cell's text is parsed once per column.
    parsed: dict[tuple[int, str], QuantityCell | QualityCell] = {}
    pending: list[tuple[int, int, QuantityCell, str]] = []  # (row, column) cells lacking a unit
    seen: dict[tuple[str, str], int] = {}
    expected = len(raw.header)
    for line_number, positions in raw.rows:
        if len(positions) != expected:
            if len(positions) > expected:
                lost = _shorten(" | ".join(text for _, text in positions[expected:]))
                what = f"the extra cells (`{lost}`) are kept as notes"
            else:
                what = "the missing cells are read as not measured"
            problems.add(ROW_CELL_COUNT, line_number, 1, found=len(positions), expected=expected, what=what)
        row, missing_units = _read_row(
            line_number,
            positions,
            columns,
            config,
            problems,
            parsed,
            raw_extra=positions[expected:][:MAX_COLUMNS],
        )
        if row is None:
            continue
        if row.key in seen:
            problems.add(
                ROW_DUPLICATE,
                line_number,
                1,
                model=_shorten(row.model),
                method=_shorten(row.method or "-"),
                first=seen[row.key],
            )
        seen.setdefault(row.key, line_number)
        pending.extend((line_number, col, cell, f) for col, cell, f in missing_units)
        rows.append(row)

    _suggest_units(pending, rows, problems)
    table = Table.model_construct(
        line=raw.line, kind="comparison", columns=list(fields), headers=headers, rows=rows
    )
    return table, False


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read_row(
    line: int,
    positions: list[tuple[int, str]],
    columns: list[_Column],
    config: TableConfig,
    problems: _Problems,
    parsed: dict[tuple[int, str], QuantityCell | QualityCell],
    raw_extra: list[tuple[int, str]],
) -> tuple[Row | None, list[tuple[int, QuantityCell, str]]]:
    values: dict[str, object] = {}
    quality: list[Metric] = []
    notes: list[str] = []
    sources: dict[str, CellSource] = {}
    missing_units: list[tuple[int, QuantityCell, str]] = []
    placeholders = tuple(config.placeholders)
    for column in columns:
        written = positions[column.index][1] if column.index < len(positions) else ""
        col = positions[column.index][0] if column.index < len(positions) else 1
        if len(written) > MAX_CELL_CHARS:
            problems.add(CELL_TOO_LONG, line, col, length=len(written), limit=MAX_CELL_CHARS)
            written = ""
        text = cell_text(written)
        info = column.info
        if not column.read:
            if text and not is_placeholder(text, placeholders):
                notes.append(f"{info.text}: {' '.join(text.split())}")
            continue
        assert info.field is not None
        raw_text = written
        if info.field in ("model", "method"):
            values[info.field] = " ".join(text.split())
            sources[info.field] = CellSource.model_construct(text=raw_text, column=col)
            continue
        if is_placeholder(text, placeholders):
            # Kept as written: the corrected row and the diff's format-only test need it.
            sources.setdefault(info.field, CellSource.model_construct(text=raw_text, column=col))
            continue
        if info.field == "quality":
            quality_cell = parsed.get((column.index, text))
            if not isinstance(quality_cell, QualityCell):
                quality_cell = parsed[column.index, text] = parse_quality(text, info)
            quality.extend(quality_cell.metrics)
            for issue in quality_cell.issues:
                problems.add_issue(issue, line, col)
            key = "quality" if "quality" not in sources else f"quality.{column.index}"
            sources[key] = CellSource.model_construct(text=raw_text, column=col)
            continue
        cell = parsed.get((column.index, text))
        if not isinstance(cell, QuantityCell):
            cell = parsed[column.index, text] = parse_quantity(text, info.field, info)
        for issue in cell.issues:
            if issue.kind is CELL_NO_UNIT:
                missing_units.append((col, cell, info.field))
            else:
                problems.add_issue(issue, line, col)
        if cell.value is not None:
            values[info.field] = cell.value
            if cell.value.note:
                notes.append(cell.value.note)
        sources[info.field] = CellSource.model_construct(text=raw_text, column=col)
    for _, text in raw_extra:
        if text:
            notes.append(_shorten(text, MAX_CELL_CHARS))
    for metric in quality:
        if metric.note and metric.note not in notes:
            notes.append(metric.note)
    model = values.get("model")
    if not model:
        problems.add(ROW_NO_MODEL, line, 1)
        return None, []

    def quantity(name: str) -> Quantity | None:
        value = values.get(name)
        return value if isinstance(value, Quantity) else None

    row = Row.model_construct(
        line=line,
        model=str(model),
        method=str(values["method"]) if values.get("method") else None,
        weights_size=quantity("weights_size"),
        cpu_speed=quantity("cpu_speed"),
        gpu_speed=quantity("gpu_speed"),
        ram=quantity("ram"),
        vram=quantity("vram"),
        quality=quality,
        notes=notes,
        source=sources,
    )
    # Cells lacking a unit are reported once the whole column is known (see `_suggest_units`).
    return row, missing_units


def _suggest_units(
    pending: list[tuple[int, int, QuantityCell, str]], rows: list[Row], problems: _Problems
) -> None:
    """Report cells without a unit, suggesting the unit the rest of their column is written in."""
    # One pass per column, not per cell: a long table of unitless cells stays linear.
    column_units: dict[str, set[str]] = {}
    for _, _, _, field_name in pending:
        if field_name not in column_units:
            column_units[field_name] = {
                q.unit for r in rows if (q := r.quantity(field_name)) is not None and field_name in r.source
            }
    for line, column, cell, field_name in pending:
        units = column_units[field_name]
        suggestion = f"{cell.number_text} {next(iter(units))}" if len(units) == 1 else None
        issue = next(i for i in cell.issues if i.kind is CELL_NO_UNIT)
        problems.add_issue(CellIssue(issue.kind, issue.params, suggestion), line, column)
