"""A comparison table's body rows -> model `Row`s: each cell read by its column's field, with problems.

Cells are parsed once per distinct text per column (tables repeat `-`, `1560Mb`, `int8`), and a cell
without a unit is reported once its whole column is known, suggesting the unit the column uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from validator.config import TableConfig
from validator.model import CellSource, Metric, Quantity, Row
from validator.problems import define
from validator.reading.cells import (
    CELL_NO_UNIT,
    CellIssue,
    QualityCell,
    QuantityCell,
    is_placeholder,
    parse_quality,
    parse_quantity,
    split_placeholder,
)
from validator.reading.gfm import cell_text
from validator.reading.headers import HeaderInfo
from validator.reading.limits import CELL_TOO_LONG, MAX_CELL_CHARS, MAX_COLUMNS, ProblemLog, shorten

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


@dataclass
class Column:
    """One header cell as read: its field, its index in the row, whether its cells are read."""

    info: HeaderInfo
    index: int
    read: bool


def read_rows(
    rows: list[tuple[int, list[tuple[int, str]]]],
    columns: list[Column],
    width: int,
    config: TableConfig,
    problems: ProblemLog,
) -> list[Row]:
    """Each body row, given as (line, (column, cell as written) per cell), read into a `Row`.

    `width` is the header's cell count; a row without a model name is reported and left out.
    """
    result: list[Row] = []
    # Columns repeat their cells (`-`, `1560Mb`, `int8`): a cell's text is parsed once per column.
    parsed: dict[tuple[int, str], QuantityCell | QualityCell] = {}
    pending: list[tuple[int, int, QuantityCell, str]] = []  # (row, column) cells lacking a unit
    seen: dict[tuple[str, str], int] = {}
    expected = width
    for line_number, positions in rows:
        if len(positions) != expected:
            if len(positions) > expected:
                lost = shorten(" | ".join(text for _, text in positions[expected:]))
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
                model=shorten(row.model),
                method=shorten(row.method or "-"),
                first=seen[row.key],
            )
        seen.setdefault(row.key, line_number)
        pending.extend((line_number, col, cell, f) for col, cell, f in missing_units)
        result.append(row)

    _suggest_units(pending, result, problems)
    return result


def _read_row(
    line: int,
    positions: list[tuple[int, str]],
    columns: list[Column],
    config: TableConfig,
    problems: ProblemLog,
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
        empty, note = split_placeholder(text, placeholders)
        if empty:
            # Kept as written: the corrected row and the diff's format-only test need it.
            sources.setdefault(info.field, CellSource.model_construct(text=raw_text, column=col))
            if note:
                notes.append(f"{shorten(info.text, 60)}: {note}")
            continue
        if info.field == "quality":
            quality_cell = parsed.get((column.index, text))
            if not isinstance(quality_cell, QualityCell):
                quality_cell = parsed[column.index, text] = parse_quality(text, info, placeholders)
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
            notes.append(shorten(text, MAX_CELL_CHARS))
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
    pending: list[tuple[int, int, QuantityCell, str]], rows: list[Row], problems: ProblemLog
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
