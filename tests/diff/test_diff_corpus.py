"""Every real pull request of tests/data/corpus (copied from the course workspace), replayed as base and head.

Two replays. The course's, as `scripts/replay_corpus.py` builds it (a team file, no manifests,
`manifest_missing = "warning"`, the PR's other files added): every PR's exit code and problem codes are
pinned, every problem is one the script classifies, and none is a false alarm. And the bare one (the
README alone, default settings) for the rules' arithmetic on real rows.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from validator.cli import main
from validator.config import Config
from validator.diff import diff_revisions
from validator.model import DiffReport

from .gitrepo import Repo

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "corpus"
PRS = sorted(path.name for path in CORPUS.glob("pr-*") if path.is_dir())


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("replay_corpus", ROOT / "scripts" / "replay_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("replay_corpus", module)
    spec.loader.exec_module(module)
    return module


REPLAY = _script()

#: PR -> (exit code, [(line, code)] in report order) under the course's configuration.
EXPECTED: dict[str, tuple[int, list[tuple[int | None, str]]]] = {
    "pr-02": (0, [(None, "team-unknown")]),
    "pr-03": (0, [(None, "team-unknown")]),
    "pr-04": (0, [(None, "team-unknown"), (69, "vram-below-weights")]),
    "pr-05": (0, [(None, "team-unknown")]),
    "pr-06": (1, [(None, "team-unknown"), (67, "table-header-changed"), (72, "readme-text-changed")]),
    "pr-07": (1, [(None, "team-unknown"), (69, "method-names-model"), (69, "cell-no-unit")]),
    "pr-08": (1, [(None, "team-unknown"), (69, "method-names-model"), (69, "cell-no-unit")]),
    "pr-09": (1, [(None, "team-unknown"), (15, "readme-text-changed")]),
    "pr-10": (0, [(None, "team-unknown")]),
    "pr-11": (0, [(None, "team-unknown")]),
    "pr-12": (0, [(None, "team-unknown")]),
    "pr-13": (1, [(None, "team-unknown"), (15, "readme-text-changed")]),
    "pr-14": (
        1,
        [(None, "team-unknown"), (1, "readme-text-changed")]
        + [(line, "cell-no-unit") for line in range(8, 14)],
    ),
    "pr-15": (0, [(None, "team-unknown")]),
    "pr-16": (1, [(None, "team-unknown"), (12, "readme-text-changed")]),
    "pr-17": (1, [(None, "team-unknown"), (12, "readme-text-changed")]),
    "pr-18": (1, [(None, "team-unknown"), (209, "readme-text-changed")]),
    "pr-19": (0, [(None, "team-unknown")]),
    "pr-20": (1, [(None, "team-unknown"), (209, "readme-text-changed")]),
}


def test_the_corpus_is_there() -> None:
    assert len(PRS) >= 19, f"expected the corpus at {CORPUS}"
    assert sorted(EXPECTED) == PRS


def course_diff(repo: Path, title: str, author: str | None) -> tuple[int, dict[str, object]]:
    args = [
        "diff",
        "--repo",
        str(repo),
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "--title",
        title,
        "--format",
        "json",
    ]
    result = CliRunner().invoke(main, args + (["--author", author] if author else []))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(result.output)


@pytest.mark.parametrize("name", PRS)
def test_every_pr_as_the_course_runs_it(tmp_path: Path, name: str) -> None:
    title, author = REPLAY.build(CORPUS / name, tmp_path / name)
    code, data = course_diff(tmp_path / name, title, author)
    assert course_diff(tmp_path / name, title, author) == (code, data)  # stable
    problems = data["problems"]
    assert isinstance(problems, list)
    assert (code, [(p["line"], p["code"]) for p in problems]) == EXPECTED[name]
    for problem in problems:
        true, why = REPLAY.VERDICTS[(name, problem["code"], problem["line"])]
        assert true, f"false alarm {problem['code']}: {why}"
    assert data["added"] or data["changed"] or data["removed"]  # every PR touched the table
    assert data["team_found_by"] == "none"  # the corpus names no author, and no title names a team


# --- the bare replay: README only, default settings ---------------------------------------------------


def replay(tmp_path: Path, name: str) -> tuple[Repo, str, str, str]:
    folder = CORPUS / name
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    repo = Repo(tmp_path / name)
    (repo.path / "README.md").write_bytes((folder / "base__README.md").read_bytes())
    base = repo.commit(message=f"{meta['base_branch']} at {meta['base_commit'][:12]}")
    (repo.path / "README.md").write_bytes((folder / "head__README.md").read_bytes())
    head = repo.commit(message=meta["subject"])
    return repo, base, head, meta["subject"]


def diff(repo: Repo, base: str, head: str, title: str | None) -> DiffReport:
    return diff_revisions(repo.path, base, head, title=title, readme="README.md", config=Config())


def codes(report: DiffReport) -> list[tuple[int | None, str]]:
    return [(p.line, p.code) for p in report.problems]


def test_pr04_claims_a_gpu_run_in_9_mb_of_vram(tmp_path: Path) -> None:
    repo, base, head, _ = replay(tmp_path, "pr-04")
    report = diff(repo, base, head, None)
    assert [r.model for r in report.removed] == ["your model name"]  # the template row, replaced
    assert [r.model for r in report.added] == ["google/vit-base-patch16-224-in21k"]
    problem = next(p for p in report.problems if p.code == "vram-below-weights")
    assert problem.line == 69
    assert problem.message == (
        "a GPU time is claimed (5.95 ms), but VRAM 9.32 MB < 0.9 × weights 327.32 MB = 294.59 MB: "
        "the weights alone do not fit"
    )


def test_pr04_title_reads_as_a_team_only_without_a_team_file(tmp_path: Path) -> None:
    # "Added HW1, all metrics and so on" matches `<team> HW-<n>`: team `Added`, which has no manifest.
    repo, base, head, title = replay(tmp_path, "pr-04")
    assert codes(diff(repo, base, head, title))[0] == (None, "manifest-missing")
    folder = CORPUS / "pr-04"
    course = Repo(tmp_path / "course")
    teams = '[teams.vit_team]\nfolder = "submissions/vit_team"\nmembers = ["vit-student"]\n'
    course.commit(
        {"README.md": (folder / "base__README.md").read_text(encoding="utf-8"), "teams.toml": teams}
    )
    course.commit({"README.md": (folder / "head__README.md").read_text(encoding="utf-8")})
    report = diff(course, "HEAD~1", "HEAD", title)
    assert (report.team, report.team_found_by) == (None, "none")  # `Added` is no team of teams.toml
    report = diff_revisions(
        course.path, "HEAD~1", "HEAD", title=title, author="Vit-Student", readme="README.md", config=Config()
    )
    assert (report.team, report.team_found_by) == ("vit_team", "author")


def test_pr10_adds_four_rows_to_a_branch_without_a_table(tmp_path: Path) -> None:
    repo, base, head, _ = replay(tmp_path, "pr-10")
    report = diff(repo, base, head, "team_6 HW-2")
    assert [(r.line, r.method) for r in report.added] == [
        (9, "Оригинал"),
        (10, "Quantized Float16"),
        (11, "Quantized INT8"),
        (12, "Pruning"),
    ]
    assert report.added[1].weights_size is not None
    assert report.added[1].weights_size.value == 665
    # The sizes fit FP16 ½ and INT8 ¼ of 1.33 GB; the heading above the new table is part of it.
    assert codes(report) == [(None, "manifest-missing")]
    suggestion = report.problems[0].suggestion or ""
    assert 'team = "team_6"' in suggestion
    assert suggestion.count("[[run]]") == 4


def test_pr06_replaced_the_header(tmp_path: Path) -> None:
    repo, base, head, _ = replay(tmp_path, "pr-06")
    assert (67, "table-header-changed") in codes(diff(repo, base, head, None))


def test_pr13_a_distilled_student_is_compared_with_its_teacher(tmp_path: Path) -> None:
    # efficientvit_b1 distilled from efficientvit_b3, whose original row stands in the table.
    repo, base, head, _ = replay(tmp_path, "pr-13")
    assert "no-original-row" not in {code for _, code in codes(diff(repo, base, head, None))}


def test_pr18_dynamic_int8_keeps_the_embeddings_in_floating_point(tmp_path: Path) -> None:
    # rubert-base-cased: 711 MB -> 455 MB under dynamic INT8 is honest (its vocabulary is 52% of it).
    repo, base, head, _ = replay(tmp_path, "pr-18")
    report = diff(repo, base, head, None)
    assert [r.weights_size.value for r in report.added if r.weights_size] == [711, 455, 213, 711]
    assert "size-contradicts-method" not in {code for _, code in codes(report)}


def test_pr07_writes_the_model_name_for_the_method(tmp_path: Path) -> None:
    repo, base, head, _ = replay(tmp_path, "pr-07")
    problem = next(p for p in diff(repo, base, head, None).problems if p.code == "method-names-model")
    assert (problem.line, problem.suggestion) == (69, "Оригинал")
    assert problem.message == (
        "the method cell `Whisper` names the model, not a compression method: an original (uncompressed) "
        "row's method is `Оригинал`"
    )
