"""`validator check` reports: text, JSON and GitHub annotations."""

from __future__ import annotations

from validator.model import CheckReport
from validator.plural import ROW
from validator.reporters.problems import github_annotations, in_language, problem_line, summary_line

_TABLE = {"en": "comparison table", "ru": "сравнительная таблица"}


def text_check(report: CheckReport, language: str = "en") -> str:
    lines = [problem_line(p, report.path, language) for p in report.problems]
    for table in report.tables:
        if table.kind == "comparison":
            what = _TABLE.get(language, _TABLE["en"])
            lines.append(f"{report.path}:{table.line}: {what}, {ROW.count(len(table.rows), language)}")
    lines.append(summary_line(report.problems, language))
    return "\n".join(lines)


def json_check(report: CheckReport, language: str = "en") -> str:
    if language != "en":
        report = report.model_copy(update={"problems": in_language(report.problems, language)})
    return report.model_dump_json(indent=2)


def github_check(report: CheckReport, language: str = "en") -> str:
    return github_annotations(report.problems, report.path, language)


REPORTER_BY_NAME = {"text": text_check, "json": json_check, "github": github_check}
