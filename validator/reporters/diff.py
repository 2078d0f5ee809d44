"""`validator diff` reports: text, JSON and GitHub annotations."""

from __future__ import annotations

import json

from validator.model import QUANTITY_FIELDS, DiffReport, Row
from validator.plural import ROW, plural_ru
from validator.reporters.problems import github_annotations, in_language, problem_line, summary_line
from validator.units import format_quantity

_WORDS = {
    "en": {
        "added": "added",
        "changed": "changed",
        "reformatted": "reformatted (same numbers)",
        "removed": "removed, was at line {line} of the base",
        "team": "team: {team} ({how})",
        "author": "found by the PR's author",
        "title": "named by the PR's title",
        "unknown": "team: unknown (only the rows and files the PR adds are its own)",
    },
    "ru": {
        "added": "добавлена",
        "changed": "изменена",
        "reformatted": "переписана (числа те же)",
        "removed": "удалена, была в строке {line} базовой версии",
        "team": "команда: {team} ({how})",
        "author": "по автору pull request",
        "title": "по заголовку pull request",
        "unknown": "команда: неизвестна (её строки и файлы — только добавленные этим pull request)",
    },
}


def _cell(row: Row, name: str) -> str:
    quantity = row.quantity(name) if name in QUANTITY_FIELDS else None
    if quantity is not None:
        return format_quantity(quantity)
    return row.written(name) or "-"


def _label(row: Row) -> str:
    return f"({row.model}, {row.method or '-'})"


def _totals(report: DiffReport, language: str) -> str:
    """`1 row added, 2 rows changed (1 format-only), 0 rows removed`; `добавлена 1 строка, ...`."""
    added, changed, removed = len(report.added), len(report.changed), len(report.removed)
    reformatted = sum(c.format_only for c in report.changed)
    if language == "ru":
        return (
            f"{plural_ru(added, ('добавлена', 'добавлены', 'добавлено'))} {ROW.count(added, 'ru')}, "
            f"{plural_ru(changed, ('изменена', 'изменены', 'изменено'))} {ROW.count(changed, 'ru')} "
            f"(только запись: {reformatted}), "
            f"{plural_ru(removed, ('удалена', 'удалены', 'удалено'))} {ROW.count(removed, 'ru')}"
        )
    return (
        f"{ROW.count(added)} added, {ROW.count(changed)} changed ({reformatted} format-only), "
        f"{ROW.count(removed)} removed"
    )


def text_diff(report: DiffReport, language: str = "en") -> str:
    words = _WORDS.get(language, _WORDS["en"])
    where = report.path
    team = (
        words["team"].format(team=report.team, how=words[report.team_found_by])
        if report.team is not None and report.team_found_by != "none"
        else words["unknown"]
    )
    lines = [team, *(f"{where}:{row.line}: {words['added']} {_label(row)}" for row in report.added)]
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
    lines.append(f"{_totals(report, language)}; {summary_line(report.problems, language)}")
    return "\n".join(lines)


def json_diff(report: DiffReport, language: str = "en") -> str:
    report = report.model_copy(update={"problems": in_language(report.problems, language)})
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2)


def github_diff(report: DiffReport, language: str = "en") -> str:
    return github_annotations(report.problems, report.path, language)


REPORTER_BY_NAME = {"text": text_diff, "json": json_diff, "github": github_diff}
