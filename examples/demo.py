#!/usr/bin/env python3
"""The main job on the bundled example course, as a maintainer sees it on a pull request.

Builds a throwaway git repository from `examples/course`: a base commit without one team's rows and
submission, and a head commit that adds them (the team's pull request). Then runs

    validator verify --base <base> --head <head> --title "<team> HW-1" --format markdown

in it, prints the report, and exits with verify's exit code (0: the claims hold).

Usage: python examples/demo.py [--team gpt_squad] [--lang en|ru] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
COURSE = HERE / "course"
sys.path.insert(0, str(HERE.parent))

from bench.manifest import load_manifest  # noqa: E402
from validator.check import check_file  # noqa: E402

GIT_IDENTITY = ["-c", "user.name=validator demo", "-c", "user.email=demo@example.invalid"]


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *GIT_IDENTITY, *args], cwd=repo, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def readme_without_team(readme: Path, team_folder: Path) -> str:
    """The course README before the team's PR: its declared rows taken out of the table."""
    manifest = load_manifest(team_folder)
    table = check_file(readme).comparison
    assert table is not None, f"{readme} has no comparison table"
    lines = readme.read_text(encoding="utf-8").split("\n")
    drop = {row.line for row in table.rows if manifest.find(row.model, row.method) is not None}
    return "\n".join(line for number, line in enumerate(lines, start=1) if number not in drop)


def build_pull_request(course: Path, team: str, dest: Path, title: str | None = None) -> tuple[str, str]:
    """Copy the course to `dest` as a git repository whose last commit is the team's PR.

    Returns (base sha, head sha); the working tree is left at the head, as CI checks it out.
    """
    shutil.copytree(course, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    readme = dest / "README.md"
    team_folder = dest / "submissions" / team
    head_readme = readme.read_text(encoding="utf-8")
    readme.write_text(readme_without_team(readme, team_folder), encoding="utf-8")
    held = dest.parent / f".{team}-submission"
    shutil.move(team_folder, held)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "course before the PR")
    base = git(dest, "rev-parse", "HEAD")
    shutil.move(held, team_folder)
    readme.write_text(head_readme, encoding="utf-8")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", title or f"{team} HW-1")
    return base, git(dest, "rev-parse", "HEAD")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--team", default="gpt_squad", help="the team whose PR is verified")
    parser.add_argument("--lang", choices=["en", "ru"], default="en")
    parser.add_argument("--keep", action="store_true", help="keep the temporary repository")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="validator-demo-"))
    try:
        repo = workdir / "course"
        title = f"{args.team} HW-1"
        base, head = build_pull_request(COURSE, args.team, repo, title)
        print(f"course repository: {repo}\nbase {base[:12]} -> head {head[:12]}: {title}\n", flush=True)
        command = [
            sys.executable,
            "-m",
            "validator",
            "verify",
            "--base",
            base,
            "--head",
            head,
            "--title",
            title,
            "--repo",
            str(repo),
            "--format",
            "markdown",
            "--lang",
            args.lang,
            "--out",
            str(workdir / "report.json"),
        ]
        env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
        return subprocess.run(command, env=env, check=False).returncode
    finally:
        if args.keep:
            print(f"kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
