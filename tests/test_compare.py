"""The comparison policy on hand-made claims and measurements."""

from __future__ import annotations

import pytest

from validator.compare import check_metric, check_quantity, check_ratios, check_row, convert, within
from validator.config import CompareConfig, Tolerance
from validator.model import Metric, Quantity, Row, RunResult

CONFIG = CompareConfig()


def q(value: float, unit: str = "MB", std: float | None = None) -> Quantity:
    return Quantity(value=value, unit=unit, std=std)  # type: ignore[arg-type]


def test_reciprocal_units_convert_and_others_do_not() -> None:
    assert convert(q(20, "ms"), "samples/s") == q(50, "samples/s")
    tokens = convert(q(4, "ms/token", std=0.4), "tokens/s")
    assert tokens is not None and tokens.value == 250 and tokens.std == pytest.approx(25)
    assert convert(q(20, "ms"), "tokens/s") is None
    assert convert(q(20, "MB"), "ms") is None


@pytest.mark.parametrize(
    ("claimed", "verified", "tolerance", "ok"),
    [
        (100, 104.9, Tolerance(relative=0.05), True),
        (100, 105.1, Tolerance(relative=0.05), False),
        (82.8, 83.3, Tolerance(absolute=0.5), True),
        (82.8, 83.31, Tolerance(absolute=0.5), False),
        (100, 199, Tolerance(factor=2), True),
        (100, 50.1, Tolerance(factor=2), True),
        (100, 201, Tolerance(factor=2), False),
        (100, 49, Tolerance(factor=2), False),
    ],
)
def test_within(claimed: float, verified: float, tolerance: Tolerance, ok: bool) -> None:
    assert within(claimed, verified, tolerance) is ok


def test_weights_size_is_judged_tightly() -> None:
    assert check_quantity("weights_size", q(100), q(104), CONFIG, "cpu").verdict == "verified"  # type: ignore[union-attr]
    check = check_quantity("weights_size", q(100), q(110), CONFIG, "cpu")
    assert check is not None and check.verdict == "mismatch" and check.note == "within ±5%"


def test_speed_is_judged_in_a_wide_band_in_the_claimed_unit() -> None:
    check = check_quantity("cpu_speed", q(10, "tokens/s"), q(60, "ms/token"), CONFIG, "cpu")
    assert check is not None
    assert check.verified == q(1000 / 60, "tokens/s")
    assert check.verdict == "verified"
    assert check.note == "within ×/÷2 (hardware not stated)"
    assert check.judged_by == "absolute"
    assert check_quantity("cpu_speed", q(10, "ms"), q(25, "ms"), CONFIG, "cpu").verdict == "mismatch"  # type: ignore[union-attr]


def test_gpu_claims_are_unverified_without_a_gpu() -> None:
    check = check_quantity("gpu_speed", q(31.9, "ms"), q(30, "ms"), CONFIG, "cpu")
    assert check is not None and check.verdict == "unverified" and check.note == "the re-run had no GPU"
    assert check_quantity("vram", q(300), q(290), CONFIG, "cuda").verdict == "verified"  # type: ignore[union-attr]


def test_missing_claims_become_suggestions_and_placeholders_are_not_compared() -> None:
    suggestion = check_quantity("ram", None, q(512), CONFIG, "cpu")
    assert suggestion is not None and suggestion.verdict == "unverified" and suggestion.verified == q(512)
    assert check_quantity("ram", None, None, CONFIG, "cpu") is None


def test_quality_in_percent_against_a_measured_fraction() -> None:
    claimed = Metric(name="Accuracy", value=82.8, unit="%")
    check = check_metric(claimed, [Metric(name="accuracy", value=0.83)], CONFIG)
    assert check.verdict == "verified"
    assert check.verified == Metric(name="accuracy", value=83.0, unit="%")
    assert check_metric(claimed, [Metric(name="accuracy", value=0.80)], CONFIG).verdict == "mismatch"


def test_quality_relative_and_unmeasured() -> None:
    wer = Metric(name="WER", value=0.1)
    assert check_metric(wer, [Metric(name="wer", value=0.1019)], CONFIG).verdict == "verified"
    assert check_metric(wer, [Metric(name="wer", value=0.1021)], CONFIG).verdict == "mismatch"
    nisqa = check_metric(Metric(name="NISQA-MOS", value=2.25), [Metric(name="wer", value=0.1)], CONFIG)
    assert nisqa.verdict == "unverified" and nisqa.note == "the harness does not measure it"


def _row(method: str, cpu: float, ram: float, size: float) -> Row:
    return Row(
        line=1,
        model="tiny-gpt2",
        method=method,
        cpu_speed=q(cpu, "tokens/s"),
        ram=q(ram),
        weights_size=q(size),
    )


def _run(method: str, cpu: float, ram: float, size: float) -> RunResult:
    return RunResult(
        model="tiny-gpt2",
        method=method,
        status="ok",
        cpu_speed=q(cpu, "tokens/s"),
        ram=q(ram),
        weights_size=q(size),
    )


def test_row_checks_cover_claims_and_suggest_measured_extras() -> None:
    row = _row("INT8", 200, 400, 1.0)
    run = _run("INT8", 150, 390, 1.02).model_copy(update={"quality": [Metric(name="exact_match", value=1.0)]})
    checks = {c.field: c for c in check_row(row, run, CONFIG)}
    assert {f: c.verdict for f, c in checks.items()} == {
        "weights_size": "verified",
        "cpu_speed": "verified",
        "ram": "verified",
        "quality.exact_match": "unverified",
    }


def test_ratios_cancel_the_hardware() -> None:
    """Claimed on a fast laptop, re-run on a slow runner: absolute speeds differ, the ratio holds."""
    original = (_row("Оригинал", 100, 800, 4), _run("Оригинал", 50, 800, 4))
    honest = (_row("INT8", 200, 400, 1), _run("INT8", 98, 410, 1))
    inflated = (_row("INT8 fast", 400, 400, 1), _run("INT8 fast", 98, 410, 1))
    ratios = check_ratios([original, honest, inflated], lambda m: m == "Оригинал", CONFIG, "cpu")
    verdicts = {(r.method, r.field): r.verdict for r in ratios}
    assert verdicts == {
        ("INT8", "cpu_speed"): "verified",
        ("INT8", "ram"): "verified",
        ("INT8 fast", "cpu_speed"): "mismatch",
        ("INT8 fast", "ram"): "verified",
    }
    speed = next(r for r in ratios if (r.method, r.field) == ("INT8", "cpu_speed"))
    assert speed.claimed == 2.0 and speed.verified == pytest.approx(1.96)
