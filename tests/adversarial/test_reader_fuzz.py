"""Properties of the table reader on any input, and exact values on generated well-formed tables."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it.token import Token

from validator.check import check_bytes
from validator.model import QUANTITY_FIELDS, Severity
from validator.reading.gfm import MD, MD_BLOCKS, cell_text, inline_text, split_cells
from validator.reading.source import decode

from . import strategies as gen

ROOT = Path(__file__).resolve().parents[2]


def _load_fuzzer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_corpus", ROOT / "scripts" / "fuzz_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fuzzer = _load_fuzzer()

# Sized so that tests/adversarial stays within ~3 minutes on 2 cores; the long runs are
# `scripts/fuzz_corpus.py` and HYPOTHESIS profiles with more examples.
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_holds(data: bytes) -> None:
    failures = fuzzer.check_input(data)
    assert not failures, "\n".join(failures)


@FAST
@given(st.binary(max_size=2000))
@example(b"\xff\xfe| a |\n|-|\n")
@example(b"| Model | Method | Size (MB) |\n|-|-|-|\n| a\xff | b | 1 |\n")
@example(b"\xef\xbb\xbf| Model | Method | Size |\r\n|-|-|-|\r\n| a | b | 1e308 TB |\r\n")
def test_any_bytes(data: bytes) -> None:
    assert_holds(data)


@FAST
@given(gen.junk_text)
def test_any_markdown_text(text: str) -> None:
    assert_holds(text.encode("utf-8"))


@SLOW
@given(gen.documents())
def test_any_document(text: str) -> None:
    assert_holds(text.encode("utf-8"))


@SLOW
@given(gen.tables().flatmap(lambda t: gen.mutated(t.markdown)))
def test_mutated_tables(text: str) -> None:
    assert_holds(text.encode("utf-8"))


@FAST
@given(gen.tables())
def test_well_formed_tables_read_back_exactly(spec: gen.TableSpec) -> None:
    data = spec.markdown.encode("utf-8")
    report = check_bytes(data, "README.md")
    unexpected = [p for p in report.problems if p.code != "row-duplicate"]
    assert unexpected == [], spec.markdown
    table = report.comparison
    assert table is not None, spec.markdown
    assert table.line == spec.header_line
    assert list(table.columns) == list(spec.fields)
    assert len(table.rows) == len(spec.rows)
    lines = spec.markdown.split("\n")
    for row, expected in zip(table.rows, spec.rows, strict=True):
        assert row.model == expected.model
        assert row.method == expected.method
        for name in QUANTITY_FIELDS:
            if name in spec.fields:
                assert row.quantity(name) == expected.quantities[name], (name, expected.cells)
            else:
                assert row.quantity(name) is None
        assert [(m.name, m.value, m.std, m.unit) for m in row.quality] == [
            (m.name, m.value, m.std, m.unit) for m in expected.quality
        ], expected.cells
        # Every cell's column points at the cell as written in its line.
        for name, source in row.source.items():
            if name.startswith("quality"):
                continue
            written = expected.cells[spec.fields.index(name)]
            assert lines[row.line - 1][source.column - 1 :].startswith(written), (name, source)


@FAST
@given(gen.tables(), st.data())
def test_reformatting_keeps_values(spec: gen.TableSpec, data: st.DataObject) -> None:
    other = data.draw(gen.reformatted(spec))
    first = check_bytes(spec.markdown.encode(), "a.md").comparison
    second = check_bytes(other.markdown.encode(), "b.md").comparison
    assert first is not None
    assert second is not None
    assert [r.values() for r in first.rows] == [r.values() for r in second.rows]


@SLOW
@given(gen.readme_pairs())
def test_readme_pairs_read_as_generated(pair: tuple[gen.TableSpec, gen.TableSpec]) -> None:
    for spec in pair:
        table = check_bytes(spec.markdown.encode(), "README.md").comparison
        assert table is not None
        assert [(r.model, r.method) for r in table.rows] == [(r.model, r.method) for r in spec.rows]


@FAST
@given(st.lists(st.sampled_from([*gen.JUNK, "a", "1", " ", "."]), max_size=12).map("".join))
def test_cell_fast_path_matches_markdown(raw: str) -> None:
    """A cell without markup skips the inline parser; it must read exactly as if parsed."""
    # A cell is one line, and decoding already turned NUL into U+FFFD.
    raw = raw.replace("\n", " ").replace("\r", " ").replace("\x00", "\ufffd")
    tokens = MD.parseInline(raw.replace("\\|", "|"))
    assert cell_text(raw) == (inline_text(tokens[0]) if tokens else "")


@FAST
@given(st.lists(st.text(alphabet="ab \\|`*", max_size=6), min_size=1, max_size=6))
def test_cells_split_like_markdown_it(cells: list[str]) -> None:
    """Our splitter and markdown-it's GFM table rule agree on where every cell is."""
    from markdown_it import MarkdownIt

    line = "| " + " | ".join(cells) + " |"
    tokens = MarkdownIt("commonmark").enable("table").parse(f"{line}\n" + "|-" * 80 + "|\n")
    ours = split_cells(line)
    if not tokens or tokens[0].type != "table_open":
        return  # header and delimiter disagree on the count: not a table for either reader
    theirs = [t.content for t in tokens if t.type == "inline"]
    assert [raw.replace("\\|", "|") for _, raw in ours] == theirs
    for column, raw in ours:
        assert line[column - 1 :].startswith(raw)


COURSE_TABLE = """# Курс

## Таблица сравнения

| Модель | Метод | Размер весов | Время инференса (CPU, tokens/sec) | Время инференса (GPU, tokens/sec) \
| Использование RAM (MB) | Использование VRAM (MB) | Качество (NISQA, WER) |
| :---   | :----: | :----: | :----: | :----: | :----: | :----: | :----: |
| FishSpeech| Оригинал | 1280 Mb   | 0.42+-0.0005 | 11.46+-0.58 | 1560Mb | 1560Mb \
| NISQA-MOS: 2.25+-0.08</br>WER: 0.031+-0.028 |
| FishSpeech | int8 | **640 Mb** | 0.61 ± 0.01 | - | 1,2 Gb | N/A | NISQA-MOS: 2.1<br>WER: 0.05 |
"""  # a backslash at a line end continues the line: the rows stay one line each


def _table_lines(tokens: list[Token]) -> list[tuple[str, int]]:
    """(what, line) for each table and row; the delimiter row is not a row."""
    found = []
    for token in tokens:
        if token.type == "table_open" and token.map:
            found.append(("table", token.map[0]))
        elif token.type in ("tr_open", "table_row") and token.map:
            found.append(("row", token.map[0]))
    return found


@SLOW
@given(st.one_of(gen.documents(), gen.tables().flatmap(lambda t: gen.mutated(t.markdown))))
def test_table_rule_matches_markdown_it(text: str) -> None:
    """Our one-token-per-row table rule finds the same tables and rows as markdown-it's own."""
    from markdown_it import MarkdownIt

    source = decode(text.encode("utf-8")).text
    stock = MarkdownIt("commonmark", {"html": True}).enable("table").parse(source)
    assert _table_lines(MD_BLOCKS.parse(source)) == _table_lines(stock)


def test_corpus_mutations() -> None:
    """A few hundred mutations of the real submissions (the long run is scripts/fuzz_corpus.py)."""
    seeds = [*fuzzer.load_seeds(fuzzer.DEFAULT_SEEDS), COURSE_TABLE.encode()]
    assert len(seeds) > 40, "the corpus copies in tests/data seed the fuzzer"
    done, found = fuzzer.fuzz(seeds, iterations=300, budget=60.0, rng=random.Random(2026))
    assert done > 0
    assert found == [], found[0][1] if found else ""


def test_every_problem_has_both_languages() -> None:
    from validator.problems import REGISTRY

    for kind in REGISTRY.values():
        assert kind.en
        assert kind.ru
        assert kind.severity in (Severity.error, Severity.warning)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("| Model | Method | Size |\n|-|-|-|\n| a | b | 1e308 TB |\n", "cell-out-of-range"),
        ("| Model | Method | Size |\n|-|-|-|\n| a | b | 1e999 MB |\n", "cell-not-finite"),
        ("| Model | Method | Size |\n|-|-|-|\n| a | b | NaN MB |\n", "cell-not-finite"),
        ("| Model | Method | Size |\n|-|-|-|\n| a | b | -5 MB |\n", "cell-negative"),
    ],
)
def test_extreme_numbers_are_problems(text: str, code: str) -> None:
    report = check_bytes(text.encode(), "README.md")
    assert [p.code for p in report.problems] == [code]
    assert report.comparison is not None
    assert report.comparison.rows[0].weights_size is None


@pytest.mark.parametrize(
    ("row", "method", "method_column"),
    [
        # GFM splits on a pipe inside a code span; the old splitter did not, and shifted columns.
        ("| a | `x|y` | 1 MB |", "`x", 7),
        # `\\|` is an escaped pipe for GFM (any backslash before a pipe escapes it).
        ("| a\\\\| b | 1 MB |", "1 MB", 12),
    ],
)
def test_columns_follow_gfm_splitting(row: str, method: str, method_column: int) -> None:
    text = f"| Model | Method | Size |\n|-|-|-|\n{row}\n"
    report = check_bytes(text.encode(), "README.md")
    table = report.comparison
    assert table is not None
    assert table.rows[0].method == method
    assert table.rows[0].source["method"].column == method_column
    assert "row-cell-count" in [p.code for p in report.problems]
