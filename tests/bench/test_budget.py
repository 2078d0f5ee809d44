"""The run's budget: timed calls planned from the warm-up, the memory cap, skips before loading.

The slow submissions are slow by sleeping in predict(); the budgets are generous, so these pass on
a loaded machine: no wall time is asserted, only what the result says.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bench.budget import CannotFitBudget, estimate_call, memory_cap_mb, plan_timed_calls
from bench.manifest import Manifest
from bench.runner import run_submission
from validator.config import BenchConfig

MakeTeam = Callable[..., Manifest]

SLOW = """
import time
class S:
    def load(self, device):
        pass
    def predict(self, inputs):
        time.sleep({seconds})
        return [x * 2 for x in inputs]
"""

LOADS = """
class S:
    def load(self, device):
        pass
    def predict(self, inputs):
        return inputs
"""


def test_the_declared_passes_when_they_fit() -> None:
    plan = plan_timed_calls(10, estimate_s=0.1, left_s=100, repeats=5, min_passes=3, min_calls=5)
    assert (plan.passes, plan.later_calls, plan.reason) == (5, 10, None)
    assert plan.calls(10) == 50


def test_fewer_passes_when_the_time_holds_only_some() -> None:
    plan = plan_timed_calls(10, estimate_s=1.0, left_s=35, repeats=5, min_passes=3, min_calls=5)
    assert (plan.passes, plan.later_calls) == (3, 10)
    assert plan.reason is not None and "3 of the 5 declared passes" in plan.reason


def test_shorter_later_passes_down_to_the_minimum() -> None:
    # 10 batches; 3 passes of 10 do not fit 22 calls, the first over all and two of 6 do.
    plan = plan_timed_calls(10, estimate_s=1.0, left_s=22, repeats=5, min_passes=3, min_calls=5)
    assert (plan.passes, plan.later_calls) == (3, 6)
    assert plan.calls(10) == 22
    assert plan.reason is not None and "6 of the 10 batches" in plan.reason


def test_below_the_minimum_the_run_cannot_fit() -> None:
    with pytest.raises(CannotFitBudget) as caught:
        plan_timed_calls(10, estimate_s=1.0, left_s=19, repeats=5, min_passes=3, min_calls=5)
    assert caught.value.needed_s == 20.0  # 10 + 2 x 5 calls
    # Fewer timed batches than min_calls: every batch, min_passes times, is the minimum.
    with pytest.raises(CannotFitBudget):
        plan_timed_calls(2, estimate_s=1.0, left_s=5, repeats=5, min_passes=3, min_calls=5)
    assert plan_timed_calls(2, estimate_s=1.0, left_s=6, repeats=5, min_passes=3, min_calls=5).passes == 3


def test_declared_repeats_below_the_minimum_are_the_minimum() -> None:
    plan = plan_timed_calls(4, estimate_s=1.0, left_s=100, repeats=1, min_passes=3, min_calls=5)
    assert (plan.passes, plan.later_calls) == (1, 4)


def test_the_estimate_is_conservative() -> None:
    assert estimate_call([5.0, 1.0]) == pytest.approx(3.0 * 1.25)  # median over the last
    assert estimate_call([1.0, 2.0]) == pytest.approx(2.5)  # the last over the median


def test_the_memory_cap_defaults_from_the_runner() -> None:
    assert memory_cap_mb(4096, total_mb=65536) == 4096  # configured wins
    assert memory_cap_mb(0, total_mb=16384) == 16384 - 1638  # 10% of 16 GB is over 1.5 GB
    assert memory_cap_mb(0, total_mb=7168) == 7168 - 1536  # 1.5 GB on a small runner
    assert memory_cap_mb(0) > 0  # this machine's


def test_a_slow_run_gets_fewer_passes_and_is_ok(make_team: MakeTeam) -> None:
    manifest = make_team(SLOW.format(seconds=0.1), inputs=[1, 2, 3, 4])  # 1 warm-up, 3 timed
    # 1000 passes of 0.1 s calls cannot fit 20 s; the minimum (3 + 1 x 1 calls) always does.
    config = BenchConfig(warmup=1, repeats=1000, min_passes=2, min_calls=1, timeout_s=20, threads=1)
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "ok", result.error
    assert 2 <= result.repeats < 1000
    assert result.timed_calls is not None and 4 <= result.timed_calls < 3000
    assert result.estimate_s is not None and result.estimate_s >= 0.1
    assert result.samples == 4  # every output was scored
    assert any("declared passes" in note for note in result.notes or []), result.notes
    assert result.memory_limit_mb is not None and result.memory_limit_mb > 0


def test_a_run_that_cannot_fit_the_minimum_is_skipped_with_its_estimate(make_team: MakeTeam) -> None:
    manifest = make_team(SLOW.format(seconds=2), inputs=[1, 2, 3, 4])
    # The minimum is 3 + 2 x 3 calls of 2 s: far over what 20 s leave after the warm-up call.
    config = BenchConfig(warmup=1, repeats=5, timeout_s=20, threads=1)
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "skipped", result.error
    assert result.skip_reason == "time"
    assert result.estimate_s is not None and result.estimate_s >= 2
    assert result.needed_s is not None and result.needed_s >= 9 * 2
    assert "GPU" in (result.error or "") and "smaller data set" in (result.error or "")


def test_weights_over_the_cap_are_skipped_before_loading(make_team: MakeTeam) -> None:
    manifest = make_team(LOADS, weights="model.bin")
    with (manifest.folder / "model.bin").open("wb") as handle:
        handle.truncate(600 * 1024 * 1024)  # sparse: 600 MB declared, nothing written to disk
    config = BenchConfig(memory_limit_mb=300, threads=1)
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "skipped"
    assert result.skip_reason == "memory"
    assert result.needed_mb == pytest.approx(600 * 1.2)
    assert "300 MB memory cap" in (result.error or "")
    # The child never started: no sandbox chosen, no wall time, no log, nothing measured.
    assert result.sandbox is None and result.wall_s is None and result.log_tail is None
    assert result.ram is None and result.ram_sampled is None


def test_the_bench_command_reports_a_skip_and_the_memory_cap(make_team: MakeTeam) -> None:
    from click.testing import CliRunner

    from validator.cli import main

    manifest = make_team(LOADS, weights="model.bin")
    with (manifest.folder / "model.bin").open("wb") as handle:
        handle.truncate(600 * 1024 * 1024)
    for language, word in (("en", "skipped"), ("ru", "пропущен")):
        args = ["bench", str(manifest.folder), "--memory-limit", "300", "--lang", language]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output  # skipped is not a failure
        assert f"m / x: {word}:" in result.stdout and "300 MB memory cap" in result.stdout
        assert "300 MB" in result.stdout.splitlines()[-1]  # the environment line shows the cap


SLOWER_LATER = """
import time
class S:
    def load(self, device):
        self.calls = 0
    def predict(self, inputs):
        self.calls += 1
        time.sleep(0.02 if self.calls == 1 else 0.5)  # a quick warm-up, then slow timed calls
        return inputs
"""


def test_timed_calls_slower_than_the_warm_up_stop_in_time(make_team: MakeTeam) -> None:
    manifest = make_team(SLOWER_LATER, inputs=[1, 2, 3, 4])
    # Planned on a 0.02 s warm-up call, hundreds of passes seem to fit; at 0.5 s a call they do not.
    config = BenchConfig(warmup=1, repeats=500, min_passes=2, min_calls=1, timeout_s=20, threads=1)
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "ok", result.error
    assert 2 <= result.repeats < 500
    assert any("slower than the warm-up" in note for note in result.notes or []), result.notes


def test_a_warm_up_call_that_never_answers_is_still_a_timeout(make_team: MakeTeam) -> None:
    """A hang cannot buy a neutral verdict: it stays a timeout, and the message says which call hung."""
    manifest = make_team(SLOW.format(seconds=3600), inputs=[1, 2, 3])
    config = BenchConfig(warmup=1, repeats=5, timeout_s=8, threads=1)
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "timeout"
    assert "warm-up predict() call" in (result.error or "") and "without an answer" in (result.error or "")
