"""`validator verify` on runs that do not fit the runner, and on claims made on other hardware.

A small course in tmp_path, its submissions sleeping in predict() (no torch): the real harness and
the command line. A row that cannot fit is `skipped` and leaves the verdict alone; absolute speeds
are compared only on the hardware the row states (or the course's reference hardware).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from bench.trackers.environment import collect_environment

HEADER = (
    "## Comparison table\n\n"
    "| Model | Method | Weights size (MB) | Inference time (CPU) | Inference time (GPU) | RAM (MB) "
    "| VRAM (MB) | Quality |\n|---|---|---|---|---|---|---|---|\n"
)
ROWS = [
    # Hardware: named on the row (another CPU than this machine's) -> judged by the ratio.
    "| m1 | Original | - | 20 ms (i7-12700H) | - | - | - | - |",
    "| m1 | Half | - | 10 ms (i7-12700H) | - | - | - | - |",
    # No note: the course's reference hardware, which is this machine -> compared as absolute.
    "| m2 | Original | - | 20 ms | - | - | - | - |",
    # Cannot fit: one call of 2 s, the minimum of timed calls far over the timeout.
    "| m2 | Slow | - | 2000 ms | - | - | - | - |",
    # GPU-only: no CPU claim, never run on the CPU runner (its load() would fail the run).
    "| m2 | GPU only | - | -- | 12.9 ms (Tesla T4) | - | 431 | - |",
    # Declared weights far over the memory cap: skipped before loading.
    "| m2 | Huge | - | 20 ms | - | - | - | - |",
]
CODE = """
import time


class Sleeper:
    seconds = 0.02

    def load(self, device):
        pass

    def predict(self, inputs):
        time.sleep(self.seconds * len(inputs))
        return inputs


class Half(Sleeper):
    seconds = 0.01


class Slow(Sleeper):
    seconds = 2.0


class Broken(Sleeper):
    def load(self, device):
        raise RuntimeError("this row must never run on a CPU runner")
"""
RUNS = [
    ("m1", "Original", "Sleeper", ""),
    ("m1", "Half", "Half", ""),
    ("m2", "Original", "Sleeper", ""),
    ("m2", "Slow", "Slow", ""),
    ("m2", "GPU only", "Broken", ""),
]


def _team(root: Path, name: str, runs: list[tuple[str, str, str, str]]) -> Path:
    team = root / "submissions" / name
    team.mkdir(parents=True)
    (team / "bench.py").write_text(CODE, encoding="utf-8")
    (team / "data.jsonl").write_text("".join(f'{{"input": {i}}}\n' for i in range(4)), encoding="utf-8")
    (team / "bench.toml").write_text(
        f'team = "{name}"\n'
        + "".join(
            f'[[run]]\nmodel = "{model}"\nmethod = "{method}"\nentry = "bench.py:{entry}"\n'
            f'data = "data.jsonl"\n{extra}'
            for model, method, entry, extra in runs
        ),
        encoding="utf-8",
    )
    return team


def _course(root: Path) -> Path:
    (root / "submissions").mkdir(parents=True)
    (root / "README.md").write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    _team(root, "sleepers", RUNS)
    giants = _team(root, "giants", [("m2", "Huge", "Broken", 'weights = "huge.bin"\n')])
    with (giants / "huge.bin").open("wb") as handle:
        handle.truncate(4 * 1024**3)  # sparse: 4 GB declared, nothing written
    machine = collect_environment("cpu").cpu or "unknown"
    (root / "validator.toml").write_text(
        textwrap.dedent(
            f"""
            [bench]
            threads = 1
            warmup = 1
            repeats = 3
            timeout_s = 20
            memory_limit_mb = 1024
            allow_unprotected = true

            [compare]
            reference_hardware = {{ cpu = {json.dumps(machine)} }}

            [compare.tolerances]
            cpu_speed = {{ factor = 20.0 }}
            """
        ),
        encoding="utf-8",
    )
    return root


def _verify(root: Path, language: str = "en") -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "validator",
            "verify",
            "--readme",
            str(root / "README.md"),
            "--lang",
            language,
            "--out",
            str(root / "report.json"),
            "--markdown",
            str(root / "report.md"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads((root / "report.json").read_text(encoding="utf-8"))
    return proc.returncode, report, (root / "report.md").read_text(encoding="utf-8")


def test_rows_that_cannot_fit_are_skipped_and_hardware_decides_how_speed_is_judged(tmp_path: Path) -> None:
    code, report, markdown = _verify(_course(tmp_path / "course"))
    rows = {(r["model"], r["method"]): r for r in report["rows"]}
    statuses = {key: r["status"] for key, r in rows.items()}
    assert statuses == {
        ("m1", "Original"): "ok",
        ("m1", "Half"): "ok",
        ("m2", "Original"): "ok",
        ("m2", "Slow"): "skipped",
        ("m2", "GPU only"): "skipped",
        ("m2", "Huge"): "skipped",
    }, report["problems"]
    # Skipped rows are neutral: warnings that say why, no failed run, and the verdict holds.
    problems = {(p["code"], p["severity"], p["line"]) for p in report["problems"]}
    assert problems == {
        ("run-over-time-budget", "warning", 8),
        ("row-gpu-only", "warning", 9),
        ("weights-over-memory-cap", "warning", 10),
    }, problems
    assert (code, report["verdict"]) == (0, "pass")
    assert all(not rows[key]["checks"] for key in rows if statuses[key] == "skipped")
    slow = next(p for p in report["problems"] if p["code"] == "run-over-time-budget")
    assert "gpu-rerun" in slow["message"] and "smaller data set" in slow["message"]

    def speed(model: str, method: str) -> dict[str, Any]:
        return next(c for c in rows[(model, method)]["checks"] if c["field"] == "cpu_speed")

    # Another CPU named on the row: the absolute number is not compared; the ratio judges it, and the
    # check takes the ratio's verdict.
    half = speed("m1", "Half")
    ratio = next(r for r in report["ratios"] if r["method"] == "Half" and r["field"] == "cpu_speed")
    assert ratio["verdict"] == "verified"
    assert (half["judged_by"], half["verdict"]) == ("ratio", "verified")
    assert "i7-12700H" in half["note"]
    # The original has no ratio of its own: not comparable on this machine.
    assert speed("m1", "Original")["judged_by"] == "not comparable"
    # The course's reference hardware is this machine: compared as an absolute number.
    same = speed("m2", "Original")
    assert (same["judged_by"], same["verdict"]) == ("absolute", "verified")
    assert "same hardware" in same["note"]
    # The report says so, and why rows were skipped.
    assert "| by ratio |" in markdown and "| absolute |" in markdown and "| not comparable |" in markdown
    assert "— skipped" in markdown and "run-over-time-budget" in markdown


def test_the_corpus_gpu_only_rows_are_recognized() -> None:
    """Real PRs whose CPU cell is `--` or `-` beside a GPU number (pinned copies in tests/data)."""
    from tests.conftest import DATA
    from validator.check import check_file
    from validator.config import Config
    from validator.verify import is_gpu_only

    found = {}
    for name in ("pr-12", "pr-14", "pr-18"):
        table = check_file(DATA / "corpus" / name / "head__README.md", Config()).comparison
        assert table is not None
        found[name] = [row for row in table.rows if is_gpu_only(row)]
    teacher = found["pr-12"][0]
    assert teacher.model == "Teacher (dslim/bert-large-NER)"
    assert teacher.gpu_speed is not None and teacher.gpu_speed.note == "Tesla T4"
    assert len(found["pr-14"]) >= 4 and len(found["pr-18"]) == 4
