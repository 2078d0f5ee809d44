"""Each status a run can end with, from real child processes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bench.manifest import Manifest
from bench.runner import run_submission
from validator.config import BenchConfig

MakeTeam = Callable[..., Manifest]

SLEEP = """
import time
class S:
    def load(self, device):
        self.device = device
    def predict(self, inputs):
        time.sleep(0.01 * len(inputs))
        return [x * 2 for x in inputs]
"""


def test_ok_run_measures_latency_and_memory(make_team: MakeTeam, quick: BenchConfig) -> None:
    manifest = make_team(SLEEP, inputs=[1, 2, 3, 4, 5], batch_size=2)  # a partial last batch
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "ok", result.error
    assert result.cpu_speed is not None
    assert result.cpu_speed.unit == "ms"
    assert 9.5 < result.cpu_speed.value < 30  # 10 ms per sample, batch of 2 in 20 ms
    assert result.samples == 5
    assert result.repeats == 2
    assert result.ram is not None
    assert result.ram.value > 5
    assert result.ram_baseline is not None
    assert result.p50 is not None
    assert result.p90 is not None
    assert result.gpu_speed is None
    assert result.error is None


def test_infinite_loop_times_out(make_team: MakeTeam, quick: BenchConfig) -> None:
    code = """
    class S:
        def load(self, device):
            while True:
                pass
        def predict(self, inputs):
            return inputs
    """
    manifest = make_team(code)
    config = quick.model_copy(update={"timeout_s": 1.5})
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "timeout"
    assert "1.5 s" in (result.error or "")
    assert result.wall_s is not None
    assert result.wall_s < 6


def test_memory_bomb_ends_as_oom_at_the_cap(make_team: MakeTeam, quick: BenchConfig) -> None:
    code = """
    class S:
        def load(self, device):
            self.blocks = []
            while True:
                self.blocks.append(bytearray(20 * 1024 * 1024))
        def predict(self, inputs):
            return inputs
    """
    manifest = make_team(code)
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "oom"
    assert "300 MB" in (result.error or "")
    assert result.ram_sampled is not None
    assert result.ram_sampled.value < 1500  # stopped near the cap, not at the host's limit


def test_memory_error_in_the_child_is_oom(make_team: MakeTeam, quick: BenchConfig) -> None:
    code = """
    class S:
        def load(self, device):
            pass
        def predict(self, inputs):
            raise MemoryError
    """
    manifest = make_team(code)
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "oom"
    assert "MemoryError" in (result.error or "")


def test_exception_is_error_with_traceback_tail(make_team: MakeTeam, quick: BenchConfig) -> None:
    code = """
    class S:
        def load(self, device):
            print("loading on", device)
            raise ValueError("weights file is corrupt")
        def predict(self, inputs):
            return inputs
    """
    manifest = make_team(code)
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "error"
    assert result.error == "ValueError: weights file is corrupt"
    assert "sub.py" in (result.log_tail or "")
    assert "loading on cpu" in (result.log_tail or "")


@pytest.mark.parametrize(
    ("predict", "message"),
    [
        ("return inputs + [0]", "predict() returned 2 outputs for 1 inputs"),
        ("return [object() for _ in inputs]", "not JSON-serializable"),
        ("return ['x' * (20 * 1024 * 1024) for _ in inputs]", "too large"),
        ("return 'not a list'", "must return a list"),
        ("raise SystemExit(3)", "called exit(3)"),
    ],
)
def test_contract_violations_are_errors(
    make_team: MakeTeam, quick: BenchConfig, predict: str, message: str
) -> None:
    code = "class S:\n    def load(self, device):\n        pass\n"
    code += f"    def predict(self, inputs):\n        {predict}\n"
    manifest = make_team(code, inputs=[1])
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "error"
    assert message in (result.error or "")


def test_child_that_dies_before_replying(make_team: MakeTeam, quick: BenchConfig) -> None:
    code = "import os\nclass S:\n    def load(self, device):\n        os._exit(7)\n"
    code += "    def predict(self, x):\n        return x\n"
    manifest = make_team(code)
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "error"
    assert result.error == "the child process died before reporting (exit code 7)"


def test_missing_class_and_missing_data(make_team: MakeTeam, quick: BenchConfig) -> None:
    manifest = make_team("class Other:\n    pass\n")
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "error"
    assert result.error == "'sub.py' has no class 'S'"
    (manifest.folder / "data" / "eval.jsonl").unlink()
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "error"
    assert result.error == "data file 'data/eval.jsonl' does not exist"


def test_the_childs_clocks_do_not_count(make_team: MakeTeam, quick: BenchConfig) -> None:
    code = """
    import sys, time
    class S:
        def load(self, device):
            real = time.perf_counter
            harness = sys.modules["__main__"]
            harness._clock = lambda: real() / 4  # every call would look four times faster
            time.perf_counter = harness._clock
        def predict(self, inputs):
            time.sleep(0.05)
            return inputs
    """
    manifest = make_team(code)
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "ok", result.error
    assert result.cpu_speed is not None
    assert result.cpu_speed.value >= 45  # the parent's clock: the 50 ms are there


def test_one_failing_run_does_not_stop_the_others(make_team: MakeTeam, quick: BenchConfig) -> None:
    from bench import run_manifest

    manifest = make_team(SLEEP)
    (manifest.folder / "bench.toml").write_text(
        (manifest.folder / "bench.toml").read_text(encoding="utf-8")
        + '[[run]]\nmodel = "m"\nmethod = "broken"\nentry = "missing.py:S"\ndata = "data/eval.jsonl"\n'
        + '[[run]]\nmodel = "m2"\nmethod = "y"\nentry = "sub.py:S"\ndata = "data/eval.jsonl"\n',
        encoding="utf-8",
    )
    from bench.manifest import load_manifest

    manifest = load_manifest(manifest.folder)
    report = run_manifest(manifest, device="cpu", config=quick)
    assert [r.status for r in report.runs] == ["ok", "error", "ok"]
    assert report.runs[1].error == "entry file 'missing.py' does not exist"
    assert report.environment.cores is not None
    only = run_manifest(manifest, device="cpu", config=quick, only="M2")
    assert [r.model for r in only.runs] == ["m2"]
