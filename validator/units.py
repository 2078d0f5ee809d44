"""The one unit table: every spelling students use, and what it means in canonical units.

Sizes are in MB, where MB = MiB = Mb = 1024² bytes (students write all three for the same thing, and
the course measures with `torch` and `psutil`, which count in powers of two); GB = 1024 MB.
Latency is ms per sample, per-token latency ms/token, throughput tokens/s or samples/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from validator.model import Quantity, Unit

Dimension = Literal["size", "latency", "token_latency", "token_rate", "sample_rate", "percent"]

#: Which dimensions each quantity field accepts.
FIELD_DIMENSIONS: dict[str, frozenset[Dimension]] = {
    "weights_size": frozenset({"size"}),
    "ram": frozenset({"size"}),
    "vram": frozenset({"size"}),
    "cpu_speed": frozenset({"latency", "token_latency", "token_rate", "sample_rate"}),
    "gpu_speed": frozenset({"latency", "token_latency", "token_rate", "sample_rate"}),
}

CANONICAL: dict[Dimension, Unit | Literal["%"]] = {
    "size": "MB",
    "latency": "ms",
    "token_latency": "ms/token",
    "token_rate": "tokens/s",
    "sample_rate": "samples/s",
    "percent": "%",
}

_MB = 1.0
#: Size spellings, in MB.
SIZE_UNITS: dict[str, float] = {
    **dict.fromkeys(("b", "byte", "bytes", "байт", "байта", "байтов"), _MB / 1024**2),
    **dict.fromkeys(("kb", "kib", "kbyte", "kbytes", "кб", "кбайт", "килобайт"), _MB / 1024),
    **dict.fromkeys(
        (
            "mb",
            "mib",
            "mbyte",
            "mbytes",
            "megabyte",
            "megabytes",
            "мб",
            "мбайт",
            "мегабайт",
            "мегабайта",
            "мегабайтов",
            "mегабайт",
        ),
        _MB,
    ),
    **dict.fromkeys(
        (
            "gb",
            "gib",
            "gbyte",
            "gbytes",
            "gigabyte",
            "gigabytes",
            "гб",
            "гбайт",
            "гигабайт",
            "гигабайта",
            "гигабайтов",
        ),
        1024 * _MB,
    ),
    **dict.fromkeys(("tb", "tib", "тб"), 1024**2 * _MB),
}

#: Time spellings, in ms.
TIME_UNITS: dict[str, float] = {
    **dict.fromkeys(("us", "µs", "μs", "мкс", "microsecond", "microseconds"), 0.001),
    **dict.fromkeys(
        (
            "ms",
            "msec",
            "msecs",
            "millisecond",
            "milliseconds",
            "мс",
            "мсек",
            "миллисекунд",
            "миллисекунда",
            "миллисекунды",
        ),
        1.0,
    ),
    **dict.fromkeys(
        ("s", "sec", "secs", "second", "seconds", "с", "сек", "секунд", "секунда", "секунды"), 1000.0
    ),
    **dict.fromkeys(("min", "mins", "minute", "minutes", "мин", "минут", "минута", "минуты"), 60_000.0),
}

TOKEN_WORDS = frozenset(("token", "tokens", "tok", "toks", "t", "токен", "токена", "токенов", "ток"))
SAMPLE_WORDS = frozenset(
    (
        "sample",
        "samples",
        "text",
        "texts",
        "image",
        "images",
        "img",
        "imgs",
        "item",
        "items",
        "example",
        "examples",
        "sentence",
        "sentences",
        "query",
        "queries",
        "request",
        "requests",
        "audio",
        "utterance",
        "utterances",
        "it",
        "iter",
        "iteration",
        "iterations",
        "pic",
        "frame",
        "frames",
        "сэмпл",
        "сэмпла",
        "сэмплов",
        "семпл",
        "семпла",
        "семплов",
        "текст",
        "текста",
        "текстов",
        "изображение",
        "изображения",
        "изображений",
        "пример",
        "примера",
        "примеров",
        "запрос",
        "запроса",
        "запросов",
        "кадр",
        "кадра",
        "кадров",
        "аудио",
    )
)
#: Rates written as one word.
RATE_WORDS: dict[str, tuple[Dimension, float]] = {
    "fps": ("sample_rate", 1.0),
    "tps": ("token_rate", 1.0),
    "it/s": ("sample_rate", 1.0),
}
PERCENT_WORDS = frozenset(("%", "percent", "pct", "процент", "процентов"))


@dataclass(frozen=True)
class UnitSpec:
    """A parsed unit spelling: its dimension and the factor to the canonical unit."""

    dimension: Dimension
    factor: float
    written: str

    @property
    def canonical(self) -> Unit | Literal["%"]:
        return CANONICAL[self.dimension]


def _clean(text: str) -> str:
    text = text.strip().casefold().replace("\u00a0", " ").replace("∕", "/")
    text = text.replace(" per ", "/").replace(" в ", "/").replace(" на ", "/")
    return "".join(text.split()).strip(".")


def parse_unit(text: str) -> UnitSpec | None:
    """`'sec/tokens'` -> ms/token ×1000; `'Gb'` -> MB ×1024; `None` when it is not a unit we know."""
    clean = _clean(text)
    if not clean:
        return None
    if clean in PERCENT_WORDS:
        return UnitSpec("percent", 1.0, text)
    if clean in RATE_WORDS:
        dim, factor = RATE_WORDS[clean]
        return UnitSpec(dim, factor, text)
    if clean in SIZE_UNITS:
        return UnitSpec("size", SIZE_UNITS[clean], text)
    if clean in TIME_UNITS:
        return UnitSpec("latency", TIME_UNITS[clean], text)
    parts = clean.split("/")
    if len(parts) != 2:
        return None
    num, den = parts
    if num in TIME_UNITS:
        if den in TOKEN_WORDS:
            return UnitSpec("token_latency", TIME_UNITS[num], text)
        if den in SAMPLE_WORDS:
            return UnitSpec("latency", TIME_UNITS[num], text)
        return None
    if den in TIME_UNITS:
        per_second = 1000.0 / TIME_UNITS[den]
        if num in TOKEN_WORDS:
            return UnitSpec("token_rate", per_second, text)
        if num in SAMPLE_WORDS:
            return UnitSpec("sample_rate", per_second, text)
    return None


def to_quantity(value: float, std: float | None, spec: UnitSpec, note: str | None = None) -> Quantity:
    """Normalize a written number to its canonical unit."""
    unit = spec.canonical
    assert unit != "%", "percentages are quality metrics, not quantities"
    return Quantity.model_construct(
        value=value * spec.factor,
        std=None if std is None else std * spec.factor,
        unit=unit,
        note=note,
    )


def format_number(value: float, significant: int | None = None) -> str:
    """Shortest faithful writing: 1280.0 -> '1280', 0.0005 -> '0.0005', 5888.802734 -> '5888.802734'.

    With `significant`, a measured value is rounded for people (925.0128, 4 -> '925'; 12345.6 -> '12350').
    """
    if not math.isfinite(value):
        return str(value)
    if significant is not None and value != 0:
        value = round(value, significant - 1 - math.floor(math.log10(abs(value))))
    return format(value, ".12g")


def format_quantity(
    q: Quantity, *, with_std: bool = True, with_note: bool = False, significant: int | None = None
) -> str:
    """`Quantity` in the course's writing: `0.42 ± 0.0005 tokens/s`.

    `significant` rounds a measurement for display (the spread to two digits); claims are shown as
    written.
    """
    text = format_number(q.value, significant)
    if with_std and q.std is not None:
        text += f" ± {format_number(q.std, 2 if significant else None)}"
    text += f" {q.unit}"
    if with_note and q.note:
        text += f" ({q.note})"
    return text


#: MB = MiB = 1024² bytes, the size unit every stage reports in.
BYTES_PER_MB = 1024**2


def mb(num_bytes: int | float) -> float:
    """Bytes to MB, the size unit every stage reports in."""
    return float(num_bytes) / BYTES_PER_MB
