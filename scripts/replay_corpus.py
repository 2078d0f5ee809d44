"""Replay every real pull request of the corpus through `validator diff`, as a course would run it.

Each `pr-NN/` folder (tests/data/corpus, a copy of ../shared/corpus) becomes a throwaway git repository:

- the base commit: the base README, the course's `validator.toml` (`[rules] manifest_missing = "warning"`:
  no team has a manifest yet) and its team file `teams.toml`, one team per pull request whose members
  are the PR's author when `meta.json` names one (the corpus does not: every team lists no member);
- the head commit: the head README and every other file the PR changed (`meta.json`'s `changed_files`),
  as a file the PR added (the corpus keeps only the README's text; the others are stand-ins).

`validator diff --format json` runs as a user runs it (a subprocess), with the PR's title and author.
Every problem is classified by hand below (true problem or false alarm, with the reason); the table
printed is the one in docs/diff.md. A problem not classified here is printed as such and the script
exits 1, so a change of behaviour is never silently counted.

    python scripts/replay_corpus.py [--corpus DIR] [--json] [--timing]

`--timing` also measures `diff_revisions` in-process on each replayed repository (the median of 5
runs; no interpreter start-up, so it is the cost of the git reads, the reading and the rules).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "corpus"

CONFIG = '[rules]\nmanifest_missing = "warning"\n'

#: (pr, code, line) -> (True for a true problem, False for a false alarm; why).
VERDICTS: dict[tuple[str, str, int | None], tuple[bool, str]] = {}


def verdict(pr: str, code: str, line: int | None, true: bool, why: str) -> None:
    VERDICTS[(pr, code, line)] = (true, why)


NO_AUTHOR = "the corpus names no author and the title no team: the team is unknown (said, not failed)"
for _pr in [f"pr-{n:02d}" for n in range(2, 21)]:
    verdict(_pr, "team-unknown", None, True, NO_AUTHOR)
verdict("pr-04", "vram-below-weights", 69, True, "a GPU run in 9.32 MB of VRAM for 327 MB of weights")
verdict(
    "pr-06", "table-header-changed", 67, True, "speed columns switched to sec/token, quality split in two"
)
verdict("pr-06", "readme-text-changed", 72, True, "adds its barplot image to the course README")
for _pr in ("pr-07", "pr-08"):
    verdict(_pr, "cell-no-unit", 69, True, "weights size `922.15` without a unit (the header names none)")
    verdict(
        _pr, "method-names-model", 69, True, "method cell `Whisper` for the original row: write `Оригинал`"
    )
verdict("pr-09", "readme-text-changed", 15, True, "deletes most of the course plan (163 lines)")
verdict("pr-13", "readme-text-changed", 15, True, "deletes most of the course plan (163 lines)")
verdict("pr-14", "readme-text-changed", 1, True, "replaces the whole course README by its homework notes")
verdict("pr-14", "cell-no-unit", 8, True, "weights size `7022.134085655212` without a unit")
for _line in range(9, 14):
    verdict("pr-14", "cell-no-unit", _line, True, "weights size without a unit")
verdict("pr-16", "readme-text-changed", 12, True, "replaces the course plan by its own notes in a code block")
verdict("pr-17", "readme-text-changed", 12, True, "rewrites the course plan (lesson 5 in a code block)")
verdict("pr-18", "readme-text-changed", 209, True, "appends a second copy of the course README")
verdict("pr-20", "readme-text-changed", 209, True, "appends a second copy of the course README")


@dataclass
class Replay:
    pr: str
    exit_code: int
    added: int
    changed: int
    removed: int
    true: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)
    unclassified: list[str] = field(default_factory=list)
    crash: str = ""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=replay", "-c", "user.email=replay@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _teams_file(name: str, author: str | None) -> str:
    members = json.dumps([author] if author else [])
    return f'[teams.{name.replace("-", "_")}]\nfolder = "submissions/{name}"\nmembers = {members}\n'


def build(folder: Path, repo: Path) -> tuple[str, str | None]:
    """The PR as two commits in `repo`; returns its title and author."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    author = meta.get("author")
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_bytes((folder / "base__README.md").read_bytes())
    (repo / "validator.toml").write_text(CONFIG, encoding="utf-8")
    (repo / "teams.toml").write_text(_teams_file(folder.name, author), encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", f"{meta['base_branch']} at {meta['base_commit'][:12]}")
    (repo / "README.md").write_bytes((folder / "head__README.md").read_bytes())
    for name in meta.get("changed_files", []):
        if name == "README.md":
            continue
        kept = folder / f"head__{name.replace('/', '_')}"
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(kept.read_bytes() if kept.is_file() else b"stand-in: not kept in the corpus\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", meta["subject"])
    return meta["subject"], author


def replay(folder: Path, work: Path) -> Replay:
    repo = work / folder.name
    title, author = build(folder, repo)
    command = [
        sys.executable,
        "-m",
        "validator",
        "diff",
        "--repo",
        str(repo),
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
    ]
    command += ["--title", title, "--format", "json"] + (["--author", author] if author else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        return Replay(folder.name, done.returncode, 0, 0, 0, crash=done.stderr.strip()[-500:])
    data = json.loads(done.stdout)
    result = Replay(
        folder.name, done.returncode, len(data["added"]), len(data["changed"]), len(data["removed"])
    )
    for problem in data["problems"]:
        label = f"{problem['code']}@{problem['line']}" if problem["line"] else problem["code"]
        found = VERDICTS.get((folder.name, problem["code"], problem["line"]))
        if found is None:
            result.unclassified.append(f"{label} ({problem['severity']}): {problem['message']}")
        elif found[0]:
            result.true.append(label)
        else:
            result.false.append(f"{label} ({found[1]})")
    return result


def timing(folders: list[Path], work: Path) -> list[float]:
    """Seconds per `diff_revisions` call on each replayed PR (median of 5), in this process."""
    from validator.diff import config_at_revision, diff_revisions

    seconds: list[float] = []
    for folder in folders:
        repo = work / f"timing-{folder.name}"
        title, author = build(folder, repo)
        config = config_at_revision(repo, "HEAD~1")
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            diff_revisions(
                repo, "HEAD~1", "HEAD", title=title, author=author, readme="README.md", config=config
            )
            runs.append(time.perf_counter() - start)
        seconds.append(statistics.median(runs))
    return seconds


def table(results: list[Replay]) -> str:
    lines = [
        "| PR | exit | rows +/~/- | true problems | false alarms |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        if r.crash:
            lines.append(f"| {r.pr} | {r.exit_code} | | CRASH: {r.crash.splitlines()[-1]} | |")
            continue
        true = ", ".join(f"`{p}`" for p in r.true if not p.startswith("team-unknown")) or "—"
        false = ", ".join(r.false) or "—"
        lines.append(f"| {r.pr} | {r.exit_code} | {r.added}/{r.changed}/{r.removed} | {true} | {false} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--timing", action="store_true", help="also time diff_revisions in-process")
    args = parser.parse_args()
    folders = sorted(path for path in args.corpus.glob("pr-*") if path.is_dir())
    with tempfile.TemporaryDirectory() as tmp:
        results = [replay(folder, Path(tmp)) for folder in folders]
        seconds = timing(folders, Path(tmp)) if args.timing else []
    if args.json:
        print(json.dumps([r.__dict__ for r in results], ensure_ascii=False, indent=2))
    else:
        print(table(results))
        true = sum(len(r.true) for r in results)
        false = sum(len(r.false) for r in results)
        failing = sum(r.exit_code == 1 for r in results)
        crashes = sum(bool(r.crash) for r in results)
        unknown = sum(p.startswith("team-unknown") for r in results for p in r.true)
        print(
            f"\n{len(results)} pull requests, {crashes} crashes, exit 1 on {failing}; {true} true problems "
            f"({unknown} of them `team-unknown`), {false} false alarms"
        )
    if seconds:
        print(
            f"diff_revisions in-process: {sum(seconds):.2f} s for all {len(seconds)}, median "
            f"{statistics.median(seconds) * 1000:.0f} ms, slowest {max(seconds) * 1000:.0f} ms a pull request"
        )
    unclassified = [(r.pr, p) for r in results for p in r.unclassified]
    for pr, problem in unclassified:
        print(f"UNCLASSIFIED {pr}: {problem}", file=sys.stderr)
    return 1 if unclassified or any(r.crash for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
