"""Issue 14, item 5: one declaration per (model, method); a manifest counts only for its own folder.

The victim `zeta` declares `shared-model / Оригинал` and its row; the attacker `alpha` (first in folder
order) declares the same run with its own code.
"""

from __future__ import annotations

from pathlib import Path

from tests.diff.gitrepo import Repo, readme

from .attacks import cli, course, row, verify, write_team

VICTIM = """
import time
class Submission:
    def load(self, device):
        pass
    def predict(self, inputs):
        time.sleep(0.05)
        return inputs
"""

ATTACKER = """
class Submission:
    def load(self, device):
        pass
    def predict(self, inputs):
        return inputs
"""

SHARED = [("shared-model", "Оригинал")]


def _victim_course(tmp_path: Path) -> tuple[Repo, str]:
    repo, _ = course(tmp_path / "course")
    write_team(repo.path / "submissions" / "zeta", VICTIM, runs=SHARED)
    base = repo.commit({"README.md": readme(row("shared-model", cpu="50 ms"))}, "zeta HW-1")
    return repo, base


def test_a_team_cannot_take_over_another_teams_row(tmp_path: Path) -> None:
    repo, base = _victim_course(tmp_path)
    write_team(repo.path / "submissions" / "alpha", ATTACKER, runs=SHARED)
    head = repo.commit({"README.md": readme(row("shared-model", cpu="0.01 ms"))}, "alpha HW-1")
    done, report = verify(repo, base, head, "alpha HW-1")
    assert "Traceback" not in done.stderr, done.stderr
    assert report["verdict"] == "fail", report
    assert "row-declared-twice" in {p["code"] for p in report["problems"]}
    diffed = cli(
        "diff",
        "--repo",
        str(repo.path),
        "--base",
        base,
        "--head",
        head,
        "--title",
        "alpha HW-1",
        cwd=repo.path,
    )
    assert diffed.returncode == 1, diffed.stdout + diffed.stderr
    assert "zeta" in diffed.stdout


def test_an_honest_pr_runs_its_own_code_whatever_another_team_declares(tmp_path: Path) -> None:
    repo, _ = _victim_course(tmp_path)
    # The attacker's manifest got in (it touched no row); the victim's next PR must still run zeta's code.
    write_team(repo.path / "submissions" / "alpha", ATTACKER, runs=SHARED)
    base = repo.commit({}, "alpha HW-1")
    head = repo.commit({"README.md": readme(row("shared-model", cpu="55 ms"))}, "zeta HW-2")
    done, report = verify(repo, base, head, "zeta HW-2")
    assert "Traceback" not in done.stderr, done.stderr
    assert report["verdict"] == "pass", report["problems"]
    speed = next(c for c in report["rows"][0]["checks"] if c["field"] == "cpu_speed")
    assert speed["verified"]["value"] >= 40  # zeta's 50 ms, not alpha's instant code
    # One row, no hardware stated, no original: the measured number is shown, not judged.
    assert (speed["judged_by"], speed["verdict"]) == ("not comparable", "unverified")


def test_a_manifest_counts_only_for_the_folder_that_holds_it(tmp_path: Path) -> None:
    repo, base = course(tmp_path / "course")
    # Folder `alpha`, but the manifest says it is zeta's.
    write_team(repo.path / "submissions" / "alpha", ATTACKER, team="zeta", runs=SHARED)
    head = repo.commit({"README.md": readme(row("shared-model", cpu="0.01 ms"))}, "zeta HW-1")
    done, report = verify(repo, base, head, "zeta HW-1")
    assert "Traceback" not in done.stderr, done.stderr
    assert report["verdict"] == "fail"
    assert report["rows"][0]["status"] != "ok"
