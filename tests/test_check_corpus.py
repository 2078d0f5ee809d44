"""Every real student README reads without a crash, and real rows read to exact values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import CORPUS, corpus_files
from validator.check import check_file
from validator.cli import main
from validator.model import Metric, Quantity, Row


def _row(path: Path, line: int) -> Row:
    table = check_file(path).comparison
    assert table is not None
    return next(r for r in table.rows if r.line == line)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_file_checks_with_exit_0_or_1(path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.output)
    assert data["path"] == str(path)
    for problem in data["problems"]:
        assert problem["severity"] in ("error", "warning")
        assert problem["code"] and problem["message"]


def test_the_corpus_is_all_there() -> None:
    assert len(corpus_files()) == 38


def test_seed_fishspeech_row(seed_path: Path) -> None:
    report = check_file(seed_path)
    assert [p.code for p in report.problems] == ["encoding-mojibake"]  # the seed file is double-encoded
    table = report.comparison
    assert table is not None and table.line == 67
    (row,) = table.rows
    assert (row.line, row.model, row.method) == (69, "FishSpeech", "Оригинал")
    assert row.weights_size == Quantity(value=1280, unit="MB")
    assert row.cpu_speed == Quantity(value=0.42, std=0.0005, unit="tokens/s")
    assert row.gpu_speed == Quantity(value=11.46, std=0.58, unit="tokens/s")
    assert row.ram == Quantity(value=1560, unit="MB")
    assert row.vram == Quantity(value=1560, unit="MB")
    assert row.quality == [
        Metric(name="NISQA-NOI", value=1.29, std=0.13),
        Metric(name="NISQA-COL", value=2.57, std=0.13),
        Metric(name="NISQA-DISC", value=2.32, std=0.18),
        Metric(name="NISQA-LOUD", value=1.73, std=0.09),
        Metric(name="NISQA-MOS", value=2.25, std=0.08),
        Metric(name="NISQA-AVG", value=2.25, std=0.08),
        Metric(name="WER", value=0.031, std=0.028),
    ]


def test_pr02_bert_with_gb_and_a_hardware_note() -> None:
    row = _row(CORPUS / "pr-02" / "head__README.md", 69)
    assert row.model == "dslim/bert-large-NER"
    assert row.weights_size == Quantity(value=1.33 * 1024, unit="MB")
    assert row.cpu_speed == Quantity(value=769.1, unit="ms")
    assert row.gpu_speed == Quantity(value=31.9, unit="ms", note="Tesla T4")
    assert row.ram == Quantity(value=2.7 * 1024, unit="MB")
    assert row.quality == [Metric(name="F1", value=82.8, unit="%")]
    assert row.notes == ["Tesla T4"]


def test_pr02_base_template_row_reads_placeholders() -> None:
    row = _row(CORPUS / "pr-02" / "base__README.md", 69)
    assert (row.model, row.weights_size, row.ram) == ("your model name", None, None)
    assert row.vram == Quantity(value=100, unit="MB")


def test_pr03_long_decimals_and_metrics_per_device() -> None:
    row = _row(CORPUS / "pr-03" / "head__README.md", 69)
    assert row.weights_size == Quantity(value=5888.802734, unit="MB")
    assert row.cpu_speed == Quantity(value=24808.460474, unit="ms")
    assert row.quality == [
        Metric(name="BLEU", value=0.635248, note="on CPU"),
        Metric(name="BLEU", value=0.636546, note="on GPU"),
    ]


def test_pr06_seconds_per_token_and_two_quality_columns() -> None:
    row = _row(CORPUS / "pr-06" / "head__README.md", 69)
    assert row.cpu_speed == Quantity(value=2380.95, unit="ms/token")
    assert row.gpu_speed is not None and row.gpu_speed.value == pytest.approx(87.26)
    assert row.quality == [
        Metric(name="NISQA-AVG", value=2.25, std=0.08),
        Metric(name="WER", value=0.031, std=0.028),
    ]


def test_pr07_size_without_unit_is_an_error_not_a_guess() -> None:
    report = check_file(CORPUS / "pr-07" / "head__README.md")
    (problem,) = report.problems
    assert (problem.line, problem.column, problem.code) == (69, 36, "cell-no-unit")
    row = report.comparison.rows[0]  # type: ignore[union-attr]
    assert row.weights_size is None
    assert row.cpu_speed == Quantity(value=377.65, unit="ms")
    assert row.quality == [Metric(name="CER", value=1.34, unit="%"), Metric(name="WER", value=3.83, unit="%")]


def test_pr09_precision_recall_f1() -> None:
    row = _row(CORPUS / "pr-09" / "head__README.md", 69)
    assert row.vram == Quantity(value=539, unit="MB")
    assert [(m.name, m.value) for m in row.quality] == [
        ("precision", 0.8474),
        ("recall", 0.8342),
        ("f1-score", 0.8239),
    ]


def test_pr10_four_rows_with_placeholders() -> None:
    table = check_file(CORPUS / "pr-10" / "head__README.md").comparison
    assert table is not None
    assert [(r.line, r.method) for r in table.rows] == [
        (9, "Оригинал"),
        (10, "Quantized Float16"),
        (11, "Quantized INT8"),
        (12, "Pruning"),
    ]
    int8 = table.rows[2]
    assert int8.weights_size == Quantity(value=424, unit="MB")
    assert int8.cpu_speed == Quantity(value=166.7, unit="ms")
    assert int8.gpu_speed is None  # `--`
    assert table.rows[1].ram == Quantity(value=0.7 * 1024, unit="MB")


def test_pr14_english_header_without_size_unit() -> None:
    report = check_file(CORPUS / "pr-14" / "head__README.md")
    table = report.comparison
    assert table is not None
    assert table.columns == ["model", "method", "weights_size", "gpu_speed", "vram", "quality"]
    assert [p.code for p in report.problems] == ["cell-no-unit"] * 6
    assert table.rows[0].gpu_speed == Quantity(value=1136.42, unit="ms")
    assert table.rows[0].quality == [Metric(name="BLEU", value=0.63)]


def test_pr18_seconds_per_text_and_accuracy_header() -> None:
    row = _row(CORPUS / "pr-18" / "head__README.md", 277)
    assert row.gpu_speed == Quantity(value=29.138, unit="ms")
    assert row.cpu_speed is None and row.ram is None
    assert row.quality == [Metric(name="Точность", value=0.495)]
