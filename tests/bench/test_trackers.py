"""Latency arithmetic and each task's quality against hand-computed values."""

from __future__ import annotations

import pytest

from bench.tasks import CannotScoreOutputs, compute_quality
from bench.trackers.latency import Call, Latency, sample_latency, token_rate


def test_latency_summary() -> None:
    summary = Latency.from_values([1.0, 2.0, 3.0, 4.0])
    assert summary.mean == 2.5
    assert summary.std == pytest.approx(1.2909944)  # sample std: sqrt(5/3)
    assert summary.p50 == 2.5
    assert summary.p90 == pytest.approx(3.7)
    assert summary.count == 4


def test_sample_latency_splits_batches() -> None:
    speed, summary = sample_latency([Call(batch=2, seconds=0.040), Call(batch=1, seconds=0.010)])
    assert speed.unit == "ms"
    assert speed.value == pytest.approx(50 / 3)  # 20, 20, 10 ms
    assert summary.count == 3
    assert summary.p50 == pytest.approx(20)


def test_token_rate_is_tokens_over_time() -> None:
    rate, per_token, summary = token_rate([Call(1, 0.5, 50), Call(1, 1.5, 50)])
    assert rate.unit == "tokens/s"
    assert rate.value == pytest.approx(50.0)  # 100 tokens in 2 s
    assert per_token.unit == "ms/token"
    assert per_token.value == pytest.approx(20.0)
    assert summary.mean == pytest.approx((100 + 100 / 3) / 2)
    with pytest.raises(ValueError, match="no generated tokens"):
        token_rate([Call(1, 0.5, 0)])


def test_speech_recognition_wer_and_cer() -> None:
    # "a b c d" -> "a x c": one substitution and one deletion over 4 words; over 7 characters,
    # b->x plus the deleted " d" are 3 character edits.
    metrics = compute_quality("speech-recognition", ["a x c", "hello"], ["a b c d", "hello"])
    by_name = {m.name: m for m in metrics}
    assert by_name["WER"].value == pytest.approx(2 / 5)  # corpus: 2 errors over 5 reference words
    assert by_name["CER"].value == pytest.approx(3 / 12)  # 3 edits over 7 + 5 characters
    assert by_name["WER"].std == pytest.approx(((0.5 - 0.25) ** 2 * 2) ** 0.5)  # per sample 0.5 and 0
    assert by_name["WER"].unit is None
    with pytest.raises(CannotScoreOutputs, match="transcripts"):
        compute_quality("speech-recognition", [1], ["a"])


def test_classification_accuracy_and_macro_f1() -> None:
    metrics = compute_quality("classification", ["a", "b", "b", "c"], ["a", "a", "b", "c"])
    by_name = {m.name: m for m in metrics}
    assert by_name["accuracy"].value == pytest.approx(75.0)
    # F1 per class: a = 2/3 (tp 1, fn 1), b = 2/3 (tp 1, fp 1), c = 1 -> mean 7/9.
    assert by_name["macro-F1"].value == pytest.approx(700 / 9)
    assert by_name["accuracy"].unit == "%"
    labels = compute_quality("classification", [1, 0], [1, 1])
    assert labels[0].value == 50.0


def test_text_generation_exact_match_on_token_ids() -> None:
    metrics = compute_quality("text-generation", [[1, 2, 3], [4, 5]], [[1, 2, 3], [4, 6]])
    assert [(m.name, m.value, m.unit) for m in metrics] == [("exact match", 50.0, "%")]
    assert compute_quality("text-generation", [[1]], ["some text"]) == []
    with pytest.raises(CannotScoreOutputs, match="token ids"):
        compute_quality("text-generation", ["text"], [[1]])


def test_generic_has_no_quality_and_counts_must_match() -> None:
    assert compute_quality("generic", [1, 2], [3, 4]) == []
    with pytest.raises(CannotScoreOutputs, match="2 outputs for 1 references"):
        compute_quality("classification", [1, 2], [1])
