"""Header cells -> canonical fields, through one alias table, keeping the unit the header declares.

`Время инференса (CPU, ms)` -> `cpu_speed` in ms; `Размер (МБ)` -> `weights_size` in MB;
`Качество (NISQA, WER)` -> `quality` naming NISQA and WER; `Точность (WER)` -> `quality` naming WER.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from validator.metrics import is_metric_name
from validator.units import UnitSpec, parse_unit

Device = Literal["cpu", "gpu"]

#: Canonical field -> header texts (compared after `normalize_header`). Extend per course with
#: `[table.aliases]` in validator.toml.
DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "model": ("модель", "model", "название модели", "model name", "модели", "models", "сеть", "network"),
    "method": (
        "метод",
        "method",
        "метод сжатия",
        "метод компрессии",
        "compression method",
        "compression",
        "technique",
        "подход",
        "approach",
        "способ",
        "оптимизация",
        "optimization",
        "вариант",
        "variant",
    ),
    "weights_size": (
        "размер весов",
        "размер",
        "размер модели",
        "model size",
        "size",
        "weights size",
        "weight size",
        "weights",
        "вес модели",
        "размер весов модели",
        "размер на диске",
        "disk size",
        "size on disk",
        "checkpoint size",
        "размер чекпоинта",
        "объем весов",
        "объём весов",
    ),
    "ram": (
        "использование ram",
        "ram",
        "ram usage",
        "память ram",
        "оперативная память",
        "peak ram",
        "cpu memory",
        "memory cpu",
        "использование памяти cpu",
        "память cpu",
        "ram memory",
        "использование оперативной памяти",
        "озу",
        "использование озу",
    ),
    "vram": (
        "использование vram",
        "vram",
        "vram usage",
        "gpu memory",
        "memory gpu",
        "видеопамять",
        "память gpu",
        "peak vram",
        "использование видеопамяти",
        "использование памяти gpu",
    ),
    "quality": (
        "качество",
        "quality",
        "точность",
        "accuracy",
        "метрика",
        "метрики",
        "metric",
        "metrics",
        "score",
        "оценка",
        "качество модели",
        "model quality",
    ),
}

#: Header texts that name a speed and need a device (CPU or GPU) to say which speed.
SPEED_ALIASES: tuple[str, ...] = (
    "время инференса",
    "inference time",
    "время",
    "time",
    "latency",
    "скорость",
    "speed",
    "throughput",
    "скорость инференса",
    "inference speed",
    "inference latency",
    "время работы",
    "инференс",
    "inference",
    "задержка",
    "производительность",
    "performance",
    "время вывода",
)

_DEVICE_WORDS: dict[str, Device] = {"cpu": "cpu", "цпу": "cpu", "gpu": "gpu", "гпу": "gpu", "cuda": "gpu"}


def normalize_header(text: str) -> str:
    text = text.casefold().replace("ё", "е")
    text = re.sub(r"[*_`:.\"'«»]", " ", text)
    return " ".join(text.split())


@dataclass
class HeaderInfo:
    """What one header cell says: its field, the unit it declares, the metrics it names."""

    text: str
    field: str | None
    unit: UnitSpec | None = None
    device: Device | None = None
    metrics: list[str] = dataclasses.field(default_factory=list)


@dataclass
class AliasTable:
    """Normalized header text -> canonical field."""

    by_text: dict[str, str]

    @classmethod
    def build(cls, extra: Mapping[str, Sequence[str]] | None = None) -> AliasTable:
        by_text: dict[str, str] = {}
        for name, aliases in DEFAULT_ALIASES.items():
            for alias in aliases:
                by_text[normalize_header(alias)] = name
        for alias in SPEED_ALIASES:
            for word, device in _DEVICE_WORDS.items():
                by_text[normalize_header(f"{alias} {word}")] = f"{device}_speed"
                by_text[normalize_header(f"{word} {alias}")] = f"{device}_speed"
        for name, extra_aliases in (extra or {}).items():
            for alias in extra_aliases:
                by_text[normalize_header(alias)] = name
        return cls(by_text)


def _split_header(text: str) -> tuple[str, list[str]]:
    """`'Время инференса (CPU, ms)'` -> (`'Время инференса'`, [`'CPU'`, `'ms'`])."""
    params = [p for group in re.findall(r"\(([^()]*)\)?", text) for p in re.split(r"[,;]", group)]
    base = re.sub(r"\([^()]*\)?", " ", text).replace(")", " ")
    base_parts = re.split(r"[,;]", base)
    params = [p.strip() for p in base_parts[1:] + params if p.strip()]
    return base_parts[0].strip(), params


def parse_header(text: str, aliases: AliasTable) -> HeaderInfo:
    base, params = _split_header(text)
    unit: UnitSpec | None = None
    device: Device | None = None
    names: list[str] = []
    for param in params:
        spec = parse_unit(param)
        if spec is not None:
            unit = spec
        elif normalize_header(param) in _DEVICE_WORDS:
            device = _DEVICE_WORDS[normalize_header(param)]
        else:
            names.append(param)

    words = normalize_header(base).split()
    # A trailing unit in the base itself: `Size MB`, `RAM, MB` is handled as a parameter above.
    if len(words) > 1 and unit is None and (spec := parse_unit(words[-1])) is not None:
        unit, words = spec, words[:-1]
    key = " ".join(words)
    for word in words:
        device = device or _DEVICE_WORDS.get(word)

    candidates = [key]
    if device and not any(word in _DEVICE_WORDS for word in words):
        candidates.insert(0, f"{key} {device}")
    found = next((aliases.by_text[c] for c in candidates if c in aliases.by_text), None)

    if found is None and is_metric_name(base.strip()):
        # A header that is itself a metric: `WER`, `F1`, `BLEU`.
        return HeaderInfo(text, "quality", unit, device, [base.strip(), *names])
    if found == "quality":
        if not names and is_metric_name(base.strip()):
            names = [base.strip()]
        return HeaderInfo(text, "quality", unit, device, names)
    return HeaderInfo(text, found, unit, device, [])
