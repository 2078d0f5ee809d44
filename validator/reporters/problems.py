"""Problems rendered for people (a line editors jump to), GitHub (workflow commands) and JSON."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from validator.model import Problem, Severity
from validator.plural import ERROR, WARNING
from validator.problems import localized

_LABEL = {
    "en": {"error": "error", "warning": "warning", "fix": "suggested"},
    "ru": {"error": "ошибка", "warning": "предупреждение", "fix": "исправление"},
}


def labels(language: str) -> dict[str, str]:
    return _LABEL.get(language, _LABEL["en"])


def counts(problems: Iterable[Problem]) -> tuple[int, int]:
    items = list(problems)
    errors = sum(p.severity is Severity.error for p in items)
    return errors, len(items) - errors


def where(problem: Problem, path: str) -> str:
    """`README.md:69:17`: the problem's own file when it names one, else the report's."""
    text = problem.path or path
    if problem.line is not None:
        text += f":{problem.line}"
        if problem.column is not None:
            text += f":{problem.column}"
    return text


def problem_line(problem: Problem, path: str, language: str = "en") -> str:
    """`README.md:69:17: error [cell-no-unit] message`, the format editors jump to."""
    label = labels(language)
    severity = label[problem.severity.value]
    text = f"{where(problem, path)}: {severity} [{problem.code}] {localized(problem, language)}"
    if problem.suggestion:
        # A multi-line suggestion (a manifest to add) stays indented under its problem.
        lines = problem.suggestion.rstrip("\n").split("\n")
        indented = [lines[0], *(f"    {line}" if line else "" for line in lines[1:])]
        text += f"\n    {label['fix']}: " + "\n".join(indented)
    return text


def summary_line(problems: Iterable[Problem], language: str = "en") -> str:
    """`1 error, 2 warnings`; `1 ошибка, 2 предупреждения`."""
    errors, warnings = counts(problems)
    return f"{ERROR.count(errors, language)}, {WARNING.count(warnings, language)}"


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
        message += f"\n{labels(language)['fix']}: {problem.suggestion}"
    return f"::{problem.severity.value} {','.join(props)}::{_escape_data(message)}"


def github_annotations(problems: Iterable[Problem], path: str, language: str = "en") -> str:
    return "\n".join(github_annotation(p, path, language) for p in problems)


def in_language(problems: Sequence[Problem], language: str) -> list[Problem]:
    """The problems with their messages in the language (for JSON, where `params` stay as they are)."""
    if language == "en":
        return list(problems)
    return [p.model_copy(update={"message": localized(p, language)}) for p in problems]
