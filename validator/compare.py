"""Claimed versus verified: the comparison policy, as plain functions over the shared data model.

- Hardware-independent (weights size, quality): within a tolerance -> `verified`, else `mismatch`.
- Hardware-dependent (CPU/GPU speed, RAM, VRAM): claims come from students' laptops and Colab, the
  re-run from a CI runner, so absolute numbers are judged in a wide band (a factor), and the ratio of a
  compressed row over its original, claimed versus measured on one runner, is judged tightly: the
  runner's speed cancels out of a ratio. GPU numbers stay `unverified` unless the run had a GPU.
Every tolerance comes from `CompareConfig.tolerances`; there is no other copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from validator.config import CompareConfig, ReferenceHardware, Tolerance
from validator.hardware import find_cpu, find_gpu, same_cpu, same_gpu
from validator.metrics import metric_key
from validator.model import (
    QUANTITY_FIELDS,
    Check,
    Device,
    Environment,
    Metric,
    Quantity,
    RatioCheck,
    Row,
    RunResult,
    Unit,
    Verdict,
)
from validator.units import format_number

#: Units that measure the same thing as reciprocals of each other (batch 1): ms <-> samples/s.
_RECIPROCAL: dict[Unit, Unit] = {
    "ms": "samples/s",
    "samples/s": "ms",
    "ms/token": "tokens/s",
    "tokens/s": "ms/token",
}
HARDWARE_FIELDS = ("cpu_speed", "gpu_speed", "ram", "vram")
GPU_FIELDS = ("gpu_speed", "vram")


def convert(quantity: Quantity, unit: Unit) -> Quantity | None:
    """Express a quantity in another unit of the same measurement; `None` when that means nothing."""
    if quantity.unit == unit:
        return quantity
    if _RECIPROCAL.get(quantity.unit) != unit or quantity.value <= 0:
        return None
    value = 1000.0 / quantity.value
    std = None if quantity.std is None else 1000.0 * quantity.std / quantity.value**2
    return Quantity(value=value, std=std, unit=unit, note=quantity.note)


def within(claimed: float, verified: float, tolerance: Tolerance) -> bool:
    """Whether a verified number agrees with a claim under one tolerance."""
    if tolerance.factor is not None:
        if claimed <= 0 or verified <= 0:
            return claimed == verified
        return 1 / tolerance.factor <= verified / claimed <= tolerance.factor
    allowed = 0.0
    if tolerance.relative is not None:
        allowed = max(allowed, tolerance.relative * abs(claimed))
    if tolerance.absolute is not None:
        allowed = max(allowed, tolerance.absolute)
    return abs(verified - claimed) <= allowed


def describe(tolerance: Tolerance) -> str:
    if tolerance.factor is not None:
        return f"within ×/÷{format_number(tolerance.factor)}"
    parts = []
    if tolerance.relative is not None:
        parts.append(f"±{format_number(tolerance.relative * 100)}%")
    if tolerance.absolute is not None:
        parts.append(f"±{format_number(tolerance.absolute)}")
    return "within " + " or ".join(parts)


#: Whether the run's machine is the one a claim was measured on; "unknown" where nothing names it.
Hardware = Literal["same", "different", "unknown"]
#: Absolute figures only the same hardware reproduces: times, throughputs and VRAM.
ABSOLUTE_FIELDS = ("cpu_speed", "gpu_speed", "vram")
_JUDGED_BY_RATIO = "judged by the ratio over the original"
_NO_RATIO = "no ratio over the original to judge it by"


def stated_hardware(row: Row, field: str, reference: ReferenceHardware) -> str | None:
    """The hardware a row says a field was measured on: a cell's note naming a CPU or GPU
    (`31.9ms (Tesla T4)`), else the course's reference hardware; None where neither says."""
    if field == "cpu_speed":
        note = row.cpu_speed.note if row.cpu_speed else None
        return note if find_cpu(note) else reference.cpu
    for quantity in (row.gpu_speed, row.vram):
        if quantity is not None and find_gpu(quantity.note):
            return quantity.note
    return reference.gpu


def hardware_of(row: Row, field: str, environment: Environment | None, config: CompareConfig) -> Hardware:
    """Whether the run's machine (`environment`) is the hardware the row states for `field`."""
    if field not in ABSOLUTE_FIELDS or environment is None:
        return "unknown"
    stated = stated_hardware(row, field, config.reference_hardware)
    if stated is None:
        return "unknown"
    same = same_cpu(stated, environment.cpu) if field == "cpu_speed" else same_gpu(stated, environment.gpu)
    return "same" if same else "different"


def check_quantity(
    field: str,
    claimed: Quantity | None,
    verified: Quantity | None,
    config: CompareConfig,
    device: Device,
    hardware: Hardware = "unknown",
    stated: str | None = None,
) -> Check | None:
    """One quantity field; `None` when there is neither a claim nor a measurement.

    An absolute time, throughput or VRAM claim is compared only when the run's machine is the
    hardware the row states (its cell's note, else the course's reference hardware). Otherwise it is
    not compared (`judged_by="ratio"`: the ratio over the original judges it, see `settle_judged_by`):
    a number measured on a laptop or a Tesla T4 says nothing about a shared CI runner.
    """
    if claimed is None and verified is None:
        return None
    if field in GPU_FIELDS and device != "cuda":
        return Check(
            field=field,
            claimed=claimed,
            verdict="unverified",
            note="the re-run had no GPU",
            judged_by="not comparable" if claimed is not None else None,
        )
    if verified is None:
        return Check(field=field, claimed=claimed, verdict="unverified", note="not measured")
    if claimed is None:
        return Check(field=field, verified=verified, verdict="unverified", note="no claim: suggested value")
    shown = convert(verified, claimed.unit)
    if shown is None:
        return Check(
            field=field,
            claimed=claimed,
            verified=verified,
            verdict="unverified",
            note=f"{claimed.unit} and {verified.unit} do not compare",
            judged_by="not comparable",
        )
    if field in ABSOLUTE_FIELDS and hardware != "same":
        where = f"measured on {stated}, not this runner: " if stated else "hardware not stated: "
        return Check(
            field=field,
            claimed=claimed,
            verified=shown,
            verdict="unverified",
            note=where + _JUDGED_BY_RATIO,
            judged_by="ratio",
        )
    tolerance = config.tolerances[field]
    verdict: Verdict = "verified" if within(claimed.value, shown.value, tolerance) else "mismatch"
    note = describe(tolerance)
    if hardware == "same":
        note += " (same hardware)"
    elif field in HARDWARE_FIELDS:
        note += " (different hardware)"
    return Check(
        field=field, claimed=claimed, verified=shown, verdict=verdict, note=note, judged_by="absolute"
    )


def settle_judged_by(checks: Sequence[Check], ratios: Sequence[RatioCheck], row: Row) -> list[Check]:
    """A claim left to its ratio takes the ratio's verdict; with no ratio for the field, nothing
    judges it (`not comparable`)."""
    by_field = {
        r.field: r.verdict
        for r in ratios
        if (r.model, r.method) == (row.model, row.method or "") and r.verified is not None
    }
    settled = []
    for check in checks:
        if check.judged_by == "ratio":
            if check.field in by_field:
                check = check.model_copy(update={"verdict": by_field[check.field]})
            else:
                note = check.note.replace(_JUDGED_BY_RATIO, _NO_RATIO)
                check = check.model_copy(update={"judged_by": "not comparable", "note": note})
        settled.append(check)
    return settled


def _on_claimed_scale(claimed: Metric, verified: Metric) -> Metric:
    """Measured metrics are fractions; a claim written in % is compared in %."""
    if claimed.unit == "%" and verified.unit is None:
        std = None if verified.std is None else verified.std * 100
        return Metric(name=verified.name, value=verified.value * 100, std=std, unit="%")
    if claimed.unit is None and verified.unit == "%":
        std = None if verified.std is None else verified.std / 100
        return Metric(name=verified.name, value=verified.value / 100, std=std)
    return verified


def check_metric(claimed: Metric, measured: Sequence[Metric], config: CompareConfig) -> Check:
    field = f"quality.{claimed.name}"
    match = next((m for m in measured if metric_key(m.name) == metric_key(claimed.name)), None)
    if match is None:
        return Check(
            field=field, claimed=claimed, verdict="unverified", note="the harness does not measure it"
        )
    shown = _on_claimed_scale(claimed, match)
    tolerance = config.tolerances["quality_percent" if claimed.unit == "%" else "quality"]
    verdict: Verdict = "verified" if within(claimed.value, shown.value, tolerance) else "mismatch"
    return Check(
        field=field,
        claimed=claimed,
        verified=shown,
        verdict=verdict,
        note=describe(tolerance),
        judged_by="absolute",
    )


def check_row(
    row: Row, run: RunResult, config: CompareConfig, environment: Environment | None = None
) -> list[Check]:
    """Every claim of a row against its run; measured numbers without a claim become suggestions.

    `environment` is the run's machine: absolute times, throughputs and VRAM are compared only where
    it is the hardware the row states (see `hardware_of`).
    """
    checks: list[Check] = []
    for field in QUANTITY_FIELDS:
        check = check_quantity(
            field,
            row.quantity(field),
            run.quantity(field),
            config,
            run.device,
            hardware_of(row, field, environment, config),
            stated_hardware(row, field, config.reference_hardware),
        )
        if check is not None:
            checks.append(check)
    claimed_keys = {metric_key(m.name) for m in row.quality}
    for metric in row.quality:
        checks.append(check_metric(metric, run.quality, config))
    for metric in run.quality:
        if metric_key(metric.name) not in claimed_keys:
            checks.append(
                Check(
                    field=f"quality.{metric.name}",
                    verified=metric,
                    verdict="unverified",
                    note="no claim: suggested value",
                )
            )
    return checks


def _ratio(compressed: Quantity | None, original: Quantity | None) -> float | None:
    if compressed is None or original is None:
        return None
    same = convert(original, compressed.unit)
    if same is None or same.value <= 0:
        return None
    return compressed.value / same.value


def check_ratios(
    pairs: Sequence[tuple[Row, RunResult]],
    is_original: Callable[[str | None], bool],
    config: CompareConfig,
    device: Device,
) -> list[RatioCheck]:
    """Compressed over original for each model that has both, claimed versus measured on one runner."""
    tolerance = config.tolerances["ratio"]
    results: list[RatioCheck] = []
    by_model: dict[str, list[tuple[Row, RunResult]]] = {}
    for row, run in pairs:
        by_model.setdefault(row.key[0], []).append((row, run))
    for group in by_model.values():
        original = next(((r, run) for r, run in group if is_original(r.method)), None)
        if original is None:
            continue
        base_row, base_run = original
        for row, run in group:
            if row is base_row or run.status != "ok" or base_run.status != "ok":
                continue
            for field in HARDWARE_FIELDS:
                if field in GPU_FIELDS and device != "cuda":
                    continue
                claimed_c, claimed_o = row.quantity(field), base_row.quantity(field)
                claimed = _ratio(claimed_c, claimed_o)
                if claimed is None:
                    continue
                # Measure in the claim's unit, so a ratio of times is never set against one of rates.
                unit = claimed_c.unit if claimed_c else None
                measured_c = run.quantity(field)
                measured_o = base_run.quantity(field)
                if unit is not None and measured_c is not None:
                    measured_c = convert(measured_c, unit)
                verified = _ratio(measured_c, measured_o)
                verdict: Verdict = "unverified"
                if verified is not None:
                    verdict = "verified" if within(claimed, verified, tolerance) else "mismatch"
                results.append(
                    RatioCheck(
                        model=row.model,
                        method=row.method or "",
                        baseline_method=base_row.method or "",
                        field=field,
                        claimed=claimed,
                        verified=verified,
                        verdict=verdict,
                        note="not measured" if verified is None else describe(tolerance),
                    )
                )
    return results
