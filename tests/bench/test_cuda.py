"""The CUDA path on a machine without a GPU: fakes of torch.cuda and pynvml."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.child import serve
from bench.manifest import Manifest
from bench.runner import Measured, _result, run_submission
from bench.trackers.environment import collect_environment
from bench.trackers.files import OpenedFiles
from bench.trackers.latency import Call
from bench.trackers.memory import GpuMemory, TreeMemory
from validator.config import BenchConfig

MakeTeam = Callable[..., Manifest]
MB = 1024 * 1024


class FakeProcess:
    def __init__(self, pid: int, used: int | None):
        self.pid, self.usedGpuMemory = pid, used


class FakeNvml(types.ModuleType):
    """What `pynvml` answers on a machine with one GPU running two processes."""

    def __init__(self, processes: list[FakeProcess]):
        super().__init__("pynvml")
        self.processes = processes

    def nvmlInit(self) -> None:
        pass

    def nvmlDeviceGetCount(self) -> int:
        return 1

    def nvmlDeviceGetHandleByIndex(self, index: int) -> str:
        return f"gpu{index}"

    def nvmlDeviceGetComputeRunningProcesses(self, handle: str) -> list[FakeProcess]:
        return self.processes

    def nvmlDeviceGetName(self, handle: str) -> bytes:
        return b"Tesla T4"

    def nvmlSystemGetDriverVersion(self) -> str:
        return "550.54.15"

    def nvmlDeviceGetMemoryInfo(self, handle: str) -> Any:
        return types.SimpleNamespace(total=15360 * MB, used=0, free=15360 * MB)


def test_gpu_memory_counts_only_the_runs_processes() -> None:
    nvml = FakeNvml([FakeProcess(10, 300 * MB), FakeProcess(11, 200 * MB), FakeProcess(99, 5000 * MB)])
    gpu = GpuMemory(nvml)
    assert gpu.sample({10, 11}) == 500 * MB
    nvml.processes = [FakeProcess(10, 100 * MB), FakeProcess(11, None)]
    assert gpu.sample({10, 11}) == 100 * MB
    assert gpu.peak_bytes == 500 * MB


def test_environment_names_the_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", FakeNvml([]))
    env = collect_environment("cuda", threads=3)
    assert env.gpu == "Tesla T4"
    assert env.gpu_driver == "550.54.15"
    assert env.gpu_memory_mb == 15360
    assert env.threads == 3
    assert collect_environment("cpu").gpu is None


class ScriptedChannel:
    """The parent's requests, in order; what the child sends back."""

    def __init__(self, requests: list[dict[str, Any]]):
        self.requests = list(requests)
        self.sent: list[dict[str, Any]] = []

    def receive(self) -> dict[str, Any]:
        return self.requests.pop(0)

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def test_child_synchronizes_around_calls_and_reads_peak_vram(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    calls: list[str] = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a: calls.append("sync"))
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda *a: calls.append("reset"))
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda *a: 123 * MB)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setitem(sys.modules, "submission_entry", None)
    monkeypatch.chdir(tmp_path)
    threads = torch.get_num_threads()
    (tmp_path / "sub.py").write_text(
        "import torch\n"
        "class S:\n"
        "    def load(self, device):\n"
        "        self.device = device\n"
        "        self.layer = torch.nn.Linear(4, 4)\n"
        "    def predict(self, inputs):\n"
        "        self.layer(torch.ones(1, 4))\n"
        "        return [self.device for _ in inputs]\n",
        encoding="utf-8",
    )
    start = {
        "op": "start",
        "folder": str(tmp_path),
        "entry_file": "sub.py",
        "entry_class": "S",
        "device": "cuda",
        "threads": 1,
        "weights_declared": False,
    }
    channel = ScriptedChannel(
        [
            start,
            {"op": "count_weights", "on": True},
            {"op": "call", "id": "a", "inputs": [1]},
            {"op": "count_weights", "on": False},
            {"op": "settle"},
            *({"op": "call", "id": str(n), "inputs": [n, n]} for n in range(3)),
            {"op": "finish"},
        ]
    )
    try:
        serve(channel)  # type: ignore[arg-type]
    finally:
        torch.set_num_threads(threads)
        import gc

        gc.unfreeze()
    events = [m["event"] for m in channel.sent]
    assert events == ["phase", "phase", "ready", "counting", "output", "counting", "settled"] + [
        "output"
    ] * 3 + ["result"]
    assert channel.sent[7] == {"event": "output", "id": "0", "outputs": ["cuda", "cuda"]}
    result = channel.sent[-1]
    assert result["cuda_max_allocated"] == 123 * MB
    assert result["weights_bytes"] == (16 + 4) * 4  # the layer the forward pass used
    assert calls[0] == "reset"
    # One sync after load, then one after each of the 4 calls, before its reply.
    assert calls.count("sync") == 1 + 4


def test_cuda_result_fills_gpu_speed_and_vram(make_team: MakeTeam) -> None:
    manifest = make_team("", inputs=[1, 2])
    run = manifest.runs[0]
    measured = Measured(
        outputs=[1, 2],
        calls=[Call(1, 0.02), Call(1, 0.02)],
        ready={"baseline_rss": 300 * MB, "threads": 1},
        final={"max_rss": 400 * MB, "cuda_max_allocated": 700 * MB},
        passes=1,
    )
    gpu = GpuMemory(FakeNvml([]), peak_bytes=900 * MB)
    tree = TreeMemory(root=1, peak_bytes=410 * MB)
    result = _result(run, measured, "cuda", [None, None], None, OpenedFiles(), tree, gpu, {})
    assert result.status == "ok", result.error
    assert result.gpu_speed is not None
    assert result.gpu_speed.value == pytest.approx(20.0)
    assert result.cpu_speed is None
    assert result.vram is not None
    assert result.vram.value == 900  # the driver's view includes the CUDA context
    assert result.vram_allocated is not None
    assert result.vram_allocated.value == 700
    assert result.ram is not None
    assert result.ram.value == 410
    assert result.ram_over_baseline is not None
    assert result.ram_over_baseline.value == 110


def test_cuda_without_a_gpu_is_a_clear_error(make_team: MakeTeam, quick: BenchConfig) -> None:
    code = "import torch\nclass S:\n    def load(self, d):\n        pass\n"
    code += "    def predict(self, x):\n        return x\n"
    manifest = make_team(code)
    result = run_submission(
        manifest, manifest.runs[0], device="cuda", config=quick.model_copy(update={"memory_limit_mb": 4096})
    )
    if result.status == "ok":  # a machine with a GPU
        assert result.gpu_speed is not None
    else:
        assert result.status == "error"
        assert "cannot see a CUDA device" in (result.error or "")
