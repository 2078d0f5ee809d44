#!/usr/bin/env python3
"""Print the CHANGELOG.md section of a release, for its GitHub release notes.

`python scripts/changelog_section.py v0.2.0` prints the body of `## [0.2.0] - <date>` (up to the next
`## [`). It refuses, with exit 1 and one line on stderr, a tag that is not the package's version
(`validator.__version__`), and a version the changelog has no section for or an empty one: a release
is cut only from a changelog that says what it holds.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\]")


def package_version(root: Path = ROOT) -> str:
    text = (root / "validator" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if match is None:
        raise ValueError("validator/__init__.py has no __version__")
    return match[1]


def section(changelog: str, version: str) -> str | None:
    """The text under `## [version]`, without the heading and without surrounding blank lines."""
    lines: list[str] | None = None
    for line in changelog.splitlines():
        heading = _HEADING.match(line)
        if heading:
            if lines is not None:
                break
            if heading["version"] == version:
                lines = []
            continue
        if lines is not None:
            lines.append(line)
    return None if lines is None else "\n".join(lines).strip("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag", help="the release tag, v<version>")
    parser.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout holding validator/")
    args = parser.parse_args(argv)
    version = args.tag.removeprefix("v")
    expected = package_version(args.root)
    if version != expected:
        print(
            f"tag {args.tag} is not the package's version {expected} (validator/__init__.py)", file=sys.stderr
        )
        return 1
    try:
        text = args.changelog.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"{args.changelog}: cannot read: {exc.strerror}", file=sys.stderr)
        return 1
    body = section(text, version)
    if not body:
        what = "an empty section" if body == "" else "no section"
        print(
            f"{args.changelog} has {what} `## [{version}]`: write the release's changes there",
            file=sys.stderr,
        )
        return 1
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
