"""Judge only what the pull request did to the README: its text, its tables (every one), its removal, and
results written into another Markdown file. Plus the hints a student acts on, and the example course's
honest INT8 row.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.config import Config
from validator.diff import diff_markdown, diff_revisions, judge
from validator.model import DiffReport
from validator.plural import ROW, plural_ru
from validator.problems import localized
from validator.rules import PullRequest
from validator.teams import TeamIdentity

from .gitrepo import BERT, BERT_INT8, HEADER, TEMPLATE, VIT, Repo, manifest, readme

ROOT = Path(__file__).resolve().parents[2]
TEAM = TeamIdentity("ml_masters", "submissions/ml_masters", "title")
BERT_RUNS = [("dslim/bert-large-NER", "Оригинал"), ("dslim/bert-large-NER", "Quantized INT8")]
OWN = {"submissions/ml_masters/bench.toml": manifest("ml_masters", BERT_RUNS)}


def run(repo: Repo, title: str | None = "ml_masters HW-1", readme_path: str = "README.md") -> DiffReport:
    return diff_revisions(repo.path, "HEAD~1", "HEAD", title=title, readme=readme_path, config=Config())


def codes(report: DiffReport) -> list[tuple[int | None, str]]:
    return [(p.line, p.code) for p in report.problems]


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    course = Repo(tmp_path / "course")
    course.commit({"README.md": readme(TEMPLATE, VIT)}, "lesson 1")
    return course


# --- the README's text and tables --------------------------------------------------------------------


def test_a_pr_that_leaves_the_readme_alone_is_not_blamed_for_it(tmp_path: Path) -> None:
    # A lesson whose README has no table, and one whose README has a broken row: neither is this PR's doing.
    course = Repo(tmp_path / "course")
    course.commit({"README.md": "# Lesson 5\n\nNo table in this lesson.\n"})
    course.commit({"submissions/ml_masters/notes.py": "x = 1\n"})
    assert run(course).problems == []  # no table-missing
    course.commit({"README.md": readme(TEMPLATE, VIT.replace("327.32Mb", "327.32"))})
    course.commit({"submissions/ml_masters/notes.py": "x = 2\n"})
    assert run(course).problems == []  # no cell-no-unit for another team's row


def test_reading_problems_of_rows_the_pr_did_not_touch_are_not_its(repo: Repo) -> None:
    repo.commit({"README.md": readme(TEMPLATE, VIT.replace("327.32Mb", "327.32"))}, "a broken row, long ago")
    repo.commit(
        {
            "README.md": readme(TEMPLATE, VIT.replace("327.32Mb", "327.32"), BERT.replace("1.33Gb", "1.33")),
            **OWN,
        }
    )
    assert codes(run(repo)) == [(10, "cell-no-unit")]  # BERT's, not the ViT row's at line 9


def test_the_course_text_outside_the_table_is_not_the_teams(repo: Repo) -> None:
    text = readme(TEMPLATE, VIT, BERT).replace("Some text.", "Some text, improved by a student.")
    repo.commit(
        {"README.md": text.replace("The end.\n", "The end.\n\nOur team's notes.\nMore notes.\n"), **OWN}
    )
    report = run(repo)
    assert codes(report) == [(3, "readme-text-changed")]
    assert report.problems[0].message == (
        "the course's text in README.md changed outside the comparison table (1 line removed, 3 lines added, "
        "the first at line 3); a team adds or edits only its rows of the table"
    )
    assert localized(report.problems[0], "ru").startswith(
        "текст курса в README.md изменён вне сравнительной таблицы (удалена 1 строка, добавлены 3 строки,"
    )


def test_a_new_table_with_its_heading_is_not_course_text(tmp_path: Path) -> None:
    # pr-10's shape: the lesson branch has no table; the PR adds the heading and the table under it.
    course = Repo(tmp_path / "course")
    course.commit({"README.md": "# Course\n\nSome text.\n\nThe end.\n"})
    course.commit({"README.md": readme(BERT, BERT_INT8), **OWN})
    report = run(course)
    assert report.problems == []
    assert [r.line for r in report.added] == [8, 9]


def test_removing_the_readme_or_its_table_is_an_error(repo: Repo) -> None:
    repo.remove("README.md")
    repo.commit({"results.md": readme(BERT), **OWN})
    report = run(repo)
    assert (None, "readme-removed") in codes(report)
    assert "table-missing" not in {code for _, code in codes(report)}
    repo.commit({"README.md": readme(TEMPLATE, VIT)}, "restored")
    repo.commit({"README.md": "# Course\n\nSome text.\n\nThe end.\n"})
    assert {code for _, code in codes(run(repo))} >= {"table-removed", "row-removed-not-owned"}
    assert "table-missing" not in {code for _, code in codes(run(repo))}


def test_every_comparison_table_of_the_file_is_diffed(tmp_path: Path) -> None:
    second = "### Quantization\n\n" + HEADER + "\n" + BERT + "\n"
    course = Repo(tmp_path / "course")
    course.commit({"README.md": readme(TEMPLATE, VIT) + "\n" + second})
    course.commit({"README.md": readme(TEMPLATE, VIT) + "\n" + second + BERT_INT8 + "\n", **OWN})
    report = run(course)
    assert [(r.line, r.method) for r in report.added] == [(18, "Quantized INT8")]
    assert report.problems == []
    course.commit(
        {
            "README.md": readme(TEMPLATE, VIT)
            + "\n"
            + second.replace("Размер весов", "Size")
            + BERT_INT8
            + "\n"
        }
    )
    assert (15, "table-header-changed") in codes(run(course))
    course.commit({"README.md": readme(TEMPLATE, VIT)})
    assert [code for _, code in codes(run(course))][:1] == ["table-removed"]


# --- results written into another Markdown file ------------------------------------------------------


def test_results_in_another_markdown_file_say_where_the_course_table_is(repo: Repo) -> None:
    repo.commit({"submissions/ml_masters/results.md": readme(BERT, BERT_INT8), **OWN})
    report = run(repo)
    assert [(p.code, p.path, p.line) for p in report.problems] == [
        ("results-outside-readme", "submissions/ml_masters/results.md", 6)
    ]
    problem = report.problems[0]
    assert problem.severity.value == "warning"
    assert problem.message == (
        "submissions/ml_masters/results.md holds 2 rows of a comparison table (line 6), but the course's "
        "table is in README.md (line 6), and only that one is read: move the rows there"
    )
    assert localized(problem, "ru") == (
        "в submissions/ml_masters/results.md 2 строки сравнительной таблицы (строка 6), но таблица курса — "
        "в README.md (строка 6), и читается только она: перенесите строки туда"
    )


def test_results_outside_are_read_and_judged_too(tmp_path: Path) -> None:
    course = Repo(tmp_path / "course")
    course.commit({"README.md": "# Lesson 5\n\nNo table yet.\n"})
    pr04 = VIT.replace("344.13Mb", "9.32Mb")
    course.commit({"hw5/README.md": readme(pr04)})
    report = run(course, title=None)
    found = {(p.code, p.path) for p in report.problems}
    assert ("vram-below-weights", "hw5/README.md") in found
    assert ("results-outside-readme", "hw5/README.md") in found
    problem = next(p for p in report.problems if p.code == "results-outside-readme")
    assert "the course's table is in README.md, which has none yet at this revision" in problem.message


# --- hints ------------------------------------------------------------------------------------------


def test_a_near_miss_of_a_declared_row_suggests_it(repo: Repo) -> None:
    typo = BERT.replace("dslim/bert-large-NER", "dslim/bert-larg-NER")
    repo.commit({"README.md": readme(TEMPLATE, VIT, typo), **OWN})
    (problem,) = run(repo).problems
    assert (problem.code, problem.suggestion) == ("row-not-declared", "dslim/bert-large-NER")
    method = BERT_INT8.replace("Quantized INT8", "Quantised INT8")
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.commit({"README.md": readme(TEMPLATE, VIT, BERT, method), **OWN})
    (problem,) = run(repo).problems
    assert (problem.code, problem.suggestion) == ("row-not-declared", "Quantized INT8")


def test_a_compressed_row_near_an_original_suggests_its_model(repo: Repo) -> None:
    int8 = BERT_INT8.replace("dslim/bert-large-NER", "dslim/bert-large-ner-v1")
    repo.commit({"README.md": readme(TEMPLATE, VIT, BERT, int8)})
    report = run(repo, title=None)
    problem = next(p for p in report.problems if p.code == "no-original-row")
    assert problem.suggestion == "dslim/bert-large-NER"


# --- plural forms -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (0, "строк"),
        (1, "строка"),
        (2, "строки"),
        (4, "строки"),
        (5, "строк"),
        (11, "строк"),
        (12, "строк"),
        (14, "строк"),
        (21, "строка"),
        (22, "строки"),
        (25, "строк"),
        (101, "строка"),
        (111, "строк"),
        (112, "строк"),
        (122, "строки"),
    ],
)
def test_russian_plural_forms(n: int, word: str) -> None:
    assert plural_ru(n, ("строка", "строки", "строк")) == word
    assert ROW.count(n, "ru") == f"{n} {word}"
    assert ROW.count(n) == f"{n} {'row' if n == 1 else 'rows'}"


# --- the example course's honest INT8 row -------------------------------------------------------------


def test_the_example_courses_int8_row_is_plausible() -> None:
    # gpt2-tiny: 2.14 MB -> 1.14 MB under dynamic INT8. Its embeddings (1024 × 128 tokens, 256 × 128
    # positions; the LM head is tied to them) stay in floating point: ¼ of the original would be 0.54 MB.
    text = (ROOT / "examples" / "course" / "README.md").read_bytes()
    lines = text.decode("utf-8").splitlines(keepends=True)
    base = "".join(line for line in lines if "INT8 (dynamic quantization)" not in line).encode()
    diff, reading = diff_markdown("README.md", base, text, Config())
    (row,) = diff.added
    assert (row.method, row.weights_size.value if row.weights_size else None) == (
        "INT8 (dynamic quantization)",
        1.14,
    )
    pr = PullRequest(team=TEAM, manifest=None)
    assert [p.code for p in judge(diff, reading, pr, Config()) if p.code != "manifest-missing"] == []
    # Were every weight quantized (no floating-point share), 1.14 MB would contradict INT8.
    strict = Config.model_validate({"rules": {"float_fraction_max": 0}})
    problems = [p for p in judge(diff, reading, pr, strict) if p.code == "size-contradicts-method"]
    assert [p.params["weights"] for p in problems] == ["1.14"]
