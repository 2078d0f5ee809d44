"""The unit table: every spelling normalizes to the same canonical value."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from validator.reading.cells import parse_quantity
from validator.reading.headers import HeaderInfo
from validator.units import SIZE_UNITS, TIME_UNITS, format_quantity, parse_unit

SIZE_SPELLINGS = {
    1.0: ["MB", "Mb", "mb", "MiB", "МБ", "Мб", "мегабайт"],
    1024.0: ["GB", "Gb", "GiB", "ГБ", "гб"],
    1 / 1024: ["KB", "KiB", "кб"],
}
LATENCY_SPELLINGS = {
    1.0: ["ms", "мс", "msec", "milliseconds", "ms/sample"],
    1000.0: ["s", "sec", "seconds", "с", "сек", "seconds/text", "сек/сэмпл", "sec/image", "s/it"],
}
TOKEN_LATENCY_SPELLINGS = {
    1.0: ["ms/token", "мс/токен"],
    1000.0: ["sec/token", "sec/tokens", "s/token", "сек/токен"],
}
TOKEN_RATE_SPELLINGS = {1.0: ["tokens/s", "tokens/sec", "tok/s", "токенов/сек", "t/s", "tokens per second"]}
SAMPLE_RATE_SPELLINGS = {1.0: ["samples/s", "samples/sec", "it/s", "img/s", "FPS"]}


@pytest.mark.parametrize(
    ("spellings", "dimension", "unit"),
    [
        (SIZE_SPELLINGS, "size", "MB"),
        (LATENCY_SPELLINGS, "latency", "ms"),
        (TOKEN_LATENCY_SPELLINGS, "token_latency", "ms/token"),
        (TOKEN_RATE_SPELLINGS, "token_rate", "tokens/s"),
        (SAMPLE_RATE_SPELLINGS, "sample_rate", "samples/s"),
    ],
)
def test_every_spelling_is_known(spellings: dict[float, list[str]], dimension: str, unit: str) -> None:
    for factor, words in spellings.items():
        for word in words:
            spec = parse_unit(word)
            assert spec is not None, word
            assert (spec.dimension, spec.canonical) == (dimension, unit), word
            assert math.isclose(spec.factor, factor), word


def test_unknown_units_are_not_guessed() -> None:
    for word in ("parsecs", "MBps", "ms/token/s", "", "12"):
        assert parse_unit(word) is None, word


def _all_spellings(table: dict[float, list[str]]) -> list[tuple[float, str]]:
    return [(factor, word) for factor, words in table.items() for word in words]


SIZE = _all_spellings(SIZE_SPELLINGS) + [(f, w) for w, f in SIZE_UNITS.items()]
LATENCY = _all_spellings(LATENCY_SPELLINGS) + [(f, w) for w, f in TIME_UNITS.items()]


@given(
    value=st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
    written=st.sampled_from(SIZE),
    other=st.sampled_from(SIZE),
    comma=st.booleans(),
    space=st.sampled_from(["", " ", "  "]),
)
def test_any_size_spelling_normalizes_to_the_same_value(
    value: object, written: tuple[float, str], other: tuple[float, str], comma: bool, space: str
) -> None:
    """The same size written in two spellings of units reads as the same MB value."""
    number = float(str(value))
    factor_a, unit_a = written
    factor_b, unit_b = other
    # Write the same quantity in unit B: number * factor_a / factor_b.
    text_a = f"{value}{space}{unit_a}"
    text_b = f"{number * factor_a / factor_b!r}{space}{unit_b}"
    if comma:
        text_a = text_a.replace(".", ",", 1)
    a = parse_quantity(text_a, "weights_size", None).value
    b = parse_quantity(text_b, "weights_size", None).value
    assert a is not None and b is not None, (text_a, text_b)
    assert a.unit == b.unit == "MB"
    assert math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(a.value, number * factor_a, rel_tol=1e-9, abs_tol=1e-12)


@given(
    value=st.floats(min_value=0, max_value=1e5, allow_nan=False, allow_infinity=False),
    written=st.sampled_from(LATENCY),
    std=st.none() | st.floats(min_value=0, max_value=100, allow_nan=False),
    spread=st.sampled_from(["±", "+-", "+/-", " ± ", " +- "]),
)
def test_any_latency_spelling_normalizes_to_ms(
    value: float, written: tuple[float, str], std: float | None, spread: str
) -> None:
    factor, unit = written
    text = f"{value!r}" + (f"{spread}{std!r}" if std is not None else "") + f" {unit}"
    q = parse_quantity(text, "cpu_speed", None).value
    assert q is not None, text
    assert q.unit == "ms"
    assert math.isclose(q.value, value * factor, rel_tol=1e-9, abs_tol=1e-12)
    if std is not None:
        assert q.std is not None and math.isclose(q.std, std * factor, rel_tol=1e-9, abs_tol=1e-12)


@given(value=st.floats(min_value=0, max_value=1e4, allow_nan=False), written=st.sampled_from(LATENCY))
def test_header_unit_equals_cell_unit(value: float, written: tuple[float, str]) -> None:
    """A unit in the header means exactly what the same unit in the cell means."""
    _, unit = written
    spec = parse_unit(unit)
    assert spec is not None
    header = HeaderInfo(text=f"Время CPU ({unit})", field="cpu_speed", unit=spec)
    from_header = parse_quantity(repr(value), "cpu_speed", header).value
    from_cell = parse_quantity(f"{value!r} {unit}", "cpu_speed", None).value
    assert from_header == from_cell


def test_format_quantity_round_trips_through_the_grammar() -> None:
    q = parse_quantity(
        "0.42+-0.0005", "cpu_speed", HeaderInfo("", "cpu_speed", parse_unit("tokens/sec"))
    ).value
    assert q is not None
    text = format_quantity(q)
    assert text == "0.42 ± 0.0005 tokens/s"
    assert parse_quantity(text, "cpu_speed", None).value == q
