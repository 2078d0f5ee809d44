"""Every real pull request of tests/data/corpus, replayed as a base and a head commit.

The base commit holds the base README (no manifest), the head commit the head README; the title is the
head commit's subject, as the PR had it. Each replay must give the same report twice and never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import CORPUS
from validator.cli import main
from validator.config import Config
from validator.diff import diff_revisions
from validator.model import DiffReport

from .gitrepo import Repo

PRS = sorted(path.name for path in CORPUS.glob("pr-*") if path.is_dir())


def test_the_corpus_is_there() -> None:
    assert len(PRS) >= 19, f"expected the corpus at {CORPUS}"


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


@pytest.mark.parametrize("name", PRS)
def test_every_pr_replays_to_a_stable_report(tmp_path: Path, name: str) -> None:
    repo, base, head, title = replay(tmp_path, name)
    first = diff(repo, base, head, title).model_dump_json()
    assert diff(repo, base, head, title).model_dump_json() == first
    result = CliRunner().invoke(
        main,
        [
            "diff",
            "--repo",
            str(repo.path),
            "--base",
            base,
            "--head",
            head,
            "--title",
            title,
            "--format",
            "json",
        ],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1)
    data = json.loads(result.output)
    assert (data["base"], data["head"]) == (base, head)
    assert data["added"] or data["changed"] or data["removed"]  # every PR touched the table
    # Real titles are not `<team> HW-<n>`, and no PR has a manifest: ownership is refused either way
    # (pr-04's "Added HW1, ..." reads as team `Added`, which has no manifest).
    assert {"title-no-team", "manifest-missing"} & {p["code"] for p in data["problems"]}


def codes(report: DiffReport) -> list[tuple[int | None, str]]:
    return [(p.line, p.code) for p in report.problems]


def test_pr04_claims_a_gpu_run_in_9_mb_of_vram(tmp_path: Path) -> None:
    repo, base, head, _ = replay(tmp_path, "pr-04")
    report = diff(repo, base, head, None)
    assert [r.model for r in report.removed] == ["your model name"]  # the template row, deleted
    assert [r.model for r in report.added] == ["google/vit-base-patch16-224-in21k"]
    problem = next(p for p in report.problems if p.code == "vram-below-weights")
    assert problem.line == 69
    assert problem.message == (
        "a GPU time is claimed (5.95 ms), but VRAM 9.32 MB < 0.9 × weights 327.32 MB = 294.59 MB: "
        "the weights alone do not fit"
    )


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
    assert codes(report) == [(None, "manifest-missing")]  # the sizes fit FP16 ½ and INT8 ¼ of 1.33 GB


def test_pr06_replaced_the_header(tmp_path: Path) -> None:
    repo, base, head, _ = replay(tmp_path, "pr-06")
    assert (67, "table-header-changed") in codes(diff(repo, base, head, None))


def test_pr13_distilled_into_another_model(tmp_path: Path) -> None:
    repo, base, head, _ = replay(tmp_path, "pr-13")
    assert (70, "no-original-row") in codes(diff(repo, base, head, None))


def test_pr18_int8_weights_are_not_a_quarter(tmp_path: Path) -> None:
    repo, base, head, _ = replay(tmp_path, "pr-18")
    report = diff(repo, base, head, None)
    problem = next(p for p in report.problems if p.code == "size-contradicts-method")
    assert problem.line == 278
    assert problem.params["expected"] == "177.75"
    assert problem.params["weights"] == "455"
