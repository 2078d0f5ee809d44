"""The cell grammar on the writings the issue lists and the corpus shows."""

from __future__ import annotations

import pytest

from validator.model import Metric, Quantity
from validator.reading.cells import is_placeholder, parse_quality, parse_quantity
from validator.reading.headers import AliasTable, parse_header

ALIASES = AliasTable.build()


def header(text: str):  # type: ignore[no-untyped-def]
    return parse_header(text, ALIASES)


@pytest.mark.parametrize(
    ("text", "field", "head", "expected"),
    [
        ("1280 Mb", "weights_size", "Размер весов", Quantity(value=1280, unit="MB")),
        ("1.33Gb", "weights_size", "Размер весов", Quantity(value=1.33 * 1024, unit="MB")),
        ("665 MB", "weights_size", "Размер весов", Quantity(value=665, unit="MB")),
        ("5888.20", "weights_size", "Размер (МБ)", Quantity(value=5888.2, unit="MB")),
        ("5888,20", "weights_size", "Размер (МБ)", Quantity(value=5888.2, unit="MB")),
        (
            "0.42+-0.0005",
            "cpu_speed",
            "Время инференса (CPU, tokens/sec)",
            Quantity(value=0.42, std=0.0005, unit="tokens/s"),
        ),
        (
            "2.38095 (sec/tokens)",
            "cpu_speed",
            "Время инференса (CPU, ms)",
            Quantity(value=2380.95, unit="ms/token"),
        ),
        (
            "31.9ms (Tesla T4)",
            "gpu_speed",
            "Время инференса (GPU, ms)",
            Quantity(value=31.9, unit="ms", note="Tesla T4"),
        ),
        ("0.029138", "gpu_speed", "Время инференса (GPU, seconds/text)", Quantity(value=29.138, unit="ms")),
        ("1,5 сек/сэмпл", "cpu_speed", "Время CPU", Quantity(value=1500, unit="ms")),
        ("0.42 ± 0.01", "cpu_speed", "Время CPU (с)", Quantity(value=420, std=10, unit="ms")),
        ("12 +/- 1 мс", "gpu_speed", "Inference time (GPU)", Quantity(value=12, std=1, unit="ms")),
        ("95.2 tokens/s", "gpu_speed", "Inference time (GPU, ms)", Quantity(value=95.2, unit="tokens/s")),
        ("~300 samples/sec", "cpu_speed", "Inference time (CPU)", Quantity(value=300, unit="samples/s")),
    ],
)
def test_quantity_cells(text: str, field: str, head: str, expected: Quantity) -> None:
    cell = parse_quantity(text, field, header(head))
    assert cell.value is not None, [i.params for i in cell.issues]
    assert cell.value.unit == expected.unit
    assert cell.value.value == pytest.approx(expected.value)
    assert cell.value.std == (pytest.approx(expected.std) if expected.std is not None else None)
    assert cell.value.note == expected.note


@pytest.mark.parametrize(
    ("text", "field", "head", "code"),
    [
        ("922.15", "weights_size", "Размер весов", "cell-no-unit"),
        ("fast", "cpu_speed", "Время инференса (CPU, ms)", "cell-no-number"),
        ("about 5 ms", "cpu_speed", "Время инференса (CPU, ms)", "cell-unparseable"),
        ("420 ms", "weights_size", "Размер весов", "cell-unit-mismatch"),
        ("1560 MB", "cpu_speed", "Время инференса (CPU)", "cell-unit-mismatch"),
        ("-5 MB", "ram", "RAM", "cell-negative"),
        ("1e999", "ram", "RAM (MB)", "cell-not-finite"),
        ("NaN", "ram", "RAM (MB)", "cell-not-finite"),
        ("12 parsecs", "ram", "RAM", "cell-unknown-unit"),
    ],
)
def test_bad_quantity_cells_are_problems_not_guesses(text: str, field: str, head: str, code: str) -> None:
    cell = parse_quantity(text, field, header(head))
    assert cell.value is None
    assert [i.kind.code for i in cell.issues] == [code]


def test_a_cell_with_two_numbers_keeps_the_rest_as_a_note() -> None:
    cell = parse_quantity("1.4 GB / 2 GB peak", "ram", header("RAM"))
    assert cell.value == Quantity(value=1.4 * 1024, unit="MB", note="/ 2 GB peak")
    assert [i.kind.code for i in cell.issues] == ["cell-extra-text"]


@pytest.mark.parametrize(
    "text", ["-", "--", "---", "—", "N/A", "n/a", "*Не применимо*", "не применимо", "", "--Mb", "TBD"]
)
def test_placeholders_mean_not_measured(text: str) -> None:
    assert is_placeholder(text)


@pytest.mark.parametrize("text", ["0", "12 MB", "fast", "F1"])
def test_values_are_not_placeholders(text: str) -> None:
    assert not is_placeholder(text)


@pytest.mark.parametrize(
    ("text", "head", "expected"),
    [
        (
            "NISQA-MOS: 2.25+-0.08\nWER: 0.031+-0.028",
            "Качество (NISQA, WER)",
            [Metric(name="NISQA-MOS", value=2.25, std=0.08), Metric(name="WER", value=0.031, std=0.028)],
        ),
        (
            "1.34% CER 3.83% WER",
            "Качество (PPL, BLEU, Accuracy)",
            [Metric(name="CER", value=1.34, unit="%"), Metric(name="WER", value=3.83, unit="%")],
        ),
        (
            "0.8474 precision 0.8342 recall 0.8239 f1-score",
            "Качество (Precision, Recall, F1-Score))",
            [
                Metric(name="precision", value=0.8474),
                Metric(name="recall", value=0.8342),
                Metric(name="f1-score", value=0.8239),
            ],
        ),
        (
            "WER: 0.1714, CER: 0.0713",
            "Quality",
            [Metric(name="WER", value=0.1714), Metric(name="CER", value=0.0713)],
        ),
        ("0.431", "Точность (WER)", [Metric(name="WER", value=0.431)]),
        ("0.495", "Точность", [Metric(name="Точность", value=0.495)]),
        ("2.25+-0.08", "Качество (NISQA-AVG)", [Metric(name="NISQA-AVG", value=2.25, std=0.08)]),
        ("82.8% F1", "Качество (PPL, BLEU, Accuracy)", [Metric(name="F1", value=82.8, unit="%")]),
        (
            "Accuracy 32.25% on CPU, 33.6% on GPU",
            "Качество (PPL, BLEU, Accuracy)",
            [
                Metric(name="Accuracy", value=32.25, unit="%", note="on CPU"),
                Metric(name="Accuracy", value=33.6, unit="%", note="on GPU"),
            ],
        ),
        (
            "BLEU on CPU: 0.635248; BLEU on GPU: 0.636546",
            "Качество (PPL, BLEU, Accuracy)",
            [
                Metric(name="BLEU", value=0.635248, note="on CPU"),
                Metric(name="BLEU", value=0.636546, note="on GPU"),
            ],
        ),
        ("Top-1 accuracy: 76,1 %", "Quality", [Metric(name="Top-1 accuracy", value=76.1, unit="%")]),
    ],
)
def test_quality_cells(text: str, head: str, expected: list[Metric]) -> None:
    cell = parse_quality(text, header(head))
    assert cell.issues == []
    assert cell.metrics == expected


def test_a_bare_quality_number_under_several_metrics_is_ambiguous() -> None:
    cell = parse_quality("0.63", header("Качество (PPL, BLEU, Accuracy)"))
    assert cell.metrics == []
    assert [(i.kind.code, i.suggestion) for i in cell.issues] == [("quality-no-name", "PPL: 0.63")]
