"""Issue 14, item 3: the weights size is what the run uses, not what the team points at."""

from __future__ import annotations

from pathlib import Path

from bench.manifest import load_manifest
from bench.runner import run_submission
from tests.diff.gitrepo import readme
from validator.config import BenchConfig
from validator.model import RunResult

from .attacks import course, verify, write_team

QUICK = BenchConfig(threads=1, warmup=1, repeats=2, timeout_s=120, memory_limit_mb=2000)


def _run(folder: Path) -> RunResult:
    manifest = load_manifest(folder)
    return run_submission(manifest, manifest.runs[0], device="cpu", config=QUICK)


# The model the forward pass uses lives in a module global; the submission object holds a decoy.
GLOBAL_MODEL = """
import torch
torch.manual_seed(0)
REAL = torch.nn.Linear(1024, 1024)  # 4 MB of float32
class Submission:
    def load(self, device):
        self.model = torch.nn.Linear(2, 2)  # the decoy: 24 bytes
    @torch.inference_mode()
    def predict(self, inputs):
        x = torch.ones(len(inputs), 1024)
        return [float(v) for v in REAL(x).sum(dim=1)]
"""


def test_a_model_kept_in_a_module_global_is_counted(tmp_path: Path) -> None:
    result = _run(write_team(tmp_path / "decoy", GLOBAL_MODEL))
    assert result.status == "ok", result.error
    assert result.weights_size is not None
    assert result.weights_size.value >= 4.0, result.weights_size  # MB


# Declares a tiny file as its weights, but loads a large undeclared one.
SWAPPED = """
import torch
class Submission:
    def load(self, device):
        self.weight = torch.load("blobs/real.pt")
    def predict(self, inputs):
        return [float(self.weight.sum()) for _ in inputs]
"""


def test_declared_weights_must_be_the_files_the_run_opens(tmp_path: Path) -> None:
    import torch

    folder = write_team(tmp_path / "swapped", SWAPPED, extra='weights = "weights/tiny.pt"\n')
    (folder / "weights").mkdir()
    torch.save(torch.zeros(4), folder / "weights" / "tiny.pt")
    (folder / "blobs").mkdir()
    torch.save(torch.zeros(2 * 1024 * 1024), folder / "blobs" / "real.pt")  # 8 MB, undeclared
    result = _run(folder)
    assert result.weights_unopened == ["weights/tiny.pt"], result
    assert result.undeclared_files is not None
    assert "blobs/real.pt" in result.undeclared_files
    # What the run opened of its declared weights: nothing, so no weights size is verified.
    assert result.weights_size is None or result.weights_size.value == 0


HONEST = SWAPPED.replace("blobs/real.pt", "weights/model.pt")


def test_declared_weights_that_are_used_are_counted(tmp_path: Path) -> None:
    import torch

    folder = write_team(tmp_path / "honest", HONEST, extra='weights = "weights/"\n')
    (folder / "weights").mkdir()
    torch.save(torch.zeros(1024 * 1024), folder / "weights" / "model.pt")  # 4 MB
    result = _run(folder)
    assert result.status == "ok", result.error
    assert result.weights_unopened == []
    assert result.undeclared_files in (None, [])
    assert result.weights_size is not None
    assert result.weights_size.value >= 4.0


def test_verify_fails_a_row_whose_declared_weights_were_never_opened(tmp_path: Path) -> None:
    import torch

    repo, base = course(tmp_path / "course")
    folder = write_team(repo.path / "submissions" / "swapped", SWAPPED, extra='weights = "weights/tiny.pt"\n')
    (folder / "weights").mkdir()
    torch.save(torch.zeros(4), folder / "weights" / "tiny.pt")
    (folder / "blobs").mkdir()
    torch.save(torch.zeros(2 * 1024 * 1024), folder / "blobs" / "real.pt")
    row = "| swapped-model | Оригинал | 0.001 MB | -- | -- | -- | -- | -- |"
    head = repo.commit({"README.md": readme(row)}, "swapped HW-1")
    done, report = verify(repo, base, head, "swapped HW-1")
    assert "Traceback" not in done.stderr, done.stderr
    codes = {p["code"]: p for p in report["problems"]}
    assert "weights-not-opened" in codes, report["problems"]
    assert "weights/tiny.pt" in codes["weights-not-opened"]["message"]
    assert "blobs/real.pt" in codes["undeclared-large-files"]["message"]
    assert report["verdict"] == "fail"


def test_a_file_another_row_of_the_team_declares_is_not_undeclared(tmp_path: Path) -> None:
    """Two rows, each with its own weights file: neither row reports the other's file."""
    import torch

    folder = write_team(
        tmp_path / "two_rows",
        HONEST,
        runs=[("two-model", "Оригинал"), ("two-model", "INT8")],
        extra="",
    )
    text = (folder / "bench.toml").read_text(encoding="utf-8")
    first, second = text.split("[[run]]")[1:]
    (folder / "bench.toml").write_text(
        text.split("[[run]]")[0]
        + "[[run]]"
        + first
        + 'weights = "weights/model.pt"\n[[run]]'
        + second
        + 'weights = "int8/model.pt"\n',
        encoding="utf-8",
    )
    (folder / "weights").mkdir()
    torch.save(torch.zeros(2 * 1024 * 1024), folder / "weights" / "model.pt")  # 8 MB
    (folder / "int8").mkdir()
    torch.save(torch.zeros(2 * 1024 * 1024), folder / "int8" / "model.pt")  # 8 MB
    result = _run(folder)
    assert result.status == "ok", result.error
    assert result.undeclared_files == []


LAUNCHER = """
import json, sys
from bench.manifest import load_manifest
from bench.runner import run_submission
from validator.config import BenchConfig
ballast = bytearray(1536 * 1024 * 1024)  # the launcher once held 1.5 GB
for i in range(0, len(ballast), 4096):
    ballast[i] = 1
del ballast
from pathlib import Path
manifest = load_manifest(Path(sys.argv[1]))
config = BenchConfig(threads=1, warmup=1, repeats=2, timeout_s=120, memory_limit_mb=4000, sandbox="none",
                     allow_unprotected=True)
print(run_submission(manifest, manifest.runs[0], device="cpu", config=config).model_dump_json())
"""

SMALL = """
class Submission:
    def load(self, device):
        pass
    def predict(self, inputs):
        return inputs
"""


def test_the_peak_ram_of_the_process_that_started_the_run_is_not_counted(tmp_path: Path) -> None:
    """Linux carries ru_maxrss over fork and exec: an unsandboxed child once reported its launcher's peak."""
    import subprocess
    import sys

    folder = write_team(tmp_path / "small", SMALL)
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = RunResult.model_validate_json(proc.stdout.strip().splitlines()[-1])
    assert result.status == "ok", result.error
    assert result.ram is not None and result.ram.value < 1024, result  # MB: the child, not the launcher
