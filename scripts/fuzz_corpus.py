"""Mutation fuzzer for the table reader (`validator check`), seeded from real submissions.

Seeds are every Markdown file under `tests/data/corpus` and `tests/data/seed` (or the paths given).
Each iteration takes a seed, applies a few byte, line or cell mutations, reads the result with
`check_bytes` and checks what must hold for any input: no exception, every problem a registered code
with a line inside the file and a column >= 1, strict JSON that reads back to the same report, the
same report twice. A failing input is saved with its traceback under `--out` and the run exits 1.

    python scripts/fuzz_corpus.py --iterations 20000 --time-budget 300 --out fuzz-crashes/
    python scripts/fuzz_corpus.py --atheris            # coverage-guided, when atheris is installed

Reproduce a saved crash with `python -m validator check fuzz-crashes/crash-<hash>.md`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from validator.check import check_bytes
from validator.model import CheckReport
from validator.problems import REGISTRY
from validator.reporters.check import REPORTER_BY_NAME, json_check

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEEDS = (ROOT / "tests" / "data" / "corpus", ROOT / "tests" / "data" / "seed")

#: Byte strings a mutation may insert: Markdown and cell-grammar pieces, encodings, extremes.
_TEXT_TOKENS = (
    "|",
    "\\|",
    "||",
    "`",
    "**",
    "*",
    "_",
    "<br>",
    "</br>",
    "<table>",
    "&amp;",
    "[",
    "](",
    ")",
    "(",
    "> ",
    "#",
    "- ",
    "1. ",
    "    ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\ufeff",
    "\x00",
    "±",
    "+-",
    "+/-",
    "~",
    "%",
    "1e999",
    "-1e999",
    "NaN",
    "inf",
    "-5",
    "1e308 TB",
    "0,5",
    "5888,20",
    "1.33Gb",
    "MB",
    "ms",
    "tokens/s",
    "sec/token",
    "it/s",
    "WER:",
    "NISQA-MOS: 2.25+-0.08",
    "---",
    ":---:",
    "|-|-|",
    "\\",
    "Модель",
    "Метод",
    "Размер весов",
    "(CPU, ms)",
    "Качество (WER)",
    "-",
    "N/A",
)
TOKENS: tuple[bytes, ...] = (
    *(t.encode("utf-8") for t in _TEXT_TOKENS),
    # Invalid UTF-8: a lone byte, a cut sequence, a surrogate, double-encoded text.
    b"\xff",
    b"\xc3",
    b"\xe2\x80",
    b"\xed\xa0\x80",
    b"\xc3\x90\xc2\x9c",
)


def line_count(data: bytes) -> int:
    """Lines as the reader counts them: after the BOM, with CRLF and CR as line ends."""
    return len(re.split(rb"\r\n|\r|\n", data))


def invariant_failures(data: bytes, report: CheckReport) -> list[str]:
    """What is wrong with a report for `data`; empty when every input invariant holds."""
    failures: list[str] = []
    lines = line_count(data)
    for problem in report.problems:
        if problem.code not in REGISTRY:
            failures.append(f"unregistered code {problem.code!r}")
        if problem.line is not None and not 1 <= problem.line <= lines:
            failures.append(f"{problem.code}: line {problem.line} outside 1..{lines}")
        if problem.column is not None and problem.column < 1:
            failures.append(f"{problem.code}: column {problem.column} < 1")
        if problem.column is not None and problem.line is None:
            failures.append(f"{problem.code}: a column without a line")
    for table in report.tables:
        if not 1 <= table.line <= lines:
            failures.append(f"table line {table.line} outside 1..{lines}")
        for row in table.rows:
            if not table.line < row.line <= lines:
                failures.append(f"row line {row.line} outside {table.line + 1}..{lines}")
            for name, value in row.values().items():
                numbers = value if isinstance(value, list) else [value]
                for item in numbers:
                    if isinstance(item, dict) and not all(
                        math.isfinite(item[k]) for k in ("value", "std") if item.get(k) is not None
                    ):
                        failures.append(f"row {row.line}: {name} is not finite: {item}")
            for source in row.source.values():
                if source.column < 1:
                    failures.append(f"row {row.line}: cell column {source.column} < 1")
    text = json_check(report, "en")

    def reject(constant: str) -> object:
        raise ValueError(f"JSON holds {constant}, which is not JSON")

    try:
        back = CheckReport.model_validate(json.loads(text, parse_constant=reject))
    except ValueError as exc:
        failures.append(f"JSON does not read back: {exc}")
    else:
        if back != report:
            failures.append("JSON reads back to a different report")
    for name, render in REPORTER_BY_NAME.items():
        for language in ("en", "ru"):
            output = render(report, language)
            if name == "github" and any(
                line and not line.startswith(("::error ", "::warning ")) for line in output.split("\n")
            ):
                failures.append("a GitHub annotation spans more than one line")
    return failures


def check_input(data: bytes) -> list[str]:
    """Read `data` twice; the invariant failures, or the traceback when reading raised."""
    try:
        first = check_bytes(data, "README.md")
        second = check_bytes(data, "README.md")
    except Exception:  # any exception at all is the finding
        return [traceback.format_exc()]
    failures = invariant_failures(data, first)
    if first != second:
        failures.append("reading the same bytes twice gave different reports")
    return failures


# --- mutations --------------------------------------------------------------------------------


def _flip(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return rng.choice(TOKENS)
    at = rng.randrange(len(data))
    return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1 :]


def _insert(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(TOKENS) * rng.choice((1, 1, 1, 2, 10, 100)) + data[at:]


def _delete(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + data[at + rng.randint(1, 16) :]


def _lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    choice = rng.randrange(4)
    if choice == 0:
        lines[i], lines[j] = lines[j], lines[i]
    elif choice == 1:
        lines.insert(i, lines[j])
    elif choice == 2:
        del lines[i]
    else:
        lines[i] = lines[i] * rng.randint(2, 50)
    return b"\n".join(lines)


def _cells(data: bytes, rng: random.Random) -> bytes:
    """Edit one cell of a table row: replace, duplicate or drop it, or join it to its neighbour."""
    lines = data.split(b"\n")
    rows = [i for i, line in enumerate(lines) if line.count(b"|") >= 2]
    if not rows:
        return _insert(data, rng)
    i = rng.choice(rows)
    cells = lines[i].split(b"|")
    j = rng.randrange(len(cells))
    choice = rng.randrange(4)
    if choice == 0:
        cells[j] = b" " + rng.choice(TOKENS) + b" "
    elif choice == 1:
        cells.insert(j, cells[j])
    elif choice == 2 and len(cells) > 1:
        del cells[j]
    else:
        cells[j] = cells[j] + rng.choice(TOKENS) + cells[j]
    lines[i] = b"|".join(cells)
    return b"\n".join(lines)


MUTATIONS: tuple[Callable[[bytes, random.Random], bytes], ...] = (
    _flip,
    _insert,
    _delete,
    _lines,
    _cells,
    _cells,
    _cells,
)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """A few stacked byte, line and cell mutations of `data`."""
    for _ in range(rng.randint(1, 5)):
        data = rng.choice(MUTATIONS)(data, rng)
    return data


def load_seeds(paths: Iterable[Path]) -> list[bytes]:
    """Every `.md` file under the given folders (or the files themselves), in a stable order."""
    seeds: list[bytes] = []
    for path in paths:
        files = sorted(path.rglob("*.md")) if path.is_dir() else [path] if path.is_file() else []
        seeds.extend(f.read_bytes() for f in files)
    return seeds


def save(out: Path, data: bytes, failures: Sequence[str]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]  # noqa: S324 - a file name, not security
    path = out / f"crash-{name}.md"
    path.write_bytes(data)
    (out / f"crash-{name}.txt").write_text("\n\n".join(failures), encoding="utf-8")
    return path


def fuzz(
    seeds: Sequence[bytes], iterations: int, budget: float, rng: random.Random
) -> tuple[int, list[tuple[bytes, list[str]]]]:
    """Run mutations until `iterations` or `budget` seconds; (inputs tried, failing inputs)."""
    found: list[tuple[bytes, list[str]]] = []
    deadline = time.monotonic() + budget
    done = 0
    while done < iterations and time.monotonic() < deadline:
        data = mutate(rng.choice(seeds), rng)
        failures = check_input(data)
        if failures:
            found.append((data, failures))
        done += 1
    return done, found


def run_atheris(seeds: Sequence[bytes], out: Path, iterations: int, budget: float) -> int:
    """Coverage-guided fuzzing with atheris (libFuzzer), when it is installed."""
    import atheris

    def one_input(data: bytes) -> None:
        failures = check_input(data)
        if failures:
            path = save(out, data, failures)
            raise AssertionError(f"{path}:\n" + "\n".join(failures))

    corpus = out / "atheris-corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for index, seed in enumerate(seeds):
        (corpus / f"seed-{index}.md").write_bytes(seed)
    atheris.instrument_all()
    options = [f"-runs={iterations}", f"-max_total_time={int(budget)}", "-rss_limit_mb=2048"]
    atheris.Setup([sys.argv[0], *options, str(corpus)], one_input)
    atheris.Fuzz()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mutation fuzzer for `validator check`.")
    parser.add_argument("seeds", nargs="*", type=Path, help="seed files or folders (default: tests/data)")
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--time-budget", type=float, default=120.0, help="seconds")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--out", type=Path, default=Path("fuzz-crashes"))
    parser.add_argument("--atheris", action="store_true", help="coverage-guided with atheris")
    args = parser.parse_args(argv)
    seeds = load_seeds(args.seeds or DEFAULT_SEEDS)
    if not seeds:
        print("fuzz_corpus: no seed files found", file=sys.stderr)
        return 2
    if args.atheris:
        return run_atheris(seeds, args.out, args.iterations, args.time_budget)
    seed = args.seed if args.seed is not None else random.randrange(2**32)  # noqa: S311
    start = time.monotonic()
    done, found = fuzz(seeds, args.iterations, args.time_budget, random.Random(seed))  # noqa: S311
    elapsed = time.monotonic() - start
    print(f"fuzz_corpus: {done} inputs from {len(seeds)} seeds in {elapsed:.1f} s (seed {seed})")
    for data, failures in found:
        path = save(args.out, data, failures)
        print(f"FAIL {path}: {failures[0].strip().splitlines()[-1]}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
