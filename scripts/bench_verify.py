#!/usr/bin/env python3
"""Measure `validator verify`'s own cost over the harness runs it makes (README, "Performance").

Goal: `validator verify` on the example course's pull request (the demo's) takes at most 1.3x the
sum of the harness's own runs of the same submissions: no needless re-reading, re-installing or
repeated runs. Both are measured in rounds, interleaved, on the same repository:

- verify: the whole `python -m validator verify --base --head` process, wall clock;
- harness: `bench.runner.run_submission` for each run verify makes, in one process, wall clock.

Usage: python scripts/bench_verify.py [--rounds N] [--team gpt_squad]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.manifest import load_manifest  # noqa: E402
from bench.runner import run_submission  # noqa: E402
from validator.config import load_config  # noqa: E402


def build(team: str, dest: Path) -> tuple[str, str]:
    spec = importlib.util.spec_from_file_location("demo", ROOT / "examples" / "demo.py")
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    base, head = demo.build_pull_request(ROOT / "examples" / "course", team, dest, f"{team} HW-1")
    return str(base), str(head)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--team", default="gpt_squad")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "course"
        base, head = build(args.team, repo)
        config = load_config(repo)
        manifest = load_manifest(repo / "submissions" / args.team)
        verify_times: list[float] = []
        harness_times: list[float] = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "validator",
                    "verify",
                    "--repo",
                    str(repo),
                    "--base",
                    base,
                    "--head",
                    head,
                    "--title",
                    f"{args.team} HW-1",
                    "--format",
                    "json",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            verify_times.append(time.perf_counter() - start)
            if proc.returncode not in (0, 1):  # a failed claim is still a full verify run
                print(proc.stderr[-2000:])
                return 2
            start = time.perf_counter()
            for run in manifest.runs:
                result = run_submission(manifest, run, device="cpu", config=config.bench)
                assert result.status == "ok", result.error
            harness_times.append(time.perf_counter() - start)
    verify_s, harness_s = statistics.median(verify_times), statistics.median(harness_times)
    rounds = ", ".join(f"{t:.2f}" for t in verify_times)
    print(f"verify (whole process)  : {verify_s:6.2f} s  (rounds: {rounds})")
    rounds = ", ".join(f"{t:.2f}" for t in harness_times)
    print(f"harness runs, summed    : {harness_s:6.2f} s  (rounds: {rounds})")
    print(f"verify / harness        : {verify_s / harness_s:.2f}x (goal <= 1.3x)")
    return 0 if verify_s / harness_s <= 1.3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
