"""Header cells -> canonical fields, through one alias table, keeping the unit the header declares.

`Время инференса (CPU, ms)` -> `cpu_speed` in ms; `Размер (МБ)` -> `weights_size` in MB;
`Качество (NISQA, WER)` -> `quality` naming NISQA and WER; `Точность (WER)` -> `quality` naming WER.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
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


#: Words that qualify a measurement without changing its field: `Пиковое использование RAM`, `Mean latency`.
_QUALIFIERS = frozenset(
    (
        "peak",
        "max",
        "maximum",
        "mean",
        "average",
        "avg",
        "median",
        "total",
        "пиковое",
        "пиковая",
        "пиковый",
        "максимальное",
        "максимальная",
        "среднее",
        "средняя",
        "средний",
        "медианное",
        "медианная",
        "общее",
        "общий",
    )
)
#: A parenthesized remark on the direction of a measure: `(lower is better)`, `(меньше — лучше)`.
_BETTER = re.compile(
    r"^\W*(?:(?:lower|higher|less|more|smaller|bigger|larger)(?: is)? better|"
    r"(?:чем )?(?:меньше|больше|ниже|выше)\W*(?:тем )?лучше)\W*$",
    re.IGNORECASE,
)
#: Footnote references written in ASCII: `Время[1]`, `RAM^1`, `VRAM[^a]`, `Размер*` (`[MB]` is a unit).
_FOOTNOTE = re.compile(r"\[\^[^\]]{1,8}\]|\[\d{1,2}\]|\^\w{1,3}\b|\*+")
#: Marks that decorate rather than name: footnote daggers and the like, and arrows outside `So`.
_MARKS = frozenset("†‡§¶※⟵⟶⟷⟸⟹⟺")
#: Words after which a parenthesized part is a note, not a metric: `(на тесте)`, `(on the test set)`.
_NOTE_WORDS = frozenset(("на", "on", "for", "для", "по", "at", "в", "with", "при", "c", "с", "from", "из"))


def strip_decorations(text: str) -> str:
    """A header without what decorates it: arrows, footnote marks, superscripts, emoji, `(↓ лучше)`.

    `Размер весов, MB ↓` -> `Размер весов, MB`; `RAM¹ (MB)` -> `RAM (MB)`; `Время*` -> `Время`.
    """
    if text.isascii():
        stripped = _FOOTNOTE.sub(" ", text)
    else:
        stripped = "".join(
            " "
            if unicodedata.category(char) in ("So", "No") or char in _MARKS or "\u2190" <= char <= "\u21ff"
            else char
            for char in _FOOTNOTE.sub(" ", text)
        )
    return " ".join(stripped.split())


def _split_header(text: str) -> tuple[str, list[str]]:
    """`'Время инференса (CPU, ms)'` -> (`'Время инференса'`, [`'CPU'`, `'ms'`]); `[ms]` is `(ms)`."""
    if "[" in text:
        text = text.replace("[", "(").replace("]", ")")
    params = [p for group in re.findall(r"\(([^()]*)\)?", text) for p in re.split(r"[,;]", group)]
    base = re.sub(r"\([^()]*\)?", " ", text).replace(")", " ")
    base_parts = re.split(r"[,;]", base)
    params = [p.strip() for p in base_parts[1:] + params if p.strip() and not _BETTER.match(p)]
    return base_parts[0].strip(), params


def _unit_among_words(text: str) -> tuple[UnitSpec | None, str]:
    """The one unit named among other words, and the words left: `ms на 1 пример` -> (ms, `на 1 пример`).

    Windows of one to three words are tried (`tokens / s`); a one-letter word (`s`, `с`, `b`) counts
    only when it stands alone, since among other words it is as likely a preposition or a label. Two
    different units among the words are not chosen between: (None, the text).
    """
    words = re.sub(r"\s*/\s*", "/", text).split()
    found: dict[tuple[str, float], tuple[UnitSpec, int, int]] = {}
    for size in (1, 2, 3):
        for start in range(len(words) - size + 1):
            window = words[start : start + size]
            if size == 1 and len(window[0]) < 2 and window[0] != "%":
                continue
            spec = parse_unit(" ".join(window))
            if spec is not None:
                found.setdefault((spec.dimension, spec.factor), (spec, start, size))
    if len(found) != 1:
        return None, text
    spec, start, size = next(iter(found.values()))
    return spec, " ".join(words[:start] + words[start + size :])


def _metric_names(text: str) -> list[str]:
    """`WER / CER` -> [`WER`, `CER`]; a note such as `на тесте` names no metric; a name holds a letter."""
    names = []
    for part in re.split(r"[/,;|]| и | and ", text):
        words = part.split()
        # `F1 на тесте` names F1; `на тесте` alone names nothing.
        cut = next((i for i, word in enumerate(words) if word.casefold() in _NOTE_WORDS), len(words))
        name = " ".join(words[:cut]).strip(" :=-–—")
        if any(char.isalpha() for char in name):
            names.append(name)
    return names


def _lookup(words: list[str], device: Device | None, aliases: AliasTable) -> str | None:
    candidates = [" ".join(words)]
    if device and not any(word in _DEVICE_WORDS for word in words):
        candidates.insert(0, f"{candidates[0]} {device}")
    found = next((aliases.by_text[c] for c in candidates if c in aliases.by_text), None)
    if found is None:
        plain = [word for word in words if word not in _QUALIFIERS]
        if plain and len(plain) < len(words):
            return _lookup(plain, device, aliases)
    return found


def parse_header(text: str, aliases: AliasTable) -> HeaderInfo:
    base, params = _split_header(strip_decorations(text))
    unit: UnitSpec | None = None
    device: Device | None = None
    loose: list[str] = []
    for param in params:
        spec = parse_unit(param)
        if spec is not None:
            unit = spec
        elif normalize_header(param) in _DEVICE_WORDS:
            device = _DEVICE_WORDS[normalize_header(param)]
        else:
            loose.append(param)

    words = normalize_header(base).split()
    # A trailing unit in the base itself: `Size MB`, `RAM, MB` is handled as a parameter above.
    if len(words) > 1 and unit is None and (spec := parse_unit(words[-1])) is not None:
        unit, words = spec, words[:-1]
    for word in words:
        device = device or _DEVICE_WORDS.get(word)
    names: list[str] = []
    for param in loose:
        # A part with other words beside a unit or a device: `ms, batch=1`, `ms на 1 пример`, `GPU T4`.
        for word in normalize_header(param).split():
            device = device or _DEVICE_WORDS.get(word)
        spec, rest = _unit_among_words(param)
        if spec is not None:
            unit = unit or spec
        names.extend(_metric_names(rest))
    found = _lookup(words, device, aliases)

    base_names = _metric_names(base) if "/" in base else [base.strip()]
    if found is None and base_names and all(is_metric_name(name) for name in base_names):
        # A header that is itself a metric or several: `WER`, `F1`, `WER / CER`.
        return HeaderInfo(text, "quality", unit, device, [*base_names, *names])
    if found == "quality":
        if not names and is_metric_name(base.strip()):
            names = [base.strip()]
        return HeaderInfo(text, "quality", unit, device, names)
    return HeaderInfo(text, found, unit, device, [])
