"""`validator verify` reports: Markdown (the PR comment and the job summary), text, JSON, annotations.

Every piece of student text (model and method cells, messages, log tails) is escaped: the comment
can hold no live HTML, image, link or @mention that a student wrote. The body stays under
`MAX_CHARS`; log tails are trimmed first, then problems, then rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from validator.model import Check, Metric, Problem, Quantity, RatioCheck, RowVerification, VerifyReport
from validator.plural import CALL, CORE, ERROR, THREAD, WARNING
from validator.problems import localized
from validator.reading import format_metric
from validator.reporters.problems import github_annotations, in_language, labels, where
from validator.reporters.words import FIELD_NAMES, note_text
from validator.units import SIZE_UNITS, format_number, format_quantity

MAX_CHARS = 60_000

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Benchmark verification",
        "pass": "pass",
        "fail": "fail",
        "summary": "{verified} verified, {mismatch} mismatch, {unverified} unverified; {problems}",
        "runner": "Re-run on",
        "ratios": "Compressed over original, claimed vs re-run on one runner",
        "ratios_note": "Hardware cancels out of a ratio, so these are judged tightly.",
        "reference": "The original was run by the validator's reference loader for the hub model "
        "{model}, not by the team's code: the baseline of these ratios is not the team's to write.",
        "reference_row": "Run by the validator's reference loader for the hub model {model}, not by "
        "the team's code.",
        "row": "Row",
        "line": "line",
        "metric": "metric",
        "claimed": "claimed",
        "verified": "verified",
        "delta": "Δ",
        "verdict": "verdict",
        "model": "model",
        "method": "method",
        "corrected": "Corrected row, ready to paste",
        "problems": "Problems",
        "log": "Log tail",
        "status": "status",
        "none": "No rows to verify.",
        "trimmed": "The report was trimmed to fit a comment; the full report is in the job's artifact.",
        "v:verified": "✅ verified",
        "v:mismatch": "❌ mismatch",
        "v:unverified": "➖ unverified",
        "s:ok": "ran",
        "s:timeout": "timed out",
        "s:oom": "out of memory",
        "s:error": "failed",
        "s:no-manifest": "no manifest declares this row",
        "s:skipped": "skipped",
        "judged": "judged",
        "j:absolute": "absolute",
        "j:ratio": "by ratio",
        "j:not comparable": "not comparable",
        "memory_cap": "memory cap",
        "timed": "Timed: {calls} in {passes} of the {declared} declared passes.",
        "pr": "base {base} → head {head}",
        "team": "team",
    },
    "ru": {
        "title": "Проверка замеров",
        "pass": "пройдена",
        "fail": "не пройдена",
        "summary": "подтверждено: {verified}, расхождений: {mismatch}, "
        "не проверено: {unverified}; {problems}",
        "runner": "Перезапуск на",
        "ratios": "Сжатая модель относительно оригинала: заявлено и перезамерено на одной машине",
        "reference": "Оригинал запущен встроенным эталонным загрузчиком валидатора для модели с хаба "
        "{model}, а не кодом команды: базу этих отношений команда не пишет.",
        "reference_row": "Запущено встроенным эталонным загрузчиком валидатора для модели с хаба "
        "{model}, а не кодом команды.",
        "ratios_note": "При делении одного замера на другой железо сокращается, "
        "поэтому допуск здесь строгий.",
        "row": "Строка",
        "line": "строка",
        "metric": "метрика",
        "claimed": "заявлено",
        "verified": "перезамерено",
        "delta": "Δ",
        "verdict": "вердикт",
        "model": "модель",
        "method": "метод",
        "corrected": "Исправленная строка, готовая для вставки",
        "problems": "Замечания",
        "log": "Конец журнала",
        "status": "статус",
        "none": "Нет строк для проверки.",
        "trimmed": "Отчёт сокращён, чтобы поместиться в комментарий; полный отчёт — в артефакте задачи.",
        "v:verified": "✅ подтверждено",
        "v:mismatch": "❌ расхождение",
        "v:unverified": "➖ не проверено",
        "s:ok": "запуск выполнен",
        "s:timeout": "превышено время",
        "s:oom": "не хватило памяти",
        "s:error": "ошибка запуска",
        "s:no-manifest": "строку не объявляет ни один манифест",
        "s:skipped": "пропущено",
        "judged": "как судили",
        "j:absolute": "абсолютно",
        "j:ratio": "по отношению",
        "j:not comparable": "несравнимо",
        "memory_cap": "предел памяти",
        "timed": "Замерено: {calls}; проходов {passes} из {declared} объявленных.",
        "pr": "базовая ревизия {base} → ревизия PR {head}",
        "team": "команда",
    },
}

ENV_WORDS: dict[str, dict[str, str]] = {
    "en": {"device": "device", "cpu": "unknown CPU"},
    "ru": {"device": "устройство", "cpu": "неизвестный CPU"},
}


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~^=:])")


def escape(text: str) -> str:
    """Student text as inert Markdown: no HTML, link, image, mention, or table break."""
    text = " ".join(text.split()).replace("://", ":\u200b//")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # GitHub links @user, #123, URLs and www. even without Markdown syntax: break them invisibly.
    text = text.replace("@", "@\u200b").replace("www\\.", "www\u200b\\.").replace("\\#", "\\#\u200b")
    return text


def code_block(text: str) -> str:
    """A fenced block no content can close early; its text is never rendered as Markdown."""
    text = text.replace("\r", "").replace("<!--", "<!\u200b--")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _t(language: str) -> dict[str, str]:
    return TEXTS.get(language, TEXTS["en"])


#: Significant digits of every number in the Markdown report (the JSON keeps full precision).
REPORT_DIGITS = 3


def _value(value: Quantity | Metric | None, digits: int | None = REPORT_DIGITS) -> str:
    if value is None:
        return "—"
    if isinstance(value, Quantity):
        return format_quantity(value, significant=digits)
    # Cut the name off by its length: a student's metric name may itself contain ": " and text after it.
    return format_metric(value, digits).removeprefix(f"{value.name}: ")


def _delta(check: Check) -> str:
    if check.claimed is None or check.verified is None or check.claimed.value == 0:
        return ""
    return _percent((check.verified.value - check.claimed.value) / abs(check.claimed.value) * 100)


def _percent(change: float) -> str:
    """A relative change in three significant digits: `+306%`, `-4.92%`, `+0%`."""
    return ("+" if change >= 0 else "-") + format_number(abs(change), REPORT_DIGITS) + "%"


def _field_name(field: str, language: str) -> str:
    if field.startswith("quality."):
        return escape(field.removeprefix("quality."))
    return FIELD_NAMES.get(language, FIELD_NAMES["en"]).get(field, field)


def counts(report: VerifyReport) -> dict[str, int]:
    verdicts = [c.verdict for r in report.rows for c in r.checks] + [r.verdict for r in report.ratios]
    errors = sum(p.severity.value == "error" for p in report.problems)
    return {
        "verified": verdicts.count("verified"),
        "mismatch": verdicts.count("mismatch"),
        "unverified": verdicts.count("unverified"),
        "errors": errors,
        "warnings": len(report.problems) - errors,
    }


def _summary(report: VerifyReport, language: str) -> str:
    numbers = counts(report)
    problems = f"{ERROR.count(numbers['errors'], language)}, {WARNING.count(numbers['warnings'], language)}"
    return _t(language)["summary"].format(**numbers, problems=problems)


def environment_line(report: VerifyReport, language: str = "en") -> str:
    words = ENV_WORDS.get(language, ENV_WORDS["en"])
    env = report.environment
    parts = [escape(env.cpu or words["cpu"])]
    if env.cores:
        parts.append(CORE.count(env.cores, language))
    if env.ram_mb:
        parts.append(f"{format_number(round(env.ram_mb / SIZE_UNITS['gb'], 1))} GB RAM")
    if env.gpu:
        parts.append(escape(env.gpu))
    if env.torch:
        parts.append(f"torch {escape(env.torch)}")
    if env.threads:
        parts.append(THREAD.count(env.threads, language))
    if env.memory_limit_mb:
        cap = format_number(round(env.memory_limit_mb / SIZE_UNITS["gb"], 1))
        parts.append(f"{_t(language)['memory_cap']} {cap} GB")
    parts.append(f"{words['device']} {report.device}")
    return " · ".join(parts)


def _table(header: list[str], rows: Iterable[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def _ratio_section(ratios: list[RatioCheck], language: str) -> str:
    t = _t(language)
    rows = []
    for ratio in ratios:
        claimed = "—" if ratio.claimed is None else f"×{ratio.claimed:.3g}"
        verified = "—" if ratio.verified is None else f"×{ratio.verified:.3g}"
        delta = ""
        if ratio.claimed and ratio.verified is not None:
            delta = _percent((ratio.verified - ratio.claimed) / ratio.claimed * 100)
        rows.append(
            [
                f"{escape(ratio.model)}",
                f"{escape(ratio.method)} / {escape(ratio.baseline_method)}",
                _field_name(ratio.field, language),
                claimed,
                verified,
                delta,
                t[f"v:{ratio.verdict}"],
            ]
        )
    header = [t["model"], t["method"], t["metric"], t["claimed"], t["verified"], t["delta"], t["verdict"]]
    notes = [
        t["reference"].format(model=escape(m))
        for m in dict.fromkeys(r.baseline_reference for r in ratios)
        if m
    ]
    return (
        f"### {t['ratios']}\n\n{t['ratios_note']}\n\n"
        + _table(header, rows)
        + "".join(f"\n\n{n}" for n in notes)
    )


def _pinned(reference: str) -> str:
    """`owner/name@<sha>` with the commit shortened to 12 digits, as inert Markdown."""
    repo, _, sha = reference.partition("@")
    return escape(f"{repo}@{sha[:12]}" if sha else repo)


def _row_section(row: RowVerification, language: str, log_lines: int | None) -> str:
    t = _t(language)
    where = f" ({t['line']} {row.line})" if row.line else ""
    title = f"### {escape(row.model)} · {escape(row.method or '—')}{where} — {t['s:' + row.status]}"
    parts = [title]
    if row.reference_loader:
        parts.append(t["reference_row"].format(model=_pinned(row.reference_loader)))
    if timed := _timed(row, language):
        parts.append(timed)
    if row.checks:
        header = [t["metric"], t["claimed"], t["verified"], t["delta"], t["judged"], t["verdict"]]
        cells = [
            [
                _field_name(c.field, language),
                _value(c.claimed),
                _value(c.verified),
                _delta(c),
                t[f"j:{c.judged_by}"] if c.judged_by else "",
                t[f"v:{c.verdict}"] + (f" ({escape(note_text(c.note, language))})" if c.note else ""),
            ]
            for c in row.checks
        ]
        parts.append(_table(header, cells))
    if row.corrected_row:
        parts.append(
            f"<details><summary>{t['corrected']}</summary>\n\n{code_block(row.corrected_row)}\n\n</details>"
        )
    if row.log_tail and log_lines != 0:
        lines = row.log_tail.splitlines()
        if log_lines is not None:
            lines = lines[-log_lines:]
        parts.append(
            f"<details><summary>{t['log']}</summary>\n\n{code_block(chr(10).join(lines))}\n\n</details>"
        )
    return "\n\n".join(parts)


def _timed(row: RowVerification, language: str) -> str | None:
    """What was timed, where it is fewer passes than the course declares."""
    if row.passes is None or row.passes_declared is None or row.passes >= row.passes_declared:
        return None
    calls = CALL.count(row.timed_calls or 0, language)
    return _t(language)["timed"].format(calls=calls, passes=row.passes, declared=row.passes_declared)


def _problem_item(problem: Problem, language: str, readme: str) -> str:
    message = escape(localized(problem, language))
    severity = labels(language)[problem.severity.value]
    text = f"- **{severity}** `{problem.code}` {escape(where(problem, readme))}: {message}"
    if problem.suggestion and "\n" in problem.suggestion:
        # A file to add (the manifest a team lacks): shown whole, in a block under the item.
        text += "\n\n" + "\n".join(f"  {line}" for line in code_block(problem.suggestion).split("\n"))
    elif problem.suggestion:
        text += f" → {escape(problem.suggestion)}"
    return text


def render_markdown(report: VerifyReport, language: str = "en", limit: int = MAX_CHARS) -> str:
    """The PR comment body: summary, ratio checks first, a table per row, problems; under `limit`."""
    for log_lines, max_problems, max_rows in ((None, None, None), (40, 200, None), (10, 50, 60), (0, 20, 20)):
        body = _render(report, language, log_lines, max_problems, max_rows)
        if len(body) <= limit:
            return body
    note = f"\n\n_{_t(language)['trimmed']}_"
    return body[: limit - len(note)] + note


def _render(
    report: VerifyReport, language: str, log_lines: int | None, max_problems: int | None, max_rows: int | None
) -> str:
    t = _t(language)
    icon = "✅" if report.verdict == "pass" else "❌"
    sections = [f"## {icon} {t['title']}: {t[report.verdict]}", _summary(report, language)]
    context = [f"{t['runner']}: {environment_line(report, language)}"]
    if report.base or report.head:
        context.append(t["pr"].format(base=(report.base or "?")[:12], head=(report.head or "?")[:12]))
    if report.team:
        context.append(f"{t['team']}: {escape(report.team)}")
    sections.append("  \n".join(context))
    if report.ratios:
        sections.append(_ratio_section(report.ratios, language))
    rows = report.rows if max_rows is None else report.rows[:max_rows]
    sections.extend(_row_section(row, language, log_lines) for row in rows)
    if not report.rows:
        sections.append(t["none"])
    if report.problems:
        problems = report.problems if max_problems is None else report.problems[:max_problems]
        items = "\n".join(_problem_item(p, language, report.readme) for p in problems)
        sections.append(f"### {t['problems']}\n\n{items}")
    trimmed = (max_rows is not None and len(report.rows) > max_rows) or (
        max_problems is not None and len(report.problems) > max_problems
    )
    if trimmed or log_lines is not None:
        sections.append(f"_{t['trimmed']}_")
    return "\n\n".join(sections) + "\n"


def render_text(report: VerifyReport, language: str = "en") -> str:
    """The same report for a terminal."""
    t = _t(language)
    lines = [f"{t['title']}: {t[report.verdict]} — {_summary(report, language)}"]
    lines.append(f"{t['runner']}: {environment_line(report, language)}".replace("\\", ""))
    for ratio in report.ratios:
        claimed = "—" if ratio.claimed is None else f"x{ratio.claimed:.3g}"
        verified = "—" if ratio.verified is None else f"x{ratio.verified:.3g}"
        lines.append(
            f"  ratio {ratio.model} · {ratio.method}/{ratio.baseline_method} {ratio.field}: "
            f"{t['claimed']} {claimed}, {t['verified']} {verified} -> {ratio.verdict}"
        )
    for row in report.rows:
        lines.append(f"{row.model} · {row.method or '-'} ({t['line']} {row.line}): {t['s:' + row.status]}")
        if timed := _timed(row, language):
            lines.append(f"  {timed}")
        for check in row.checks:
            lines.append(
                f"  {check.field}: {t['claimed']} {_value(check.claimed, None)}, {t['verified']} "
                f"{_value(check.verified, 4)} -> {check.verdict}"
                + (f" [{t['j:' + check.judged_by]}]" if check.judged_by else "")
                + (f" ({check.note})" if check.note else "")
            )
        if row.corrected_row:
            lines.append(f"  {t['corrected']}: {row.corrected_row}")
    for problem in report.problems:
        severity = labels(language)[problem.severity.value]
        lines.append(
            f"{where(problem, report.readme)}: {severity} [{problem.code}] {localized(problem, language)}"
        )
    return "\n".join(lines)


def json_verify(report: VerifyReport, language: str = "en") -> str:
    if language != "en":
        report = report.model_copy(update={"problems": in_language(report.problems, language)})
    return report.model_dump_json(indent=2)


def github_verify(report: VerifyReport, language: str = "en") -> str:
    return github_annotations(report.problems, report.readme, language)


REPORTER_BY_NAME = {
    "text": render_text,
    "json": json_verify,
    "github": github_verify,
    "markdown": render_markdown,
}
