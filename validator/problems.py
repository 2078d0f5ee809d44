"""Problem types: a stable code, a default severity, and a message in English and Russian.

Each module defines the problems it can find next to the code that finds them
(`CELL_NO_UNIT = define(...)`); the registry lets the README list every code and lets reporters
render a problem in the course's language. A problem is data (`validator.model.Problem`), never an
exception.
"""

from __future__ import annotations

from dataclasses import dataclass

from validator.model import Problem, Severity

Language = str  # "en" | "ru"


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _in_language(params: dict[str, str], language: Language) -> _Params:
    """The params with `<name>_<language>` (e.g. `note_ru`), where given, standing in for `<name>`.

    A value we wrote ourselves (a field name, a tolerance note) can so be rendered in both languages,
    while the student's own text (model, method) is shown as written.
    """
    suffix = f"_{language}"
    values = _Params(params)
    for key, value in params.items():
        if key.endswith(suffix):
            values[key.removesuffix(suffix)] = value
    return values


@dataclass(frozen=True)
class ProblemType:
    code: str
    severity: Severity
    en: str
    ru: str

    def at(
        self,
        line: int | None,
        column: int | None = None,
        *,
        suggestion: str | None = None,
        severity: Severity | str | None = None,
        path: str | None = None,
        **params: object,
    ) -> Problem:
        """A problem of this type at a place in the file; `params` fill the message."""
        values = {key: str(value) for key, value in params.items()}
        return Problem.model_construct(
            line=line,
            column=column,
            severity=Severity(severity) if severity else self.severity,
            code=self.code,
            message=self.en.format_map(_in_language(values, "en")),
            suggestion=suggestion,
            path=path,
            params=values,
        )

    def render(self, params: dict[str, str], language: Language) -> str:
        template = self.ru if language == "ru" else self.en
        return template.format_map(_in_language(params, language))


REGISTRY: dict[str, ProblemType] = {}


def define(code: str, severity: str, en: str, ru: str) -> ProblemType:
    """Register a problem type; codes are stable and unique across the project."""
    if code in REGISTRY:
        raise ValueError(f"problem code {code!r} defined twice")
    kind = ProblemType(code, Severity(severity), en, ru)
    REGISTRY[code] = kind
    return kind


def localized(problem: Problem, language: Language) -> str:
    """The problem's message in the given language (English when the code is not ours)."""
    kind = REGISTRY.get(problem.code)
    if kind is None or language == "en":
        return problem.message
    return kind.render(problem.params, language)


def sort_key(problem: Problem) -> tuple[int, int, str]:
    return (problem.line or 0, problem.column or 0, problem.code)
