"""What students really write, read as a person reads it (issue 13, item 5).

Each case starts from a real corpus file (tests/data/corpus) and, where the corpus has no example of the
shape, edits one of its real headers or rows into it: the edited reading must equal the reading of the
real, unedited row, or raise a problem; a number is never read wrong in silence.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CORPUS
from validator.check import check_bytes
from validator.model import CheckReport, Metric, Problem, Row
from validator.problems import localized

PR10 = CORPUS / "pr-10" / "head__README.md"  # bert-large-NER: four rows, the course header
PR06 = CORPUS / "pr-06" / "head__README.md"  # FishSpeech: NISQA and WER in two quality columns
PR14 = CORPUS / "pr-14" / "head__README.md"  # Qwen: English headers, six rows
PR17 = CORPUS / "pr-17" / "head__README.md"  # efficientvit: `---` where OpenVINO has no GPU
PR18 = CORPUS / "pr-18" / "head__README.md"  # rubert: GPU time in seconds/text in the header


def read(path: Path, *edits: tuple[str, str]) -> CheckReport:
    """The corpus file, each (old, new) edit applied once (an edit that does not apply fails the test)."""
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) >= 1, f"{old!r} is not in {path}"
        text = text.replace(old, new, 1)
    return check_bytes(text.encode("utf-8"), str(path))


def rows(report: CheckReport) -> list[Row]:
    table = report.comparison
    assert table is not None, [p.message for p in report.problems]
    return table.rows


def codes(report: CheckReport) -> list[str]:
    return [p.code for p in report.problems]


def problem(report: CheckReport, code: str) -> Problem:
    return next(p for p in report.problems if p.code == code)


PR10_HEADER = (
    "| Модель | Метод | Размер весов | Время инференса (CPU, ms) | Время инференса (GPU, ms) "
    "| Использование RAM (MB) | Использование VRAM (MB) | Качество (PPL, BLEU, Accuracy) |"
)


# --- Decorations in headers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "decorated",
    [
        # arrows, footnote marks, superscripts, emphasis, a direction remark: all ignored
        "| Модель ⬇ | Метод¹ | Размер весов ↓ | Время инференса (CPU, ms)* | Время инференса (GPU, ms)² "
        "| **Использование RAM (MB)** | _Использование VRAM (MB)_ ↓ | Качество (PPL, BLEU, Accuracy) ↑ |",
        "| Модель | Метод | Размер весов (lower is better) | Время инференса[1] (CPU, ms) "
        "| 🚀 Время инференса (GPU, ms) | Использование RAM (MB)† | Использование VRAM (MB) (меньше — лучше) "
        "| Качество (PPL, BLEU, Accuracy)^1 |",
    ],
)
def test_decorated_headers_read_as_the_real_ones(decorated: str) -> None:
    real = read(PR10)
    edited = read(PR10, (PR10_HEADER, decorated))
    assert [r.values() for r in rows(edited)] == [r.values() for r in rows(real)]
    assert [(r.model, r.method) for r in rows(edited)] == [(r.model, r.method) for r in rows(real)]
    assert codes(edited) == codes(real)


def test_a_decoration_on_the_model_header_no_longer_hides_the_table() -> None:
    report = read(PR10, ("| Модель | Метод |", "| Модель ↓ | Метод |"))
    assert report.comparison is not None
    assert "table-missing" not in codes(report)


# --- A unit in any parenthesized part, with other words beside it -----------------------------


def test_unit_among_other_words_in_a_parenthesis() -> None:
    real = rows(read(PR18))
    edited = rows(
        read(
            PR18,
            (
                "Время инференса (GPU, seconds/text)",
                "Время инференса (GPU, seconds/text на Tesla T4, batch=1)",
            ),
        )
    )
    assert [r.gpu_speed for r in edited] == [r.gpu_speed for r in real]
    assert edited[0].gpu_speed is not None
    assert edited[0].gpu_speed.value == pytest.approx(29.138)  # 0.029138 s per text
    assert edited[0].gpu_speed.unit == "ms"


@pytest.mark.parametrize(
    "header",
    [
        "Время (CPU, ms, batch=1)",  # the example
        "Время инференса (CPU, мс на 1 пример)",
        "Latency (ms per sample, CPU)",
        "Время инференса (CPU, среднее по 100 запускам, ms)",
        "Время инференса CPU [ms]",
    ],
)
def test_unit_beside_other_words_in_the_cpu_header(header: str) -> None:
    real = rows(read(PR10))
    edited = rows(read(PR10, ("Время инференса (CPU, ms)", header)))
    assert [r.cpu_speed for r in edited] == [r.cpu_speed for r in real]


def test_two_units_among_words_are_not_guessed_between() -> None:
    # `ms` and `s` both stand in the parenthesis: the header declares no unit, and unitless cells say so.
    report = read(PR18, ("(GPU, seconds/text)", "(GPU, seconds/text или ms)"))
    assert "cell-no-unit" in codes(report)
    assert all(r.gpu_speed is None for r in rows(report))


# --- Several metrics in one header, cells `a / b` in order -------------------------------------


PR06_QUALITY_HEADER = "| Качество (NISQA-AVG) | Качество (WER) |"
PR06_QUALITY_CELLS = "| 2.25+-0.08 | 0.031+-0.028 |"


@pytest.mark.parametrize(
    ("header", "cell"),
    [
        ("| Качество (NISQA-AVG / WER) |", "| 2.25+-0.08 / 0.031+-0.028 |"),
        ("| Качество (NISQA-AVG, WER) |", "| 2.25+-0.08, 0.031+-0.028 |"),
        ("| NISQA-AVG / WER |", "| 2.25+-0.08 / 0.031+-0.028 |"),
        ("| Качество |", "| NISQA-AVG/WER: 2.25+-0.08 / 0.031+-0.028 |"),
    ],
)
def test_one_column_naming_two_metrics_reads_as_the_two_real_columns(header: str, cell: str) -> None:
    real = rows(read(PR06))
    edited = read(
        PR06,
        (PR06_QUALITY_HEADER, header),
        ("| :----: | :----: |\n", "| :----: |\n"),
        (PR06_QUALITY_CELLS, cell),
    )
    assert real[0].quality == [
        Metric(name="NISQA-AVG", value=2.25, std=0.08),
        Metric(name="WER", value=0.031, std=0.028),
    ]
    assert rows(edited)[0].quality == real[0].quality
    assert "quality-no-name" not in codes(edited)


def test_f1_and_accuracy_header_maps_bare_numbers_in_order() -> None:
    report = read(
        PR10,
        ("Качество (PPL, BLEU, Accuracy)", "F1, Accuracy"),
        (
            "| 82.8% F1 |\n| dslim/bert-large-NER | Quantized Float16",
            "| 82.8%, 91.2% |\n| dslim/bert-large-NER | Quantized Float16",
        ),
    )
    assert rows(report)[0].quality == [
        Metric(name="F1", value=82.8, unit="%"),
        Metric(name="Accuracy", value=91.2, unit="%"),
    ]


def test_more_numbers_than_named_metrics_is_a_problem_not_a_guess() -> None:
    report = read(
        PR06,
        (PR06_QUALITY_HEADER, "| Качество (NISQA-AVG / WER) | Качество (WER) |"),
        (PR06_QUALITY_CELLS, "| 2.25 / 0.031 / 0.5 | 0.031+-0.028 |"),
    )
    found = problem(report, "quality-count-mismatch")
    assert (found.line, found.column) == (69, 101)
    assert rows(report)[0].quality == [Metric(name="WER", value=0.031, std=0.028)]
    assert "3" in localized(found, "ru") and "NISQA-AVG, WER" in localized(found, "ru")


def test_two_bare_numbers_under_one_metric_are_a_problem() -> None:
    report = read(PR18, ("| 0.495 |", "| 0.495 / 0.51 |"))
    assert "quality-count-mismatch" in codes(report)
    assert rows(report)[0].quality == []


def test_a_metric_is_never_named_by_a_separator() -> None:
    # The wrong read: `Качество` naming no metric over `a / b` gave two metrics named `/`.
    report = read(PR18, ("| Точность", "| Качество"), ("| 0.495 |", "| 0.495 / 0.51 |"))
    assert all(any(c.isalpha() for c in m.name) for r in rows(report) for m in r.quality)
    assert rows(report)[0].quality == []
    # Both numbers of the edited row, and the one bare number of each other row, ask for a name.
    assert [p.line for p in report.problems if p.code == "quality-no-name"] == [277, 277, 278, 279, 280]


# --- Placeholders with a note ---------------------------------------------------------------


def test_placeholder_with_a_note_is_not_measured_with_that_note() -> None:
    line = (
        "| efficientvit_b3 | OpenVINO |        186.31Mb        |               50.52\xa0ms               "
        "|                ---                |              391.25 MB              "
        "|              ---              |"
    )
    edited = (
        "| efficientvit_b3 | OpenVINO |        186.31Mb        |               50.52\xa0ms               "
        "| - (не замерялось) |              391.25 MB              | N/A (OOM) |"
    )
    real = rows(read(PR17))[-1]
    report = read(PR17, (line, edited))
    row = rows(report)[-1]
    assert row.values() == real.values()
    assert row.gpu_speed is None and row.vram is None
    assert row.notes == ["Время инференса (GPU, ms): не замерялось", "Использование VRAM (MB): OOM"]
    assert codes(report) == codes(read(PR17))


@pytest.mark.parametrize(
    "cell", ["- (не поддерживается)", "N/A, OOM", "— не замеряли", "нет данных (OOM на T4)"]
)
def test_placeholder_notes_in_every_writing(cell: str) -> None:
    report = read(PR18, ("| 711Mb | - | 0.029138 | - |", f"| 711Mb | {cell} | 0.029138 | - |"))
    assert rows(report)[0].cpu_speed is None
    assert codes(report) == codes(read(PR18))


def test_a_cell_of_words_is_explained_as_not_measured_never_as_a_bad_number() -> None:
    report = read(PR18, ("| 711Mb | - | 0.029138 | - |", "| 711Mb | не влезло в память | 0.029138 | - |"))
    found = problem(report, "cell-no-number")
    assert (found.line, found.column) == (277, 42)
    assert "cannot read a number" not in found.message
    assert "`- (не влезло в память)`" in localized(found, "ru")


# --- Every comparison table of a file --------------------------------------------------------


def test_a_second_comparison_table_is_read_too() -> None:
    second = PR14.read_text(encoding="utf-8").split("### Таблица сравнения методов компрессии моделей\n")[1]
    text = PR10.read_text(encoding="utf-8") + "\n### Квантизация Qwen\n" + second
    report = check_bytes(text.encode("utf-8"), "README.md")
    tables = report.comparisons
    assert [len(t.rows) for t in tables] == [4, 6]
    assert report.comparison is tables[0]
    assert tables[1].rows[0].model == "Qwen/Qwen2.5-1.5B-Instruct"
    assert tables[1].rows[0].gpu_speed is not None and tables[1].rows[0].gpu_speed.value == 1136.42


# --- A diagnosis instead of "not found" ------------------------------------------------------


PR14_HEADER = "| Модель |        Метод        |     Model size     |"


def test_no_model_column() -> None:
    report = read(PR14, (PR14_HEADER, "| Checkpoint |        Метод        |     Model size     |"))
    assert report.comparison is None
    assert "table-missing" not in codes(report)
    found = problem(report, "header-no-model")
    assert (found.line, found.column, found.severity) == (6, 1, "error")
    unknown = problem(report, "header-unknown")
    assert (unknown.line, unknown.column, unknown.params["header"]) == (6, 3, "Checkpoint")


def test_no_method_column_in_a_table_read_all_the_same() -> None:
    text = PR14.read_text(encoding="utf-8")
    # Drop the second column of the table: header, delimiter and rows.
    lines = [
        "|".join(part for i, part in enumerate(line.split("|")) if i != 2) if line.startswith("|") else line
        for line in text.split("\n")
    ]
    report = check_bytes("\n".join(lines).encode("utf-8"), "README.md")
    found = problem(report, "header-no-method")
    assert (found.line, found.column, found.severity) == (6, 1, "warning")
    assert len(rows(report)) == 6
    assert "table-missing" not in codes(report)


def test_no_method_and_too_few_columns_to_be_read() -> None:
    table = "| Модель | Model size |\n|---|---|\n| Qwen | 877.77 MB |\n"
    report = check_bytes(table.encode(), "README.md")
    assert report.comparison is None
    found = problem(report, "header-no-method")
    assert (found.line, found.column, found.severity) == (1, 1, "error")
    assert codes(report) == ["header-no-method"]
    # Under the course's heading the same table is the comparison table, read with a warning.
    report = check_bytes(f"## Таблица сравнения\n\n{table}".encode(), "README.md")
    assert len(rows(report)) == 1
    assert [(p.code, p.severity) for p in report.problems] == [("header-no-method", "warning")]


def test_no_measurement_column() -> None:
    report = check_bytes(
        "| Модель | Метод | Комментарий |\n|---|---|---|\n| Qwen | FP16 | быстрее в 2 раза |\n".encode(),
        "README.md",
    )
    assert codes(report) == ["header-no-measurement", "header-unknown"]
    assert [(p.line, p.column) for p in report.problems] == [(1, 1), (1, 20)]
    ru = localized(report.problems[0], "ru")
    assert "нет ни одного столбца с замерами" in ru


def test_transposed_table_is_named_as_such() -> None:
    report = check_bytes(
        (
            "| Метрика | Qwen FP32 | Qwen FP16 |\n|---|---|---|\n| Model size | 7022 MB | 3518 MB |\n"
            "| Inference time (GPU, ms) | 1136.42 | 824.57 |\n| VRAM usage (MB) | 7080.96 | 3548.61 |\n"
        ).encode(),
        "README.md",
    )
    assert codes(report) == ["table-transposed"]


def test_a_file_with_no_table_like_one_is_still_table_missing() -> None:
    report = check_bytes(b"# HW\n\n| Lesson | Link |\n|---|---|\n| 1 | x |\n", "README.md")
    assert codes(report) == ["table-missing"]
