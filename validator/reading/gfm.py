"""The Markdown side of reading: markdown-it-py with a vendored GFM table rule, cell splitting, cell text.

Structure comes from markdown-it-py's tokens (their `map` gives lines); cell columns come from
splitting the row's own source line on its unescaped pipes, the same way the GFM table rule does.
"""

from __future__ import annotations

import functools
import re

from markdown_it import MarkdownIt
from markdown_it.common.utils import MD_TRIM_CHARS
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.token import Token

_HTML_BREAK = re.compile(r"<\s*/?\s*br\s*/?\s*>", re.IGNORECASE)
# A pipe that separates cells: GFM escapes a pipe with a backslash, even inside a code span.
_PIPE = re.compile(r"(?<!\\)\|")
# Characters that start inline markup in CommonMark; a cell without them is its own text.
_MARKUP = re.compile(r"[\\`*_&<\[!\n]")


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
    tokens = MD.parseInline(content)
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


MD = _markdown(blocks_only=False)
MD_BLOCKS = _markdown(blocks_only=True)
#: markdown-it stops nesting blocks here (its `maxNesting`); deeper content is silently dropped.
MAX_NESTING = int(MD.options["maxNesting"])
DEEP_QUOTE = re.compile(rf"^[ \t]*(?:>[ \t]*){{{MAX_NESTING},}}", re.MULTILINE)
