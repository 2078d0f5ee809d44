"""Limits on hostile input, and the bounded list of one file's problems (docs/security-input.md).

A course table has ~10 columns, tens of rows and cells under 300 characters; the limits are far above
that and keep reading linear in time and memory, whatever a file holds.
"""

from __future__ import annotations

from typing import Any

from validator.model import Problem, Severity
from validator.problems import ProblemType, define
from validator.reading.cells import CellIssue

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

#: The limits; a file past one is read up to it, with a problem saying so.
MAX_LINES = 20_000
MAX_TABLES = 200
MAX_ROWS = 10_000
MAX_COLUMNS = 64
MAX_CELL_CHARS = 1_000
MAX_CELLS = 100_000
MAX_PROBLEMS = 1_000


class ProblemLog:
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


def shorten(text: str, limit: int = 200) -> str:
    """A text cut to `limit` characters for a message (a hostile cell can be long)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
