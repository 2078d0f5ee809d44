"""Header cells -> canonical fields through the one alias table, keeping declared units."""

from __future__ import annotations

import pytest

from validator.reading.headers import AliasTable, parse_header

ALIASES = AliasTable.build()


@pytest.mark.parametrize(
    ("text", "field", "unit", "metrics"),
    [
        ("Модель", "model", None, []),
        ("Model", "model", None, []),
        ("Метод", "method", None, []),
        ("Размер весов", "weights_size", None, []),
        ("Размер (МБ)", "weights_size", "MB", []),
        ("Model size", "weights_size", None, []),
        ("Время инференса (CPU, ms)", "cpu_speed", "ms", []),
        ("Время инференса (GPU, tokens/sec)", "gpu_speed", "tokens/s", []),
        ("Время инференса (CPU, sec/token)", "cpu_speed", "ms/token", []),
        ("Время инференса (GPU, seconds/text)", "gpu_speed", "ms", []),
        ("Время инференса (CPU)", "cpu_speed", None, []),
        ("Время CPU (с)", "cpu_speed", "ms", []),
        ("Inference time (GPU, ms)", "gpu_speed", "ms", []),
        ("Использование RAM (MB)", "ram", "MB", []),
        ("Использование VRAM (MB)", "vram", "MB", []),
        ("VRAM usage (MB)", "vram", "MB", []),
        ("Качество (NISQA, WER)", "quality", None, ["NISQA", "WER"]),
        ("Качество (PPL, BLEU, Accuracy)", "quality", None, ["PPL", "BLEU", "Accuracy"]),
        ("Качество (Precision, Recall, F1-Score))", "quality", None, ["Precision", "Recall", "F1-Score"]),
        ("Точность (WER)", "quality", None, ["WER"]),
        ("Точность", "quality", None, ["Точность"]),
        ("Quality (BLEU)", "quality", None, ["BLEU"]),
        ("WER", "quality", None, ["WER"]),
        ("**Размер весов**", "weights_size", None, []),
        ("Комментарий", None, None, []),
    ],
)
def test_headers(text: str, field: str | None, unit: str | None, metrics: list[str]) -> None:
    info = parse_header(text, ALIASES)
    assert info.field == field
    assert (info.unit.canonical if info.unit else None) == unit
    assert info.metrics == metrics


def test_configured_aliases_extend_the_table() -> None:
    aliases = AliasTable.build({"weights_size": ["Вес чекпоинта"], "quality": ["Оценка жюри"]})
    assert parse_header("Вес чекпоинта (GB)", aliases).field == "weights_size"
    assert parse_header("Вес чекпоинта (GB)", aliases).unit.factor == 1024  # type: ignore[union-attr]
    assert parse_header("Вес чекпоинта", ALIASES).field is None


def test_a_speed_header_without_a_device_is_not_guessed() -> None:
    assert parse_header("Время инференса (ms)", ALIASES).field is None
