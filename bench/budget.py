"""The run's budget: how much memory it may use, and how many timed calls fit its timeout.

The parent plans the timed calls after the warm-up, from the warm-up calls it timed itself: one
call's cost is estimated conservatively (the slower of the last warm-up call and their median, plus
a quarter), and the timed passes are cut to what the time left can hold, never below the statistical
minimum (`min_passes` passes of at least `min_calls` calls). Every batch is still called once (the
first timed pass covers all of them): quality is computed over the whole data set. A run that cannot
fit even the minimum is skipped with the estimate, not left to end as a timeout.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from validator.units import BYTES_PER_MB

#: The validator's own headroom when the memory cap is automatic: max(1.5 GB, 10% of the RAM).
HEADROOM_MIN_MB = 1536
HEADROOM_FRACTION = 0.10
#: A call's estimate is the warm-up's (see `estimate_call`) times this: the timed calls must fit.
ESTIMATE_SAFETY = 1.25
_CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def runner_memory_mb() -> int:
    """The memory this machine gives us: its RAM, or a smaller cgroup limit (a container, a CI job)."""
    total = int(psutil.virtual_memory().total)
    for path in _CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total // BYTES_PER_MB


def memory_cap_mb(configured_mb: int, total_mb: int | None = None) -> int:
    """The memory cap of one run: the configured one, or (0) the runner's memory less the headroom."""
    if configured_mb > 0:
        return configured_mb
    total = runner_memory_mb() if total_mb is None else total_mb
    headroom = max(HEADROOM_MIN_MB, int(total * HEADROOM_FRACTION))
    return max(total - headroom, 256)


def finish_margin(margin_s: float, timeout_s: float) -> float:
    """Seconds kept for the report after the timed calls: the configured margin, at most a tenth of
    the timeout (a 4 s test run keeps 0.4 s)."""
    return min(margin_s, timeout_s / 10)


def estimate_call(seconds: list[float]) -> float:
    """One call's cost from the warm-up calls: the slower of the last one and their median, plus a margin.

    The first call often pays for lazy initialisation; the last is the closest to a timed call, and
    the median keeps one lucky call from making the plan too tight.
    """
    if not seconds:
        return 0.0
    return max(seconds[-1], statistics.median(seconds)) * ESTIMATE_SAFETY


@dataclass(frozen=True)
class TimedPlan:
    """How many timed passes, and how many batches each pass after the first (which covers all)."""

    passes: int
    later_calls: int
    #: Why fewer than declared, in words; None when the declared passes fit.
    reason: str | None = None

    def calls(self, per_pass: int) -> int:
        return per_pass + (self.passes - 1) * self.later_calls


class CannotFitBudget(Exception):
    """Even the statistical minimum of timed calls cannot fit the time left."""

    def __init__(self, message: str, needed_s: float):
        super().__init__(message)
        self.message, self.needed_s = message, needed_s


def plan_timed_calls(
    per_pass: int,
    *,
    estimate_s: float,
    left_s: float,
    repeats: int,
    min_passes: int,
    min_calls: int,
) -> TimedPlan:
    """The timed passes that fit `left_s`, given one call costs `estimate_s`.

    `per_pass` is the number of timed batches; `repeats` the declared passes. The first pass covers
    every batch (quality needs each output once); later passes may use the first `later_calls`.
    Raises `CannotFitBudget` when `min_passes` passes of `min(min_calls, per_pass)` batches do not fit.
    """
    if per_pass <= 0 or repeats <= 0:
        return TimedPlan(max(repeats, 0), per_pass)
    floor_passes = min(min_passes, repeats)
    floor_calls = min(min_calls, per_pass)
    if estimate_s <= 0:
        return TimedPlan(repeats, per_pass)
    fit = math.floor(max(left_s, 0.0) / estimate_s)
    if fit >= per_pass * repeats:
        return TimedPlan(repeats, per_pass)
    minimum = per_pass + (floor_passes - 1) * floor_calls
    if fit < minimum:
        raise CannotFitBudget(
            f"{minimum} timed calls are the minimum ({floor_passes} passes, the first over all "
            f"{per_pass} batches), about {minimum * estimate_s:.3g} s, and {max(left_s, 0):.3g} s are left",
            minimum * estimate_s,
        )
    passes = fit // per_pass
    if passes >= floor_passes:
        return TimedPlan(
            passes,
            per_pass,
            f"the timeout fits {passes} of the {repeats} declared passes (one call ≈ {estimate_s:.3g} s)",
        )
    later = (fit - per_pass) // max(floor_passes - 1, 1) if floor_passes > 1 else per_pass
    later = max(floor_calls, min(later, per_pass))
    return TimedPlan(
        floor_passes,
        later,
        f"the timeout fits {floor_passes} of the {repeats} declared passes, the later ones over "
        f"{later} of the {per_pass} batches (one call ≈ {estimate_s:.3g} s)",
    )
