"""Render problems and reports for people (text), machines (JSON) and GitHub (workflow commands).

A reporter is a function from data to a string; `REPORTER_BY_NAME` lets the CLI pick one by name.
The Markdown reporter for verify reports lives in `validator.report`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from validator.model import CheckReport, Problem, Severity
from validator.problems import localized

_LABEL = {
    "en": {
        "error": "error",
        "warning": "warning",
        "fix": "suggested",
        "summary": "{e} error(s), {w} warning(s)",
    },
    "ru": {
        "error": "ошибка",
        "warning": "предупреждение",
        "fix": "исправление",
        "summary": "ошибок: {e}, предупреждений: {w}",
    },
}


def counts(problems: Iterable[Problem]) -> tuple[int, int]:
    items = list(problems)
    errors = sum(p.severity is Severity.error for p in items)
    return errors, len(items) - errors


def problem_line(problem: Problem, path: str, language: str = "en") -> str:
    """`README.md:69:17: error [cell-no-unit] message`, the format editors jump to."""
    where = problem.path or path
    if problem.line is not None:
        where += f":{problem.line}"
        if problem.column is not None:
            where += f":{problem.column}"
    label = _LABEL.get(language, _LABEL["en"])
    text = f"{where}: {label[problem.severity.value]} [{problem.code}] {localized(problem, language)}"
    if problem.suggestion:
        lines = problem.suggestion.rstrip("\n").split("\n")
        text += f"\n    {label['fix']}: " + "\n".join(
            [lines[0], *(f"    {line}" if line else "" for line in lines[1:])]
        )
    return text


def summary_line(problems: Iterable[Problem], language: str = "en") -> str:
    errors, warnings = counts(problems)
    return _LABEL.get(language, _LABEL["en"])["summary"].format(e=errors, w=warnings)


def text_check(report: CheckReport, language: str = "en") -> str:
    lines = [problem_line(p, report.path, language) for p in report.problems]
    for table in report.tables:
        if table.kind == "comparison":
            what = "comparison table" if language == "en" else "сравнительная таблица"
            rows = "rows" if language == "en" else "строк"
            lines.append(f"{report.path}:{table.line}: {what}, {len(table.rows)} {rows}")
    lines.append(summary_line(report.problems, language))
    return "\n".join(lines)


def json_check(report: CheckReport, language: str = "en") -> str:
    if language != "en":
        problems = [p.model_copy(update={"message": localized(p, language)}) for p in report.problems]
        report = report.model_copy(update={"problems": problems})
    return report.model_dump_json(indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(problem: Problem, path: str, language: str = "en") -> str:
    """A workflow command: `::error file=README.md,line=69,col=17,title=cell-no-unit::message`."""
    props = [f"file={_escape_property(problem.path or path)}"]
    if problem.line is not None:
        props.append(f"line={problem.line}")
        if problem.column is not None:
            props.append(f"col={problem.column}")
    props.append(f"title={_escape_property(problem.code)}")
    message = localized(problem, language)
    if problem.suggestion:
        message += f"\n{_LABEL.get(language, _LABEL['en'])['fix']}: {problem.suggestion}"
    return f"::{problem.severity.value} {','.join(props)}::{_escape_data(message)}"


def github_check(report: CheckReport, language: str = "en") -> str:
    return "\n".join(github_annotation(p, report.path, language) for p in report.problems)


CheckReporter = Callable[[CheckReport, str], str]
REPORTER_BY_NAME: dict[str, CheckReporter] = {"text": text_check, "json": json_check, "github": github_check}
