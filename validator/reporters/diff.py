"""`validator diff` reports: text, JSON and GitHub annotations."""

from __future__ import annotations

import json

from validator.model import QUANTITY_FIELDS, DiffReport, Row
from validator.reporters.problems import github_annotations, in_language, problem_line, summary_line
from validator.units import format_quantity

_WORDS = {
    "en": {
        "added": "added",
        "changed": "changed",
        "reformatted": "reformatted (same numbers)",
        "removed": "removed, was at line {line} of the base",
        "totals": "{a} added, {c} changed ({f} format-only), {r} removed",
    },
    "ru": {
        "added": "добавлена",
        "changed": "изменена",
        "reformatted": "переписана (числа те же)",
        "removed": "удалена, была в строке {line} базовой версии",
        # Label and number: the count needs no agreement with a noun.
        "totals": "добавлено: {a}, изменено: {c} (только запись: {f}), удалено: {r}",
    },
}


def _cell(row: Row, name: str) -> str:
    quantity = row.quantity(name) if name in QUANTITY_FIELDS else None
    if quantity is not None:
        return format_quantity(quantity)
    return row.written(name) or "-"


def _label(row: Row) -> str:
    return f"({row.model}, {row.method or '-'})"


def text_diff(report: DiffReport, language: str = "en") -> str:
    words = _WORDS.get(language, _WORDS["en"])
    where = report.path
    lines = [f"{where}:{row.line}: {words['added']} {_label(row)}" for row in report.added]
    for change in report.changed:
        row = change.after
        if change.format_only:
            edits = ", ".join(
                f"{name} `{change.before.written(name)}` -> `{row.written(name)}`" for name in change.fields
            )
            lines.append(f"{where}:{row.line}: {words['reformatted']} {_label(row)}: {edits}")
        else:
            edits = ", ".join(
                f"{name} {_cell(change.before, name)} -> {_cell(row, name)}" for name in change.fields
            )
            lines.append(f"{where}:{row.line}: {words['changed']} {_label(row)}: {edits}")
    lines += [f"{where}: {words['removed'].format(line=row.line)} {_label(row)}" for row in report.removed]
    lines += [problem_line(p, where, language) for p in report.problems]
    totals = words["totals"].format(
        a=len(report.added),
        c=len(report.changed),
        f=sum(c.format_only for c in report.changed),
        r=len(report.removed),
    )
    lines.append(f"{totals}; {summary_line(report.problems, language)}")
    return "\n".join(lines)


def json_diff(report: DiffReport, language: str = "en") -> str:
    report = report.model_copy(update={"problems": in_language(report.problems, language)})
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2)


def github_diff(report: DiffReport, language: str = "en") -> str:
    return github_annotations(report.problems, report.path, language)


REPORTER_BY_NAME = {"text": text_diff, "json": json_diff, "github": github_diff}
