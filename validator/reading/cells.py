"""The cell grammar: a cell's plain text -> an exact, normalized value, or problems saying why not.

A quantity cell is `[~] NUMBER [UNIT] [± NUMBER [UNIT]] [(NOTE | UNIT)] [NOTE]`: `1.33Gb`, `0.42+-0.0005`,
`31.9ms (Tesla T4)`, `2.38095 (sec/tokens)`, `5888,20` (decimal comma). A quality cell holds one or
more named metrics: `WER: 0.1714, CER: 0.0713`, `1.34% CER 3.83% WER`, `NISQA-MOS: 2.25+-0.08`.
The cell text reaching here has no Markdown left: the reader turned markup into text and `<br>` into
newlines. A number is never guessed: with no unit in the cell and none in the header, it is an error.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from validator.metrics import is_metric_name
from validator.model import Metric, MetricUnit, Quantity
from validator.problems import ProblemType, define
from validator.reading.headers import HeaderInfo
from validator.units import (
    FIELD_DIMENSIONS,
    SIZE_UNITS,
    TIME_UNITS,
    UnitSpec,
    format_number,
    to_quantity,
)
from validator.units import (
    parse_unit as _parse_unit_uncached,
)

CELL_NO_UNIT = define(
    "cell-no-unit",
    "error",
    "`{text}` has no unit, and the column header `{header}` declares none; write the unit in the cell "
    "or in the header (e.g. `(MB)`), a number is never guessed",
    "в `{text}` нет единицы измерения, и заголовок столбца `{header}` её не указывает; допишите единицу "
    "в ячейку или в заголовок (например, `(MB)`) — число без единицы не угадываем",
)
CELL_UNKNOWN_UNIT = define(
    "cell-unknown-unit",
    "error",
    "`{unit}` in `{text}` is not a unit we know for {field}",
    "`{unit}` в `{text}` — неизвестная единица для поля {field}",
)
CELL_WRONG_DIMENSION = define(
    "cell-unit-mismatch",
    "error",
    "`{text}` is in {dimension}, but the {field} column holds {expected}",
    "`{text}` измеряется как {dimension}, а столбец {field} содержит {expected}",
)
CELL_UNPARSEABLE = define(
    "cell-unparseable",
    "error",
    "cannot read a number from `{text}`; write e.g. `{example}`, or `-` if it was not measured",
    "не удаётся прочитать число из `{text}`; напишите, например, `{example}`, или `-`, если не измеряли",
)
CELL_NO_NUMBER = define(
    "cell-no-number",
    "error",
    "`{text}` holds no number; if it was not measured, write `-`, with the reason after it if you like: "
    "`- ({text})`",
    "в `{text}` нет числа; если не измеряли, напишите `-`, причину можно оставить в скобках: `- ({text})`",
)
CELL_NOT_FINITE = define(
    "cell-not-finite",
    "error",
    "`{text}` is not a finite number; write `-` if it was not measured",
    "`{text}` — не конечное число; напишите `-`, если не измеряли",
)
CELL_OUT_OF_RANGE = define(
    "cell-out-of-range",
    "error",
    "`{text}` is too large to hold once converted to {unit}",
    "`{text}` слишком велико после перевода в {unit}",
)
CELL_NEGATIVE = define(
    "cell-negative",
    "error",
    "`{text}`: {field} cannot be negative",
    "`{text}`: {field} не может быть отрицательным",
)
CELL_EXTRA_TEXT = define(
    "cell-extra-text",
    "warning",
    "`{text}` holds more than one number; read {value}, the rest (`{rest}`) is kept as a note",
    "в `{text}` больше одного числа; прочитано {value}, остальное (`{rest}`) сохранено как примечание",
)
CELL_UNIT_OVERRIDES_HEADER = define(
    "cell-unit-overrides-header",
    "warning",
    "`{text}` is in {cell_unit}, but the header declares {header_unit}; the cell's unit is used",
    "`{text}` указано в {cell_unit}, а заголовок объявляет {header_unit}; используется единица из ячейки",
)
QUALITY_NO_NAME = define(
    "quality-no-name",
    "error",
    "`{text}`: which metric is this? The header `{header}` names {names}; write it as `NAME: value`",
    "`{text}`: какая это метрика? Заголовок `{header}` называет {names}; запишите как `НАЗВАНИЕ: значение`",
)
QUALITY_COUNT_MISMATCH = define(
    "quality-count-mismatch",
    "error",
    "`{text}` holds {found} numbers for {count} named metric(s) ({names}): which is which cannot be "
    "told; write each as `NAME: value`, e.g. `WER: 0.12, CER: 0.05`",
    "в `{text}` чисел: {found}, а названных метрик: {count} ({names}) — какое число к какой метрике, не "
    "понять; запишите каждую как `НАЗВАНИЕ: значение`, например `WER: 0.12, CER: 0.05`",
)
QUALITY_UNPARSEABLE = define(
    "quality-unparseable",
    "error",
    "cannot read a metric from `{text}`; write e.g. `WER: 0.031 ± 0.028` or `82.8% F1`",
    "не удаётся прочитать метрику из `{text}`; напишите, например, `WER: 0.031 ± 0.028` или `82.8% F1`",
)

#: Cell texts meaning "not measured" (compared after `_fold`). Extend with `[table] placeholders`.
PLACEHOLDERS = frozenset(
    {
        "",
        "-",
        "--",
        "---",
        "—",
        "–",
        "n/a",
        "na",
        "n.a.",
        "none",
        "null",
        "?",
        "tbd",
        "todo",
        "x",
        "не применимо",
        "неприменимо",
        "нет",
        "нет данных",
        "н/д",
        "н/п",
        "not applicable",
        "not measured",
        "не измерялось",
        "не измеряли",
        "не поддерживает",
        "не поддерживается",
        "not supported",
        "skip",
        "oom",
        "out of memory",
        "not tested",
        "unsupported",
        "не замерялось",
        "не замеряли",
        "не замерено",
        "не измерено",
        "не тестировалось",
        "не тестировали",
        "не запускали",
        "не запускалось",
        "нет замеров",
    }
)

_NUMBER = r"[-+−]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf(?:inity)?|nan)\b"
_SPREAD = r"(?:±|\+-|\+/-|\+−|\+ -|\+/−)"
_UNIT_WORD = r"%|[^\W\d_][^\s\d()±+,;/]*(?:\s*/\s*[^\W\d_][^\s\d()±+,;/]*)?"
_QUANTITY = re.compile(
    rf"^\s*[~≈]?\s*(?P<num>{_NUMBER})\s*(?P<unit>{_UNIT_WORD})?"
    rf"(?:\s*{_SPREAD}\s*(?P<std>{_NUMBER})\s*(?P<std_unit>{_UNIT_WORD})?)?(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_PAREN = re.compile(r"\(([^()]*)\)")
_QUALITY_NUMBER = re.compile(
    rf"(?<![\w.\-/])(?P<num>{_NUMBER})\s*(?P<pct>%)?(?:\s*{_SPREAD}\s*(?P<std>{_NUMBER})\s*%?)?",
    re.IGNORECASE,
)
_SEGMENT_SPLIT = re.compile(r"\n|;|,(?=\s)|\|")

_DIMENSION_WORDS = {
    "size": "a size (MB)",
    "latency": "a time per sample (ms)",
    "token_latency": "a time per token (ms/token)",
    "token_rate": "a token rate (tokens/s)",
    "sample_rate": "a sample rate (samples/s)",
    "percent": "a percentage",
}
_SPELLINGS_BY_FIELD: dict[str, list[str]] = {
    **dict.fromkeys(("weights_size", "ram", "vram"), sorted(SIZE_UNITS)),
    **dict.fromkeys(
        ("cpu_speed", "gpu_speed"),
        sorted({*TIME_UNITS, "tokens/s", "tokens/sec", "samples/s", "ms/token", "sec/token"}),
    ),
}


@dataclass
class CellIssue:
    """A problem found in a cell, before the reader gives it a line and column."""

    kind: ProblemType
    params: dict[str, str]
    suggestion: str | None = None


@dataclass
class QuantityCell:
    value: Quantity | None
    issues: list[CellIssue] = field(default_factory=list)
    #: The unit as written in the cell (not the header's), for suggestions across a column.
    written_unit: UnitSpec | None = None
    #: The number as written, for a suggestion when the unit is missing.
    number_text: str | None = None


@dataclass
class QualityCell:
    metrics: list[Metric]
    issues: list[CellIssue] = field(default_factory=list)


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").strip().strip("*_`.").split())


#: Cells repeat a handful of unit spellings; the lookup is pure, so it is cached.
parse_unit = functools.lru_cache(maxsize=1024)(_parse_unit_uncached)


@functools.lru_cache(maxsize=64)
def _placeholders(extra: tuple[str, ...]) -> frozenset[str]:
    return PLACEHOLDERS | {_fold(e) for e in extra}


@functools.lru_cache(maxsize=64)
def _digit_placeholder(extra: tuple[str, ...]) -> bool:
    return any(p[:1].isdigit() for p in _placeholders(extra))


_BARE_PLACEHOLDER = re.compile(r"([^\w\s]+)\s*(\w+(?:/\w+)?)")


def is_placeholder(text: str, extra: Iterable[str] = ()) -> bool:
    """`-`, `N/A`, `*Не применимо*`, and a placeholder with a unit stuck to it (`--Mb`)."""
    extra = tuple(extra)
    if text[:1].isdigit() and not _digit_placeholder(extra):
        return False  # a number, the common case in a long table: no folding needed
    placeholders = _placeholders(extra)
    folded = _fold(text)
    if folded in placeholders:
        return True
    bare = _BARE_PLACEHOLDER.fullmatch(folded)
    return bare is not None and bare[1] in placeholders and parse_unit(bare[2]) is not None


def split_placeholder(text: str, extra: Iterable[str] = ()) -> tuple[bool, str | None]:
    """Whether a cell means "not measured", and the note that came with it.

    `-` -> (True, None); `- (не замерялось)`, `N/A (OOM)`, `n/a: OOM`, `— не поддерживается` ->
    (True, the note); `12 ms` -> (False, None).
    """
    if is_placeholder(text, extra):
        return True, None
    if text[:1].isdigit() or not text:
        return False, None
    flat = " ".join(text.split())
    for mark, note in _placeholder_splits(flat):
        note = note.strip(" ()[],:;—–-")
        if note and not note[:1].isdigit() and is_placeholder(mark.strip(), extra):
            return True, note
    return False, None


def _placeholder_splits(flat: str) -> Iterable[tuple[str, str]]:
    """Where a placeholder may end and its note begin: before `(`, at `,:;`, after the first word."""
    paren = flat.find("(")
    if paren > 0:
        yield flat[:paren], flat[paren:]
    separator = re.search(r"[,:;]|\s[—–-]\s", flat)
    if separator:
        yield flat[: separator.start()], flat[separator.end() :]
    word = flat.find(" ")
    if word > 0:
        yield flat[:word], flat[word:]


def parse_number(text: str) -> float:
    """`'5888,20'` -> 5888.2; `'−3'` -> -3.0; may return inf or nan, which the caller rejects."""
    return float(text.replace("−", "-").replace(",", "."))


def _example(field_name: str) -> str:
    return {"weights_size": "1280 MB", "ram": "1560 MB", "vram": "1560 MB"}.get(field_name, "769.1 ms")


def parse_quantity(text: str, field_name: str, header: HeaderInfo | None) -> QuantityCell:
    """One quantity cell; placeholders are handled by the caller."""
    flat = " ".join(text.split())
    match = _QUANTITY.match(flat)
    if match is None and not any(char.isdigit() for char in flat):
        # Words, no number: most likely a reason it was not measured, which `-` and a note say.
        return QuantityCell(None, [CellIssue(CELL_NO_NUMBER, {"text": flat})])
    if match is None:
        return QuantityCell(
            None, [CellIssue(CELL_UNPARSEABLE, {"text": flat, "example": _example(field_name)})]
        )
    issues: list[CellIssue] = []
    number_text = match["num"]
    value = parse_number(number_text)
    std = parse_number(match["std"]) if match["std"] else None
    if not math.isfinite(value) or (std is not None and not math.isfinite(std)):
        return QuantityCell(None, [CellIssue(CELL_NOT_FINITE, {"text": flat})])
    if std is not None:
        std = abs(std)

    rest = match["rest"].strip()
    unit_text = match["std_unit"] or match["unit"]
    notes: list[str] = []
    # Parenthesized parts are a unit (`(sec/tokens)`) or a note (`(Tesla T4)`).
    for inner in _PAREN.findall(rest) if "(" in rest else ():
        if unit_text is None and parse_unit(inner) is not None:
            unit_text = inner
        elif inner.strip():
            notes.append(inner.strip())
    outside = (_PAREN.sub(" ", rest) if "(" in rest else rest).strip(" ,;")
    if outside:
        notes.append(outside)
        if re.search(r"\d", outside):
            issues.append(CellIssue(CELL_EXTRA_TEXT, {"text": flat, "value": number_text, "rest": outside}))

    spec: UnitSpec | None = None
    written: UnitSpec | None = None
    if unit_text is not None:
        written = spec = parse_unit(unit_text)
        if spec is None:
            import difflib  # only when a unit is wrong

            spellings = _SPELLINGS_BY_FIELD.get(field_name, [])
            close = difflib.get_close_matches(unit_text.casefold(), spellings, n=1, cutoff=0.6)
            suggestion = f"{number_text} {close[0]}" if close else None
            issues.append(
                CellIssue(
                    CELL_UNKNOWN_UNIT,
                    {"text": flat, "unit": unit_text, "field": field_name},
                    suggestion,
                )
            )
            return QuantityCell(None, issues, None, number_text)
        header_unit = header.unit if header else None
        if header_unit is not None and header_unit.dimension != spec.dimension:
            issues.append(
                CellIssue(
                    CELL_UNIT_OVERRIDES_HEADER,
                    {"text": flat, "cell_unit": spec.canonical, "header_unit": header_unit.canonical},
                )
            )
    elif header is not None and header.unit is not None:
        spec = header.unit
    if spec is None:
        issues.append(
            CellIssue(CELL_NO_UNIT, {"text": flat, "header": header.text if header else field_name})
        )
        return QuantityCell(None, issues, None, number_text)

    allowed = FIELD_DIMENSIONS[field_name]
    if spec.dimension not in allowed:
        expected = " or ".join(sorted(_DIMENSION_WORDS[d] for d in allowed))
        issues.append(
            CellIssue(
                CELL_WRONG_DIMENSION,
                {
                    "text": flat,
                    "dimension": _DIMENSION_WORDS[spec.dimension],
                    "field": field_name,
                    "expected": expected,
                },
            )
        )
        return QuantityCell(None, issues, written, number_text)
    if value < 0:
        issues.append(CellIssue(CELL_NEGATIVE, {"text": flat, "field": field_name}))
        return QuantityCell(None, issues, written, number_text)
    note = "; ".join(notes) or None
    quantity = to_quantity(value, std, spec, note)
    if not math.isfinite(quantity.value) or (quantity.std is not None and not math.isfinite(quantity.std)):
        # `1e308 TB` is finite as written and infinite in MB; JSON has no infinity.
        issues.append(CellIssue(CELL_OUT_OF_RANGE, {"text": flat, "unit": quantity.unit}))
        return QuantityCell(None, issues, written, number_text)
    return QuantityCell(quantity, issues, written, number_text)


def _clean_name(text: str) -> tuple[str, str | None]:
    """`'BLEU on CPU:'` -> (`'BLEU'`, `'on CPU'`); `'(Tesla T4)'` -> (`''`, `'Tesla T4'`).

    A name holds a letter (`'/'` -> (`''`, None)): what separates numbers (`/`, `-`) is never a metric's name.
    """
    text = text.strip().strip(":=—–-").strip()
    note: str | None = None
    paren = _PAREN.search(text)
    if paren:
        note = paren[1].strip() or None
        text = _PAREN.sub(" ", text).strip()
    parts = re.split(r"(?:^|\s)(on|на|for|для)\s", text, maxsplit=1, flags=re.IGNORECASE)
    if len(parts) == 3:
        text = parts[0]
        note = f"{parts[1]} {parts[2]}".strip() + (f"; {note}" if note else "")
    name = " ".join(text.strip(" :=,/|").split())
    return (name if any(char.isalpha() for char in name) else ""), note


@dataclass
class _Reading:
    """One number of a quality cell, before its metric is settled."""

    number: re.Match[str]
    segment: str
    name: str
    note: str | None


def _readings(text: str, issues: list[CellIssue], extra: tuple[str, ...]) -> list[_Reading]:
    """Every number of a quality cell with the name written beside it (`''` when none is)."""
    readings: list[_Reading] = []
    for segment in _SEGMENT_SPLIT.split(text):
        if not segment.strip():
            continue
        numbers = list(_QUALITY_NUMBER.finditer(segment))
        if not numbers:
            # `WER: -`, `BLEU — n/a`: a metric named as not measured.
            _, _, value = segment.rpartition(":")
            if not (
                split_placeholder(value.strip(), extra)[0] or split_placeholder(segment.strip(), extra)[0]
            ):
                issues.append(CellIssue(QUALITY_UNPARSEABLE, {"text": " ".join(segment.split())}))
            continue
        before = segment[: numbers[0].start()]
        prefix_style = bool(_clean_name(before)[0])
        for index, number in enumerate(numbers):
            end = numbers[index + 1].start() if index + 1 < len(numbers) else len(segment)
            start = numbers[index - 1].end() if index > 0 else 0
            if prefix_style:
                name, note = _clean_name(segment[start : number.start()])
                if index == len(numbers) - 1:
                    _, trailing = _clean_name(segment[number.end() : end])
                    tail = segment[number.end() : end].strip()
                    note = note or trailing or (tail or None)
            else:
                name, note = _clean_name(segment[number.end() : end])
            readings.append(_Reading(number, segment, name, note))
    return readings


def _names_in_order(readings: list[_Reading], header_names: list[str]) -> list[str] | None:
    """Names for numbers written bare in order (`0.12 / 0.05`), or from one name list (`WER/CER: a/b`).

    None when the cell is not written that way; a list of the wrong length when the count does not match.
    """
    if len(readings) < 2:
        return None
    if all(not r.name for r in readings):
        if len(header_names) >= 2:
            return header_names
        if len(header_names) == 1 and not all(r.note for r in readings):
            # Two bare numbers under one metric, neither saying what it was measured on.
            return header_names
        return None
    first = readings[0].name
    listed = [part.strip() for part in re.split(r"[/,]", first)]
    if len(listed) >= 2 and all(listed) and all(not r.name for r in readings[1:]):
        return listed
    return None


def parse_quality(text: str, header: HeaderInfo | None, placeholders: Iterable[str] = ()) -> QualityCell:
    """A quality cell with one or several named metrics.

    Names come from the cell (`WER: 0.1`, `82.8% F1`), in order from a list (`WER/CER: 0.1/0.2`, or the
    header `Качество (WER / CER)` over `0.1 / 0.2`), or from a header naming one metric. A number whose
    metric cannot be told is a problem, never a guess.
    """
    header_names = header.metrics if header else []
    header_text = header.text if header else ""
    header_percent = header is not None and header.unit is not None and header.unit.dimension == "percent"
    metrics: list[Metric] = []
    issues: list[CellIssue] = []
    readings = _readings(text, issues, tuple(placeholders))
    in_order = _names_in_order(readings, header_names)
    if in_order is not None:
        if len(in_order) != len(readings):
            flat = " ".join(text.split())
            issues.append(
                CellIssue(
                    QUALITY_COUNT_MISMATCH,
                    {
                        "text": flat,
                        "found": str(len(readings)),
                        "names": ", ".join(in_order),
                        "count": str(len(in_order)),
                    },
                )
            )
            return QualityCell([], issues)
        for reading, name in zip(readings, in_order, strict=True):
            reading.name = name
    previous: str | None = None
    for reading in readings:
        name, number = reading.name, reading.number
        if not name:
            if previous is not None:
                name = previous
            elif len(header_names) == 1:
                name = header_names[0]
            else:
                value_text = " ".join(reading.segment.split())
                names = ", ".join(header_names) if header_names else "no metric"
                issues.append(
                    CellIssue(
                        QUALITY_NO_NAME,
                        {"text": value_text, "header": header_text, "names": names},
                        suggestion=f"{header_names[0]}: {value_text}" if header_names else None,
                    )
                )
                continue
        value = parse_number(number["num"])
        std = parse_number(number["std"]) if number["std"] else None
        if not math.isfinite(value) or (std is not None and not math.isfinite(std)):
            issues.append(CellIssue(CELL_NOT_FINITE, {"text": " ".join(reading.segment.split())}))
            continue
        unit: MetricUnit | None = "%" if number["pct"] or header_percent else None
        metrics.append(
            Metric.model_construct(
                name=name,
                value=value,
                std=abs(std) if std is not None else None,
                unit=unit,
                note=reading.note,
            )
        )
        previous = name
    return QualityCell(metrics, issues)


def format_metric(metric: Metric, significant: int | None = None) -> str:
    """`Metric` in the course's writing: `WER: 0.031 ± 0.028`, `F1: 82.8%`."""
    unit = metric.unit or ""
    text = f"{metric.name}: {format_number(metric.value, significant)}{unit}"
    if metric.std is not None:
        text += f" ± {format_number(metric.std, 2 if significant else None)}{unit}"
    return text


__all__ = ["is_metric_name", "is_placeholder", "parse_quality", "parse_quantity"]
