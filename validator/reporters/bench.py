"""`validator bench` reports: one line per run for a terminal, or the `BenchReport` JSON."""

from __future__ import annotations

from validator.model import BenchReport, RunResult
from validator.plural import CORE, REPEAT, SAMPLE, THREAD
from validator.units import format_number, format_quantity

#: Control characters of student text (model cells, error messages, output) never reach the terminal raw:
#: an escape sequence could rewrite what the reader sees.
_CONTROL = {c: "?" for c in [*range(0, 32), *range(127, 160)] if chr(c) not in "\n\t"}

_WORDS = {
    "en": {
        "speed": "speed",
        "per_token": "ms/token",
        "rtf": "real-time factor",
        "weights": "weights",
        "over": "MB over the runtime",
        "environment": "environment",
        "ok": "ok",
        "timeout": "timeout",
        "oom": "out of memory",
        "error": "error",
        "skipped": "skipped",
        "unprotected": "UNPROTECTED: run without the sandbox",
        "notes": "note",
        "timed": "timed calls",
        "memory_cap": "memory cap",
    },
    "ru": {
        "speed": "скорость",
        "per_token": "ms на токен",
        "rtf": "коэффициент реального времени",
        "weights": "веса",
        "over": "MB сверх среды выполнения",
        "environment": "окружение",
        "ok": "выполнен",
        "timeout": "превышено время",
        "oom": "не хватило памяти",
        "error": "ошибка",
        "skipped": "пропущен",
        "unprotected": "БЕЗ ЗАЩИТЫ: запуск без песочницы",
        "notes": "заметка",
        "timed": "замеренных вызовов",
        "memory_cap": "предел памяти",
    },
}


def printable(text: str) -> str:
    return text.translate(_CONTROL)


def _quantity(result: RunResult, field: str) -> str:
    value = result.quantity(field)
    if value is None:
        return "-"
    std = None if value.std is None else round(value.std, 3)
    return format_quantity(value.model_copy(update={"value": round(value.value, 3), "std": std}))


def text_bench(report: BenchReport, language: str = "en") -> str:
    words = _WORDS.get(language, _WORDS["en"])
    lines = []
    for run in report.runs:
        head = f"{run.team or ''} {run.model} / {run.method}: {words[run.status]}".strip()
        if run.status != "ok":
            lines.append(f"{head}: {run.error}")
            if run.log_tail:
                lines.extend("    " + line for line in run.log_tail.splitlines()[-12:])
            continue
        speed = "gpu_speed" if run.device == "cuda" else "cpu_speed"
        parts = [f"{words['speed']} {_quantity(run, speed)}"]
        if run.ms_per_token is not None:
            parts.append(f"({format_number(round(run.ms_per_token.value, 3))} {words['per_token']})")
        if run.real_time_factor is not None:
            parts.append(f"({words['rtf']} {format_number(round(run.real_time_factor, 4))})")
        parts.append(f"{words['weights']} {_quantity(run, 'weights_size')}")
        parts.append(f"RAM {_quantity(run, 'ram')}")
        if run.ram_over_baseline is not None:
            parts.append(f"(+{format_number(round(run.ram_over_baseline.value, 1))} {words['over']})")
        if run.device == "cuda":
            parts.append(f"VRAM {_quantity(run, 'vram')}")
        if run.quality:
            parts.append(
                ", ".join(f"{m.name} {format_number(round(m.value, 4))}{m.unit or ''}" for m in run.quality)
            )
        threads = THREAD.count(run.threads, language) if run.threads else "-"
        timed = f", {run.timed_calls} {words['timed']}" if run.timed_calls is not None else ""
        parts.append(
            f"[{SAMPLE.count(run.samples, language)} x {REPEAT.count(run.repeats, language)}{timed}, "
            f"{threads}]"
        )
        lines.append(f"{head}: " + " ".join(parts))
        lines.extend(f"    {words['notes']}: {note}" for note in run.notes or [])
        if run.sandbox == "none":
            lines.append(f"    {words['unprotected']}")
    env = report.environment
    lines.append(
        f"{words['environment']}: {env.cpu}, {CORE.count(env.cores or 0, language)}, "
        f"{format_number(env.ram_mb or 0)} MB RAM, {env.os}, "
        f"Python {env.python}, torch {env.torch}, transformers {env.transformers}"
        + (f", GPU {env.gpu} (driver {env.gpu_driver})" if env.gpu else "")
        + (f", {words['memory_cap']} {env.memory_limit_mb} MB" if env.memory_limit_mb else "")
    )
    return printable("\n".join(lines))


def json_bench(report: BenchReport, language: str = "en") -> str:
    return report.model_dump_json(indent=2)


REPORTER_BY_NAME = {"text": text_bench, "json": json_bench}
