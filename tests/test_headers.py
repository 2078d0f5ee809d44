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
        # Decorations: arrows, footnote marks, superscripts, emphasis, a direction remark.
        ("Размер весов, MB ↓", "weights_size", "MB", []),
        ("RAM¹ (MB)", "ram", "MB", []),
        ("Время инференса (GPU, ms)*", "gpu_speed", "ms", []),
        ("Время инференса[1] (CPU, ms)", "cpu_speed", "ms", []),
        ("🚀 Время инференса (GPU, ms)", "gpu_speed", "ms", []),
        ("Размер весов (MB) (lower is better)", "weights_size", "MB", []),
        ("Модель ⬇", "model", None, []),
        ("Метод²", "method", None, []),
        ("Качество ↑ (F1)", "quality", None, ["F1"]),
        # A unit among other words, in any parenthesized part; square brackets; qualifiers.
        ("Время (CPU, ms, batch=1)", "cpu_speed", "ms", []),
        ("Время инференса (CPU, мс на 1 пример)", "cpu_speed", "ms", []),
        ("Latency (ms per sample, CPU)", "cpu_speed", "ms", []),
        ("Время инференса (CPU, среднее по 100 запускам, ms)", "cpu_speed", "ms", []),
        ("Size [MB]", "weights_size", "MB", []),
        ("Пиковое использование RAM (MB)", "ram", "MB", []),
        ("Peak VRAM, GB", "vram", "MB", []),
        ("VRAM (MB, пик)", "vram", "MB", []),
        ("Время инференса (GPU, seconds/text или ms)", "gpu_speed", None, []),
        # Several metrics; a metric's name holds a letter; a note names none.
        ("Качество (WER / CER)", "quality", None, ["WER", "CER"]),
        ("F1, Accuracy", "quality", None, ["F1", "Accuracy"]),
        ("WER/CER", "quality", None, ["WER", "CER"]),
        ("WER / CER, %", "quality", "%", ["WER", "CER"]),
        ("Quality (BLEU ↑, chrF ↑)", "quality", None, ["BLEU", "chrF"]),
        ("Качество (F1 на тесте)", "quality", None, ["F1"]),
        ("Качество (на тесте)", "quality", None, []),
        ("Качество (accuracy в %)", "quality", "%", ["accuracy"]),
        ("Качество (WER, % на test-clean)", "quality", "%", ["WER"]),
        ("Качество (- / -)", "quality", None, []),
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
