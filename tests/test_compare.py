"""The comparison policy on hand-made claims and measurements."""

from __future__ import annotations

import pytest

from validator.compare import (
    check_metric,
    check_quantity,
    check_ratios,
    check_row,
    convert,
    settle_judged_by,
    within,
)
from validator.config import CompareConfig, ReferenceHardware, Tolerance
from validator.hardware import find_cpu, same_cpu, same_gpu
from validator.model import Environment, Metric, Quantity, Row, RunResult

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


def test_speed_on_the_stated_hardware_is_judged_in_a_wide_band_in_the_claimed_unit() -> None:
    check = check_quantity("cpu_speed", q(10, "tokens/s"), q(60, "ms/token"), CONFIG, "cpu", "same")
    assert check is not None
    assert check.verified == q(1000 / 60, "tokens/s")
    assert check.verdict == "verified"
    assert check.note == "within ×/÷2 (same hardware)"
    assert check.judged_by == "absolute"
    assert check_quantity("cpu_speed", q(10, "ms"), q(25, "ms"), CONFIG, "cpu", "same").verdict == "mismatch"  # type: ignore[union-attr]


def test_a_speed_on_hardware_nobody_stated_is_left_to_its_ratio() -> None:
    """A number from the team's laptop says nothing about a shared runner: not compared absolutely."""
    check = check_quantity("cpu_speed", q(10, "ms"), q(25, "ms"), CONFIG, "cpu")
    assert check is not None
    assert (check.judged_by, check.verdict) == ("ratio", "unverified")
    assert check.verified == q(25, "ms")
    assert check.note == "hardware not stated: judged by the ratio over the original"


def test_gpu_claims_are_unverified_without_a_gpu() -> None:
    check = check_quantity("gpu_speed", q(31.9, "ms"), q(30, "ms"), CONFIG, "cpu")
    assert check is not None and check.verdict == "unverified" and check.note == "the re-run had no GPU"
    assert check_quantity("vram", q(300), q(290), CONFIG, "cuda", "same").verdict == "verified"  # type: ignore[union-attr]


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
        "cpu_speed": "unverified",  # no hardware stated: its ratio judges it
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


T4_ROW = Row(
    line=1,
    model="bert",
    method="Оригинал",
    cpu_speed=Quantity(value=769.1, unit="ms"),
    gpu_speed=Quantity(value=31.9, unit="ms", note="Tesla T4"),
    vram=Quantity(value=1331, unit="MB"),
)


def _gpu_run(gpu_ms: float, cpu_ms: float = 700) -> RunResult:
    return RunResult(
        model="bert",
        method="Оригинал",
        status="ok",
        device="cuda",
        cpu_speed=q(cpu_ms, "ms"),
        gpu_speed=q(gpu_ms, "ms"),
        vram=q(1300),
    )


def test_a_gpu_claim_is_compared_on_the_gpu_it_names() -> None:
    on_t4 = Environment(cpu="Intel(R) Xeon(R) CPU @ 2.20GHz", gpu="Tesla T4")
    checks = {c.field: c for c in check_row(T4_ROW, _gpu_run(80.0), CONFIG, on_t4)}
    assert (checks["gpu_speed"].judged_by, checks["gpu_speed"].verdict) == ("absolute", "mismatch")
    assert checks["gpu_speed"].note.endswith("(same hardware)")
    # The VRAM cell names nothing: the row's GPU (its speed cell's note) is the hardware it states.
    assert (checks["vram"].judged_by, checks["vram"].verdict) == ("absolute", "verified")


def test_on_other_hardware_a_claim_waits_for_its_ratio() -> None:
    on_h200 = Environment(cpu="AMD EPYC 9654", gpu="NVIDIA H200")
    checks = {c.field: c for c in check_row(T4_ROW, _gpu_run(8.0), CONFIG, on_h200)}
    speed = checks["gpu_speed"]
    assert (speed.judged_by, speed.verdict) == ("ratio", "unverified")
    assert speed.note.startswith("measured on Tesla T4")
    # No hardware named for the CPU cell and no reference: its ratio judges it too.
    assert (checks["cpu_speed"].judged_by, checks["cpu_speed"].verdict) == ("ratio", "unverified")
    assert checks["cpu_speed"].note.startswith("hardware not stated")
    # Without a ratio for the field, nothing judges it.
    settled = {c.field: c for c in settle_judged_by(list(checks.values()), [], T4_ROW)}
    assert settled["gpu_speed"].judged_by == "not comparable"
    assert "no ratio" in settled["gpu_speed"].note


def test_the_course_reference_hardware_stands_for_cells_that_name_none() -> None:
    config = CompareConfig(reference_hardware=ReferenceHardware(cpu="i7-12700H"))
    laptop = Environment(cpu="12th Gen Intel(R) Core(TM) i7-12700H")
    runner = Environment(cpu="AMD EPYC 7763 64-Core Processor")
    run = _gpu_run(30.0, cpu_ms=5000.0).model_copy(update={"device": "cpu"})
    on_laptop = {c.field: c for c in check_row(T4_ROW, run, config, laptop)}
    assert (on_laptop["cpu_speed"].judged_by, on_laptop["cpu_speed"].verdict) == ("absolute", "mismatch")
    on_runner = {c.field: c for c in check_row(T4_ROW, run, config, runner)}
    assert (on_runner["cpu_speed"].judged_by, on_runner["cpu_speed"].verdict) == ("ratio", "unverified")
    # A CPU run: the GPU numbers cannot be compared at all.
    assert on_runner["gpu_speed"].judged_by == "not comparable"


@pytest.mark.parametrize(
    ("note", "machine", "same"),
    [
        ("i7-12700H", "12th Gen Intel(R) Core(TM) i7-12700H", True),
        ("i7-12700H", "AMD EPYC 7B13", False),
        ("AMD EPYC 7B13", "AMD EPYC 7B13 64-Core Processor", True),
        ("Xeon E5-2680 v4", "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", True),
        ("Apple M2", "Apple M2", True),
        ("Ryzen 7 5800X", "AMD Ryzen 7 5800X 8-Core Processor", True),
    ],
)
def test_cpu_models_are_matched_by_their_model_number(note: str, machine: str, same: bool) -> None:
    assert same_cpu(note, machine) is same


def test_notes_that_name_no_cpu_and_gpu_names() -> None:
    assert find_cpu("на CPU") is None and find_cpu("Colab CPU") is None
    assert same_gpu("Tesla T4", "Tesla T4") and not same_gpu("T4", "NVIDIA H200")
    assert not same_gpu("Tesla T4", None)
