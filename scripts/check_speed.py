"""Measure `validator check` on a 1-row and a 5,000-row comparison table, through the real CLI.

The foundation issue asks that 5,000 rows take at most 3x the time of one row. Each table is checked
`--repeat` times in a fresh `python -m validator check` process; the best wall time and CPU time
(user + sys of the child) are reported, since a shared machine adds noise but never removes work.

    python scripts/check_speed.py [--rows 5000] [--repeat 7] [--format text]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = (
    "| Модель | Метод | Размер весов | Время инференса (CPU, ms) | Время инференса (GPU, ms) "
    "| Использование RAM (MB) | Использование VRAM (MB) | Качество (WER) |\n"
    "|---|---|---|---|---|---|---|---|\n"
)


def table(rows: int) -> str:
    """A course-shaped README with `rows` distinct, well-formed rows."""
    lines = [
        f"| model-{i} | int8-{i % 7} | {1280 - i % 900}.5 Mb | {31 + i % 50}.9 ± 0.{i % 9 + 1} ms "
        f"| **{11 + i % 13}.46+-0.58** | {1560 + i}Mb | - | WER: 0.{i:04d}+-0.028 |\n"
        for i in range(rows)
    ]
    return "# Курс\n\n## Таблица сравнения\n\n" + HEADER + "".join(lines)


def measure(path: Path, output_format: str, repeat: int) -> tuple[float, float, int]:
    """Best wall seconds, best CPU seconds, exit code of `validator check` on `path`."""
    walls: list[float] = []
    cpus: list[float] = []
    code = 0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "validator", "check", str(path), "--format", output_format],
            capture_output=True,
            check=False,
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        code = done.returncode
    return min(walls), min(cpus), code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--format", default="text", choices=["text", "json", "github"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        small, large = Path(folder, "one.md"), Path(folder, "many.md")
        small.write_text(table(1), encoding="utf-8")
        large.write_text(table(args.rows), encoding="utf-8")
        one_wall, one_cpu, one_code = measure(small, args.format, args.repeat)
        many_wall, many_cpu, many_code = measure(large, args.format, args.repeat)
    print(f"format={args.format} repeat={args.repeat} (best of)")
    print(f"1 row:        wall {one_wall:.3f} s  cpu {one_cpu:.3f} s  exit {one_code}")
    print(f"{args.rows} rows: wall {many_wall:.3f} s  cpu {many_cpu:.3f} s  exit {many_code}")
    print(f"ratio: wall {many_wall / one_wall:.2f}x  cpu {many_cpu / one_cpu:.2f}x (goal <= 3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
