"""Hypothesis strategies over the course table: well-formed tables whose values are known, and junk.

A generated table (`TableSpec`) carries both its Markdown and the rows it must read back as, so a
property can assert exact values. Headers come from the reader's own alias table
(`validator.reading.headers`), units from the one unit table (`validator.units`): the strategies follow the
grammar as the project defines it, and grow with it.

For the diff (two README versions): `readme_pairs()` gives (base, head) specs where head is base
with rows edited, added, removed or only re-formatted; each `RowSpec` keeps its expected values, so a
diff property can say which rows changed in value and which only in writing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from hypothesis import strategies as st

from validator.model import Metric, Quantity
from validator.reading.headers import DEFAULT_ALIASES, SPEED_ALIASES
from validator.units import (
    CANONICAL,
    RATE_WORDS,
    SAMPLE_WORDS,
    SIZE_UNITS,
    TIME_UNITS,
    TOKEN_WORDS,
)

SIZE_FIELDS = ("weights_size", "ram", "vram")
SPEED_FIELDS = ("cpu_speed", "gpu_speed")
SPREADS = ("±", "+-", "+/-", " ± ", " +- ", " +/- ")
PLACEHOLDER_CELLS = ("-", "--", "—", "N/A", "n/a", "TBD", "*Не применимо*", "нет данных", "")
NOTES = ("Tesla T4", "A100", "batch 1", "fp16", "Colab")
METRIC_NAMES = ("WER", "CER", "F1", "BLEU", "NISQA-MOS", "NISQA-NOI", "Accuracy", "acc", "PPL")
MARKUP = ("{}", "{}", "{}", "**{}**", "*{}*", "`{}`", "_{}_")
BREAKS = ("<br>", "</br>", "<br/>", "<br />", "; ", ", ")
#: Pieces of Markdown and of the cell grammar, for junk and for mutations.
JUNK = (
    "|",
    "\\|",
    "||",
    "`",
    "**",
    "*",
    "_",
    "<br>",
    "</br>",
    "<table>",
    "&amp;",
    "&#x0;",
    "[",
    "](",
    ")",
    "(",
    "![x](y)",
    ">",
    "> ",
    "#",
    "- ",
    "1. ",
    "    ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\ufeff",
    "\x00",
    "±",
    "+-",
    "+/-",
    "~",
    "≈",
    "%",
    "1e999",
    "-1e999",
    "NaN",
    "inf",
    "-0",
    "1e308",
    "0,5",
    "5888,20",
    "1.33Gb",
    "MB",
    "Mb",
    "ms",
    "tokens/s",
    "sec/token",
    "ms/token",
    "it/s",
    "WER:",
    "NISQA-MOS: 2.25",
    "---",
    ":---:",
    "-|-",
    "\\",
    "ё",
    "Модель",
    "Метод",
    "Размер весов",
    "(CPU, ms)",
    "Качество (WER)",
)


@dataclass(frozen=True)
class Unit:
    """A unit as written in a cell or header, and what it means (from `validator.units`)."""

    written: str
    dimension: str
    factor: float


@dataclass(frozen=True)
class RowSpec:
    """One generated row: its cells as written, and the values the reader must produce."""

    cells: tuple[str, ...]
    model: str
    method: str
    quantities: dict[str, Quantity | None] = field(default_factory=dict)
    quality: tuple[Metric, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    """A generated comparison table in the course format."""

    headers: tuple[str, ...]
    fields: tuple[str, ...]
    rows: tuple[RowSpec, ...]
    pad: int = 1
    outer_pipes: bool = True
    indent: str = ""
    heading: str = "## Таблица сравнения"
    before: str = "# Курс\n\nТекст до таблицы.\n"
    after: str = "\nТекст после таблицы.\n"
    #: Per column: the unit its header declares and the metric names it gives (for more rows).
    header_info: tuple[tuple[Unit | None, tuple[str, ...]], ...] = ()

    def row_line(self, cells: tuple[str, ...]) -> str:
        space = " " * self.pad
        inner = "|".join(f"{space}{cell}{space}" for cell in cells)
        # Without a leading pipe, four spaces of indent and padding would make a code block.
        return f"{self.indent}|{inner}|" if self.outer_pipes else inner.lstrip(" ")

    @property
    def markdown(self) -> str:
        lines = [self.row_line(self.headers), self.row_line(tuple(":---:" for _ in self.headers))]
        lines += [self.row_line(row.cells) for row in self.rows]
        return f"{self.before}\n{self.heading}\n\n" + "\n".join(lines) + "\n" + self.after

    @property
    def header_line(self) -> int:
        """1-based line of the header row in `markdown`."""
        return self.before.count("\n") + 4


# --- units -----------------------------------------------------------------------------------


def _spellings(word: str) -> list[str]:
    return [word, word.upper(), word.capitalize()] if word.isascii() else [word]


def size_units() -> st.SearchStrategy[Unit]:
    return st.sampled_from(sorted(SIZE_UNITS)).flatmap(
        lambda key: st.sampled_from(_spellings(key)).map(lambda w: Unit(w, "size", SIZE_UNITS[key]))
    )


def speed_units() -> st.SearchStrategy[Unit]:
    """Every speed shape the unit table reads: `ms`, `ms/sample`, `sec/token`, `tokens/s`, `fps`."""
    time = st.sampled_from(sorted(TIME_UNITS))
    tokens = st.sampled_from(sorted(TOKEN_WORDS))
    samples = st.sampled_from(sorted(SAMPLE_WORDS - {"it"}))
    return st.one_of(
        time.map(lambda t: Unit(t, "latency", TIME_UNITS[t])),
        st.tuples(time, samples).map(lambda p: Unit(f"{p[0]}/{p[1]}", "latency", TIME_UNITS[p[0]])),
        st.tuples(time, tokens).map(lambda p: Unit(f"{p[0]}/{p[1]}", "token_latency", TIME_UNITS[p[0]])),
        st.tuples(tokens, time).map(
            lambda p: Unit(f"{p[0]}/{p[1]}", "token_rate", 1000.0 / TIME_UNITS[p[1]])
        ),
        st.tuples(samples, time).map(
            lambda p: Unit(f"{p[0]}/{p[1]}", "sample_rate", 1000.0 / TIME_UNITS[p[1]])
        ),
        st.sampled_from(sorted(RATE_WORDS)).map(lambda w: Unit(w, RATE_WORDS[w][0], RATE_WORDS[w][1])),
    )


def units_for(field_name: str) -> st.SearchStrategy[Unit]:
    return size_units() if field_name in SIZE_FIELDS else speed_units()


# --- numbers ---------------------------------------------------------------------------------


@st.composite
def numbers(draw: st.DrawFn, *, max_int: int = 99_999) -> tuple[str, float]:
    """A non-negative decimal as written (`12`, `0.42`, `5888,20`, `.5`) and its exact value."""
    whole = draw(st.integers(0, max_int))
    digits = draw(st.integers(0, 4))
    fraction = "".join(str(draw(st.integers(0, 9))) for _ in range(digits))
    separator = draw(st.sampled_from([".", ".", ","]))
    text = f"{whole}{separator}{fraction}" if fraction else str(whole)
    if fraction and whole == 0 and draw(st.booleans()):
        text = f"{separator}{fraction}"
    return text, float(text.replace(",", "."))


# --- cells -----------------------------------------------------------------------------------


@st.composite
def quantity_cells(draw: st.DrawFn, field_name: str, header_unit: Unit | None) -> tuple[str, Quantity | None]:
    """A quantity cell as written and the `Quantity` it means (None for a placeholder)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(PLACEHOLDER_CELLS)), None
    number, value = draw(numbers())
    if header_unit is not None and draw(st.booleans()):
        unit, unit_text = header_unit, ""
    else:
        unit = draw(
            units_for(field_name).filter(
                lambda u: header_unit is None or u.dimension == header_unit.dimension
            )
        )
        unit_text = draw(st.sampled_from(["", " "])) + unit.written
    text = draw(st.sampled_from(["", "~"])) + number + unit_text
    std: float | None = None
    if draw(st.booleans()):
        std_text, std = draw(numbers(max_int=999))
        text += draw(st.sampled_from(SPREADS)) + std_text
        if unit_text and draw(st.booleans()):
            text += unit_text
    note = None
    if draw(st.integers(0, 3)) == 0:
        note = draw(st.sampled_from(NOTES))
        text += f" ({note})"
    text = draw(st.sampled_from(MARKUP)).format(text)
    canonical = CANONICAL[unit.dimension]  # type: ignore[index]
    quantity = Quantity(
        value=value * unit.factor,
        std=None if std is None else std * unit.factor,
        unit=canonical,  # type: ignore[arg-type]
        note=note,
    )
    return text, quantity


@st.composite
def quality_cells(draw: st.DrawFn, header_names: tuple[str, ...]) -> tuple[str, tuple[Metric, ...]]:
    """A quality cell holding one or more named metrics (`WER: 0.03 ± 0.01<br>CER: 0.01`)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(PLACEHOLDER_CELLS)), ()
    if len(header_names) == 1 and draw(st.booleans()):
        number, value = draw(numbers(max_int=100))
        return draw(st.sampled_from(MARKUP)).format(number), (Metric(name=header_names[0], value=value),)
    names = draw(st.lists(st.sampled_from(METRIC_NAMES), min_size=1, max_size=4, unique=True))
    parts: list[str] = []
    metrics: list[Metric] = []
    for name in names:
        number, value = draw(numbers(max_int=100))
        percent = draw(st.booleans())
        sign = "%" if percent else ""
        std: float | None = None
        spread = ""
        if draw(st.booleans()):
            std_text, std = draw(numbers(max_int=10))
            spread = f"{draw(st.sampled_from(SPREADS))}{std_text}{sign}"
        if percent and draw(st.booleans()):
            parts.append(f"{number}{sign}{spread} {name}")
        else:
            parts.append(f"{name}: {number}{sign}{spread}")
        metrics.append(Metric(name=name, value=value, std=std, unit="%" if percent else None))
    joiner = draw(st.sampled_from(BREAKS))
    return joiner.join(parts), tuple(metrics)


#: Names: a letter first (a row must not start like a list item), then letters, digits, `-._ `.
name_cells = st.builds(
    lambda first, rest: (first + rest).strip(),
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZабвгдежзиклмнопрстуфхцчшщэюяАБВГД"),
    st.text(alphabet="abcxyzQWE0123456789-. абв", max_size=20),
)


@st.composite
def written_names(draw: st.DrawFn) -> tuple[str, str]:
    """A model or method cell as written (maybe bold, maybe with an escaped pipe) and its text."""
    name = draw(name_cells)
    if draw(st.integers(0, 5)) == 0:
        name = f"{name}|v2"
    written = name.replace("|", "\\|")
    wrapper = draw(st.sampled_from(["{}", "{}", "**{}**", "`{}`"]))
    return wrapper.format(written), " ".join(name.split())


# --- headers ---------------------------------------------------------------------------------


def _alias(field_name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(DEFAULT_ALIASES[field_name]).flatmap(lambda a: st.sampled_from(_spellings(a)))


@st.composite
def headers(draw: st.DrawFn, field_name: str) -> tuple[str, Unit | None, tuple[str, ...]]:
    """A header cell for a field, the unit it declares and the metric names it gives (quality)."""
    if field_name in ("model", "method"):
        return draw(_alias(field_name)), None, ()
    if field_name == "quality":
        names = tuple(draw(st.lists(st.sampled_from(METRIC_NAMES), max_size=3, unique=True)))
        base = draw(_alias("quality"))
        if len(names) == 1 and draw(st.booleans()):
            return names[0], None, names
        return (f"{base} ({', '.join(names)})" if names else base), None, names
    unit = draw(st.none() | units_for(field_name))
    if field_name in SPEED_FIELDS:
        device = "CPU" if field_name == "cpu_speed" else "GPU"
        base = draw(st.sampled_from(SPEED_ALIASES))
        params = f"{device}, {unit.written}" if unit else device
        return f"{base.capitalize()} ({params})", unit, ()
    base = draw(_alias(field_name))
    if unit is None:
        return base, None, ()
    style = draw(st.sampled_from(["{} ({})", "{}, {}"]))
    return style.format(base, unit.written), unit, ()


# --- tables ----------------------------------------------------------------------------------

OPTIONAL_FIELDS = ("weights_size", "cpu_speed", "gpu_speed", "ram", "vram", "quality")


@st.composite
def tables(draw: st.DrawFn, *, max_rows: int = 6) -> TableSpec:
    """A well-formed comparison table, with the values every row must read back as."""
    extra = draw(st.lists(st.sampled_from(OPTIONAL_FIELDS), min_size=1, max_size=6, unique=True))
    fields = ("model", "method", *extra)
    if draw(st.booleans()):
        fields = ("method", "model", *extra) if draw(st.booleans()) else fields
    drawn = [draw(headers(f)) for f in fields]
    info = tuple((unit, names) for _, unit, names in drawn)
    rows = draw(st.lists(table_rows(fields, info), min_size=1, max_size=max_rows))
    # Without outer pipes the first cell must not look like a list item or a quote, and an empty
    # last cell would read as the closing pipe.
    outer = draw(st.booleans()) or any(not r.cells[0][:1].isalpha() or not r.cells[-1] for r in rows)
    return TableSpec(
        headers=tuple(h for h, _, _ in drawn),
        fields=fields,
        rows=tuple(rows),
        pad=draw(st.integers(0, 3)),
        outer_pipes=outer,
        indent=draw(st.sampled_from(["", " ", "  ", "   "])),
        header_info=info,
    )


@st.composite
def table_rows(
    draw: st.DrawFn, fields: tuple[str, ...], info: tuple[tuple[Unit | None, tuple[str, ...]], ...]
) -> RowSpec:
    """One row under the given headers, with the values it must read back as."""
    cells: list[str] = []
    quantities: dict[str, Quantity | None] = {}
    quality: tuple[Metric, ...] = ()
    model = method = ""
    for field_name, (unit, names) in zip(fields, info, strict=True):
        if field_name in ("model", "method"):
            written, text = draw(written_names())
            model, method = (text, method) if field_name == "model" else (model, text)
        elif field_name == "quality":
            written, quality = draw(quality_cells(names))
        else:
            written, quantities[field_name] = draw(quantity_cells(field_name, unit))
        cells.append(written)
    return RowSpec(tuple(cells), model, method, quantities, quality)


@st.composite
def reformatted(draw: st.DrawFn, spec: TableSpec) -> TableSpec:
    """The same table written differently (padding, pipes, indent): every value stays the same."""
    return replace(
        spec,
        pad=draw(st.integers(0, 3)),
        indent=draw(st.sampled_from(["", " ", "   "])),
        outer_pipes=spec.outer_pipes or draw(st.booleans()),
    )


@st.composite
def readme_pairs(draw: st.DrawFn) -> tuple[TableSpec, TableSpec]:
    """(base, head) READMEs for the diff: head drops, adds or re-formats rows of base."""
    base = draw(tables())
    head = draw(reformatted(base))
    rows = list(head.rows)
    if rows and draw(st.booleans()):
        del rows[draw(st.integers(0, len(rows) - 1))]
    rows += draw(st.lists(table_rows(base.fields, base.header_info), max_size=2))
    if any(not r.cells[0][:1].isalpha() or not r.cells[-1] for r in rows):
        head = replace(head, outer_pipes=True)
    return base, replace(head, rows=tuple(rows))


# --- junk ------------------------------------------------------------------------------------

junk_text = st.lists(st.one_of(st.sampled_from(JUNK), st.text(max_size=8)), max_size=40).map("".join)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A README: prose, headings, junk and (usually) a comparison table, in any order."""
    parts = draw(
        st.lists(
            st.one_of(
                tables().map(lambda t: t.markdown),
                junk_text,
                st.sampled_from(["## Таблица сравнения\n", "```\n| a | b |\n```\n", "> quote\n", "- item\n"]),
            ),
            max_size=5,
        )
    )
    return "\n".join(parts)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """`text` with a few random edits: junk inserted, characters deleted, lines swapped."""
    for _ in range(draw(st.integers(1, 6))):
        if not text:
            text = draw(junk_text)
            continue
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "line", "cell"]))
        if edit == "insert":
            text = text[:at] + draw(st.sampled_from(JUNK)) + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 5)) :]
        elif edit == "line":
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        else:
            cells = text.split("|")
            i = draw(st.integers(0, len(cells) - 1))
            cells[i] = draw(st.sampled_from(JUNK))
            text = "|".join(cells)
    return text


def is_finite_number(value: float | None) -> bool:
    return value is None or math.isfinite(value)
