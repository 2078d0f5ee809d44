#!/usr/bin/env python3
"""List every problem code (the stable contract of our messages) as a Markdown table.

`python scripts/problem_codes.py` prints it; `--write` puts it into README.md between the
`problem-codes` markers, where a test keeps it in sync with the code.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- problem-codes:start -->", "<!-- problem-codes:end -->"


def load_all() -> None:
    """Import every module that may define problem types (they register themselves at import)."""
    sys.path.insert(0, str(ROOT))
    for package in ("validator", "bench"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if info.name.endswith("__main__") or ".child" in info.name:
                continue
            importlib.import_module(info.name)


def table() -> str:
    from validator.problems import REGISTRY

    lines = ["| code | severity | message |", "|---|---|---|"]
    for code in sorted(REGISTRY):
        kind = REGISTRY[code]
        message = kind.en.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{code}` | {kind.severity.value} | {message} |")
    return "\n".join(lines)


def readme_with_table(text: str, rendered: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{rendered}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update README.md in place")
    args = parser.parse_args()
    load_all()
    rendered = table()
    if args.write:
        readme = ROOT / "README.md"
        readme.write_text(readme_with_table(readme.read_text(encoding="utf-8"), rendered), encoding="utf-8")
    else:
        print(rendered)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
