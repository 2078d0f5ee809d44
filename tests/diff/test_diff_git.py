"""`validator diff` on throwaway git repositories: ownership both ways, shallow clones, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from validator.cli import main
from validator.config import Config
from validator.diff import diff_revisions
from validator.git import CannotReadRevision, NotAGitRepository, RevisionIsMissing, read_blob, resolve
from validator.model import DiffReport

from .gitrepo import BERT, BERT_INT8, HEADER, TEMPLATE, VIT, Repo, manifest, readme

TEAM = "ml_masters"
MANIFEST = f"submissions/{TEAM}/bench.toml"
TITLE = f"{TEAM} HW-2"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A course repository whose base commit holds the template row and team2's ViT row."""
    course = Repo(tmp_path / "course")
    course.commit({"README.md": readme(TEMPLATE, VIT)}, "lesson 1")
    return course


def run_diff(
    repo: Repo, *, title: str | None = TITLE, base: str = "HEAD~1", head: str = "HEAD"
) -> DiffReport:
    return diff_revisions(repo.path, base, head, title=title, readme="README.md", config=Config())


def codes(report: DiffReport) -> list[str]:
    return [p.code for p in report.problems]


def pr(repo: Repo, rows: tuple[str, ...], runs: list[tuple[str, str]] | None) -> None:
    files = {"README.md": readme(*rows)}
    if runs is not None:
        files[MANIFEST] = manifest(TEAM, runs)
    repo.commit(files, TITLE)


# --- ownership, allowed -----------------------------------------------------------------------------


def test_adding_declared_rows_is_allowed(repo: Repo) -> None:
    pr(
        repo,
        (TEMPLATE, VIT, BERT, BERT_INT8),
        [("dslim/bert-large-NER", "Оригинал"), ("dslim/bert-large-NER", "Quantized INT8")],
    )
    report = run_diff(repo)
    assert report.team == TEAM
    assert [r.line for r in report.added] == [10, 11]
    assert report.problems == []
    assert report.head == repo.git("rev-parse", "HEAD")
    assert report.head_table is not None
    assert [r.line for r in report.head_table.rows] == [8, 9, 10, 11]  # for verify; not in the JSON
    assert "head_table" not in report.model_dump()
    assert len(report.base or "") == 40


def test_changing_and_removing_own_rows_is_allowed(repo: Repo) -> None:
    runs = [("dslim/bert-large-NER", "Оригинал"), ("dslim/bert-large-NER", "Quantized INT8")]
    pr(repo, (TEMPLATE, VIT, BERT, BERT_INT8), runs)
    pr(repo, (TEMPLATE, VIT, BERT.replace("2.7Gb", "2.8Gb")), runs)
    report = run_diff(repo)
    assert [c.fields for c in report.changed] == [["ram"]]
    assert [r.method for r in report.removed] == ["Quantized INT8"]
    assert report.problems == []


# --- ownership, refused -----------------------------------------------------------------------------


def test_adding_an_undeclared_row_is_refused(repo: Repo) -> None:
    pr(repo, (TEMPLATE, VIT, BERT, BERT_INT8), [("dslim/bert-large-NER", "Оригинал")])
    report = run_diff(repo)
    assert codes(report) == ["row-not-declared"]
    (problem,) = report.problems
    assert (problem.line, problem.column) == (11, 3)
    assert problem.message == (
        "row (dslim/bert-large-NER, Quantized INT8) is added, "
        f"but team '{TEAM}' does not declare it in {MANIFEST}"
    )


def test_changing_another_teams_row_is_refused(repo: Repo) -> None:
    pr(repo, (TEMPLATE, VIT.replace("203.06Mb", "250Mb"), BERT), [("dslim/bert-large-NER", "Оригинал")])
    report = run_diff(repo)
    assert codes(report) == ["row-changed-not-owned"]
    assert report.problems[0].line == 9
    assert report.changed[0].fields == ["ram"]


def test_reformatting_another_teams_row_is_a_warning(repo: Repo) -> None:
    pr(repo, (TEMPLATE, VIT.replace("344.13Mb", "344.13 MB"), BERT), [("dslim/bert-large-NER", "Оригинал")])
    report = run_diff(repo)
    assert [(p.code, p.severity.value) for p in report.problems] == [("row-reformatted-not-owned", "warning")]
    assert report.changed[0].format_only
    assert report.changed[0].fields == ["vram"]


def test_removing_another_teams_row_is_refused(repo: Repo) -> None:
    pr(repo, (TEMPLATE, BERT), [("dslim/bert-large-NER", "Оригинал")])  # team2's ViT row deleted
    report = run_diff(repo)
    assert codes(report) == ["row-removed-not-owned"]
    assert report.problems[0].params["base_line"] == "9"
    assert report.problems[0].line == 6  # the head table's header line
    assert report.problems[0].message == (
        "row (google/vit-base-patch16-224-in21k, Оригинал) (line 9 of the base) was removed, but it is not "
        f"declared by team '{TEAM}' in {MANIFEST}"
    )


def test_replacing_the_course_template_row_is_allowed(repo: Repo) -> None:
    # pr-02 ... pr-08 all wrote their row over `| your model name | Оригинал | --Mb | ...`.
    pr(repo, (BERT, VIT), [("dslim/bert-large-NER", "Оригинал")])
    report = run_diff(repo)
    assert [r.model for r in report.removed] == ["your model name"]
    assert report.problems == []


def test_changing_the_header_is_refused(repo: Repo) -> None:
    renamed = HEADER.replace("Размер весов", "Model size")
    repo.commit({"README.md": readme(TEMPLATE, VIT, header=renamed), MANIFEST: manifest(TEAM, [("x", "y")])})
    report = run_diff(repo)
    assert codes(report) == ["table-header-changed"]
    assert "Model size" in report.problems[0].message


def test_removing_the_table_is_refused(repo: Repo) -> None:
    repo.commit({"README.md": "# Course\n\nThe table is gone.\n", MANIFEST: manifest(TEAM, [("x", "y")])})
    report = run_diff(repo)
    assert "table-removed" in codes(report)
    assert report.removed
    assert report.added == []


def test_without_a_team_the_pr_owns_the_rows_it_adds(repo: Repo) -> None:
    pr(repo, (TEMPLATE, VIT, BERT), None)
    for title in ("Added evaluation code", None):
        report = run_diff(repo, title=title)
        assert [(p.code, p.severity.value) for p in report.problems] == [("team-unknown", "warning")]
        assert (report.team, report.team_found_by) == (None, "none")
    message = run_diff(repo, title="Added evaluation code").problems[0].message
    assert "the title 'Added evaluation code' does not name a team" in message
    pr(repo, (TEMPLATE, VIT.replace("203.06Mb", "250Mb"), BERT), None)
    report = run_diff(repo, title=None)
    assert codes(report) == ["team-unknown", "row-changed-not-owned"]
    assert report.problems[1].message == (
        "row (google/vit-base-patch16-224-in21k, Оригинал) is not one this pull request adds (the team is "
        "unknown, so only the rows it adds are its own), but its ram changed"
    )


def test_a_missing_manifest_stops_no_ownership_check(repo: Repo) -> None:
    # The cohort's worst case: a PR without a manifest deleted another team's row and nothing was said.
    pr(repo, (TEMPLATE, BERT), None)
    report = run_diff(repo)
    assert codes(report) == ["manifest-missing", "row-removed-not-owned"]
    assert [p.severity.value for p in report.problems] == ["error", "error"]
    assert "team 'ml_masters' has no valid manifest" in report.problems[1].message


def test_a_cyrillic_team_name_finds_its_manifest(repo: Repo) -> None:
    repo.commit(
        {
            "README.md": readme(TEMPLATE, VIT, BERT),
            "submissions/Сжиматели/bench.toml": manifest("Сжиматели", [("dslim/bert-large-NER", "Оригинал")]),
        }
    )
    report = run_diff(repo, title="Сжиматели HW-1")
    assert report.team == "Сжиматели"
    assert report.problems == []


def test_a_missing_invalid_or_mismatched_manifest_is_refused(repo: Repo) -> None:
    pr(repo, (TEMPLATE, VIT, BERT), None)
    (missing,) = run_diff(repo).problems
    assert (missing.code, missing.path) == ("manifest-missing", MANIFEST)
    repo.commit(
        {MANIFEST: 'team = "ml_masters"\n\n[[run]]\nmodel = "m"\nmethod = "x"\nentry = "bench"\ndata = "d"\n'}
    )
    (invalid,) = run_diff(repo, base="HEAD~2").problems
    assert (invalid.code, invalid.path, invalid.line) == ("manifest-invalid", MANIFEST, 6)
    repo.commit({MANIFEST: manifest("someone_else", [("dslim/bert-large-NER", "Оригинал")])})
    assert codes(run_diff(repo, base="HEAD~3")) == ["manifest-team-mismatch"]


def test_head_check_problems_and_plausibility_come_with_the_diff(repo: Repo) -> None:
    pr04 = VIT.replace("google/vit-base-patch16-224-in21k", "team3/vit").replace("344.13Mb", "9.32Mb")
    pr(repo, (TEMPLATE, VIT, pr04.replace("327.32Mb", "327.32")), [("team3/vit", "Оригинал")])
    assert codes(run_diff(repo)) == ["cell-no-unit"]  # a size without a unit is no number to judge
    pr(repo, (TEMPLATE, VIT, pr04), [("team3/vit", "Оригинал")])
    assert codes(run_diff(repo)) == ["vram-below-weights"]


# --- git boundary -----------------------------------------------------------------------------------


def test_the_checkout_is_never_switched(repo: Repo) -> None:
    pr(repo, (TEMPLATE, VIT, BERT), [("dslim/bert-large-NER", "Оригинал")])
    (repo.path / "README.md").write_text("uncommitted garbage\n", encoding="utf-8")
    before = repo.git("status", "--porcelain"), repo.git("rev-parse", "HEAD")
    report = run_diff(repo)
    assert [r.model for r in report.added] == ["dslim/bert-large-NER"]
    assert (repo.git("status", "--porcelain"), repo.git("rev-parse", "HEAD")) == before


def test_a_shallow_clone_with_both_commits_is_enough(tmp_path: Path) -> None:
    origin = Repo(tmp_path / "origin")
    base = origin.commit({"README.md": readme(TEMPLATE)}, "lesson 1")
    middle = origin.commit({"README.md": readme(TEMPLATE, VIT)}, "team2")
    head = origin.commit(
        {
            "README.md": readme(TEMPLATE, VIT, BERT),
            MANIFEST: manifest(TEAM, [("dslim/bert-large-NER", "Оригинал")]),
        },
        TITLE,
    )
    origin.git("config", "uploadpack.allowReachableSHA1InWant", "true")
    clone = Repo(tmp_path / "clone", init=False)
    Repo(tmp_path).git("clone", "-q", "--depth", "1", f"file://{origin.path}", "clone")
    assert clone.git("rev-parse", "--is-shallow-repository") == "true"
    with pytest.raises(RevisionIsMissing, match="shallow clone"):
        resolve(clone.path, base)
    clone.git("fetch", "-q", "--depth", "1", "origin", base)
    with pytest.raises(RevisionIsMissing):
        resolve(clone.path, middle)  # no history between the two: only both ends are here
    report = diff_revisions(clone.path, base, head, title=TITLE, readme="README.md", config=Config())
    assert [r.model for r in report.added] == ["google/vit-base-patch16-224-in21k", "dslim/bert-large-NER"]
    assert codes(report) == ["row-not-declared"]  # team2's row arrives with the head: not ml_masters'


def test_git_errors_are_one_family(tmp_path: Path, repo: Repo) -> None:
    with pytest.raises(NotAGitRepository):
        resolve(tmp_path, "HEAD")
    with pytest.raises(RevisionIsMissing):
        resolve(repo.path, "--output=/tmp/x")
    with pytest.raises(CannotReadRevision):
        read_blob(repo.path, resolve(repo.path, "HEAD"), "../outside")
    assert read_blob(repo.path, resolve(repo.path, "HEAD"), "no/such/file") is None
    assert read_blob(repo.path, resolve(repo.path, "HEAD"), "README.md") == readme(TEMPLATE, VIT).encode()


# --- CLI ----------------------------------------------------------------------------------------------


def cli(repo: Repo, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["diff", "--repo", str(repo.path), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_cli_json_is_the_contract_and_exit_codes_follow_errors(repo: Repo) -> None:
    pr(repo, (TEMPLATE, VIT, BERT, BERT_INT8), [("dslim/bert-large-NER", "Оригинал")])
    code, output = cli(repo, "--base", "HEAD~1", "--head", "HEAD", "--title", TITLE, "--format", "json")
    data = json.loads(output)
    assert code == 1
    assert list(data) == [
        "schema_version",
        "base",
        "head",
        "team",
        "team_found_by",
        "added",
        "changed",
        "removed",
        "problems",
    ]
    assert data["team_found_by"] == "title"
    assert data["team"] == TEAM
    assert len(data["added"]) == 2
    assert (
        data["added"][0]["source"]["weights_size"]["text"] == "1.33Gb"
    )  # rows as `validator check` has them
    assert data["problems"][0]["code"] == "row-not-declared"
    code, output = cli(repo, "--base", "HEAD~1", "--head", "HEAD", "--format", "github")
    assert code == 0
    assert output.startswith("::warning file=README.md,title=team-unknown::")
    code, output = cli(repo, "--base", "HEAD~1", "--head", "HEAD", "--title", TITLE, "--lang", "ru")
    assert output.startswith("команда: ml_masters (по заголовку pull request)\n")
    assert "добавлены 2 строки, изменено 0 строк (только запись: 0), удалено 0 строк;" in output
    assert "README.md:10: добавлена (dslim/bert-large-NER, Оригинал)" in output
    assert "не объявляет её" in output


def test_cli_reports_io_errors_with_exit_2(repo: Repo, tmp_path: Path) -> None:
    code, output = cli(repo, "--base", "no-such-branch", "--head", "HEAD")
    assert code == 2
    assert "no commit 'no-such-branch'" in output
    result = CliRunner().invoke(main, ["diff", "--repo", str(tmp_path), "--base", "a", "--head", "b"])
    assert result.exit_code == 2
    assert "not a git repository" in result.output


def test_settings_are_read_from_the_base_revision(repo: Repo) -> None:
    relax = '[rules.severity]\n"row-not-declared" = "off"\n'
    repo.commit({"validator.toml": '[rules.severity]\n"row-not-declared" = "warning"\n'}, "course settings")
    pr(repo, (TEMPLATE, VIT, BERT), [])  # an empty manifest is invalid: no runs
    repo.commit({MANIFEST: manifest(TEAM, [("x", "y")]), "validator.toml": relax})
    code, output = cli(repo, "--base", "HEAD~2", "--head", "HEAD", "--title", TITLE)
    assert "warning [row-not-declared]" in output  # the base's setting, not the PR's `off`
    assert "validator.toml: error [file-not-owned] this pull request modifies validator.toml" in output
    assert code == 1
    repo.commit({"validator.toml": "[rules]\nno_such_key = 1\n"})
    code, output = cli(repo, "--base", "HEAD", "--head", "HEAD")
    assert code == 2
    assert "no_such_key" in output


def test_a_pr_that_leaves_the_table_alone_needs_no_manifest(repo: Repo) -> None:
    repo.commit({f"submissions/{TEAM}/notebook.py": "print(1)\n"})
    assert run_diff(repo).problems == []
    assert codes(run_diff(repo, title=None)) == ["team-unknown"]  # a file it adds is its own
    (problem,) = run_diff(repo, title="x" * 500).problems
    assert problem.code == "team-unknown"
    assert f"the title '{'x' * 120}…' does not name a team" in problem.message


def test_a_readme_missing_on_both_sides_is_an_io_error(repo: Repo) -> None:
    repo.commit({"notebook.py": "print(1)\n"})
    with pytest.raises(CannotReadRevision, match=r"docs/TABLE\.md exists neither"):
        diff_revisions(repo.path, "HEAD~1", "HEAD", title=None, readme="docs/TABLE.md", config=Config())
    code, output = cli(repo, "--base", "HEAD~1", "--head", "HEAD", "--readme", "docs/TABLE.md")
    assert code == 2
    assert "exists neither" in output
