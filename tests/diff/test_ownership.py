"""Who the team is and what it owns: the team file, files outside the team's folder, one declaration per
(model, method), gradual adoption without manifests, and `validator manifest`. Real git throughout.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.manifest import parse_manifest
from validator.cli import main
from validator.config import Config, RulesConfig
from validator.diff import diff_revisions
from validator.model import DiffReport
from validator.problems import localized
from validator.teams import Teams, TeamsFileError, identify_team, parse_teams

from .gitrepo import BERT, BERT_INT8, TEMPLATE, VIT, Repo, manifest, readme

TEAMS = """\
[teams.ml_masters]
folder = "submissions/ml_masters"
members = ["alice", "Bob-2"]

[teams.vit_team]
folder = "submissions/vit_team"
members = ["carol"]

[teams.open_team]
folder = "submissions/open_team"
"""
EVENTS = Path(__file__).resolve().parents[1] / "github" / "events"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A course with a team file; its table holds the template row and vit_team's row."""
    course = Repo(tmp_path / "course")
    course.commit(
        {
            "README.md": readme(TEMPLATE, VIT),
            "teams.toml": TEAMS,
            "submissions/vit_team/bench.toml": manifest(
                "vit_team", [("google/vit-base-patch16-224-in21k", "Оригинал")]
            ),
            "submissions/vit_team/bench.py": "class Submission: ...\n",
            "course/lesson.py": "print('lesson')\n",
        },
        "lesson 1",
    )
    return course


def run(
    repo: Repo,
    *,
    author: str | None = None,
    title: str | None = None,
    config: Config | None = None,
    base: str = "HEAD~1",
) -> DiffReport:
    return diff_revisions(
        repo.path, base, "HEAD", title=title, author=author, readme="README.md", config=config or Config()
    )


def codes(report: DiffReport) -> list[str]:
    return [p.code for p in report.problems]


BERT_RUNS = [("dslim/bert-large-NER", "Оригинал")]
OWN_MANIFEST = {"submissions/ml_masters/bench.toml": manifest("ml_masters", BERT_RUNS)}


# --- the team file ----------------------------------------------------------------------------------


def test_the_team_file_is_parsed_and_checked() -> None:
    teams = parse_teams(TEAMS.encode(), "teams.toml")
    assert sorted(teams.teams) == ["ml_masters", "open_team", "vit_team"]
    assert teams.by_member("bob-2") is not None  # logins compare without case
    assert teams.owner_of("submissions/vit_team/data/x.jsonl") == teams.teams["vit_team"]
    assert teams.owner_of("submissions/vit_team2/x") is None


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("[teams.a]\nfolder = \n", "not valid TOML", 2),
        ('[teams.a]\nfolder = "x"\ncolour = 1\n', "teams.a.colour: Extra inputs are not permitted", 3),
        ('[teams.a]\nfolder = "../outside"\n', "must be a folder inside the course", 2),
        ('[teams.a]\nfolder = "a"\nmembers = ["not a login"]\n', "'not a login' is not a GitHub login", 3),
        ('[teams.a]\nfolder = "a"\nmembers = ["x"]\n[teams.b]\nfolder = "b"\nmembers = ["X"]\n', "both", 6),
        ('[teams.a]\nfolder = "s/a"\n\n[teams.b]\nfolder = "s/a/b"\n', "overlap", 5),
        ('team = "a"\n', "unknown key(s) ['team']", 1),
    ],
)
def test_a_broken_team_file_says_where(text: str, message: str, line: int) -> None:
    with pytest.raises(
        TeamsFileError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
    ) as caught:
        parse_teams(text.encode(), "teams.toml")
    assert caught.value.line == line


def test_identify_by_author_then_title() -> None:
    teams = parse_teams(TEAMS.encode(), "teams.toml")
    rules = RulesConfig()
    found = identify_team(author="ALICE", title="whatever", teams=teams, config=rules)
    assert (found.name, found.folder, found.found_by) == ("ml_masters", "submissions/ml_masters", "author")
    # A title cannot make its author a member of a team that lists its members...
    refused = identify_team(author="mallory", title="vit_team HW-1", teams=teams, config=rules)
    assert (refused.name, refused.found_by, refused.refused_title_team) == (None, "none", "vit_team")
    # ... but names a team that lists none, and any team on a local run without an author.
    assert identify_team(author="dave", title="open_team HW-2", teams=teams, config=rules).found_by == "title"
    assert identify_team(author=None, title="vit_team HW-1", teams=teams, config=rules).name == "vit_team"
    assert identify_team(author="dave", title="nobody HW-1", teams=teams, config=rules).found_by == "none"
    # Without a team file, the title alone names the team and its folder.
    alone = identify_team(author="dave", title="team-6 HW 2", teams=None, config=rules)
    assert (alone.name, alone.folder, alone.found_by) == ("team-6", "submissions/team-6", "title")
    assert identify_team(author=None, title=None, teams=Teams(), config=rules).found_by == "none"


def test_the_team_is_the_authors_and_the_report_says_how_it_was_found(repo: Repo) -> None:
    repo.commit({"README.md": readme(TEMPLATE, VIT, BERT), **OWN_MANIFEST})
    report = run(repo, author="alice", title="Добавил результаты замеров для команды 6")
    assert (report.team, report.team_found_by) == ("ml_masters", "author")
    assert report.problems == []
    data = json.loads(report.model_dump_json())
    assert (data["team"], data["team_found_by"]) == ("ml_masters", "author")


def test_the_team_file_is_read_from_the_base(repo: Repo) -> None:
    # Mallory adds herself to ml_masters in her own PR: the base's team file does not know her.
    repo.commit(
        {
            "README.md": readme(TEMPLATE, VIT, BERT),
            "teams.toml": TEAMS.replace('["alice", "Bob-2"]', '["alice", "Bob-2", "mallory"]'),
        }
    )
    report = run(repo, author="mallory")
    assert (report.team, report.team_found_by) == (None, "none")
    assert codes(report) == ["file-not-owned", "team-unknown"]
    assert report.problems[0].path == "teams.toml"
    assert report.problems[0].message == (
        "this pull request modifies teams.toml, a file that is not its own (the team is unknown, so only the "
        "files it adds are its own)"
    )
    assert report.problems[1].suggestion == (
        '[teams.<team>]\nfolder = "submissions/<team>"\nmembers = ["mallory"]'
    )


def test_a_broken_team_file_is_a_usage_error(repo: Repo) -> None:
    repo.commit({"teams.toml": "[teams.a]\nfolder = 1\n"}, "broken")
    repo.commit({"README.md": readme(TEMPLATE, VIT, BERT)})
    result = CliRunner().invoke(
        main, ["diff", "--repo", str(repo.path), "--base", "HEAD~1", "--head", "HEAD"]
    )
    assert result.exit_code == 2
    assert "teams.toml:2: teams.a.folder: Input should be a valid string" in result.output


# --- rows: ownership with or without a manifest -------------------------------------------------------


def test_removing_another_teams_row_without_any_manifest_is_an_error(repo: Repo) -> None:
    repo.commit({"README.md": readme(TEMPLATE, BERT)})  # vit_team's row deleted, no manifest of ours
    report = run(repo, author="alice", config=Config.model_validate({"rules": {"manifest_missing": "off"}}))
    assert codes(report) == ["row-removed-not-owned"]
    assert localized(report.problems[0], "ru") == (
        "удалена строка (google/vit-base-patch16-224-in21k, Оригинал) (строка 9 базовой версии), но она не "
        "добавлена этим pull request (у команды 'ml_masters' нет корректного манифеста "
        "submissions/ml_masters/bench.toml, поэтому её строки — только те, что она добавляет)"
    )


def test_with_no_team_known_changing_an_existing_row_is_an_error(repo: Repo) -> None:
    repo.commit({"README.md": readme(TEMPLATE, VIT.replace("285.25ms", "200ms"), BERT)})
    report = run(repo, author="mallory")
    assert codes(report) == ["team-unknown", "row-changed-not-owned"]
    assert report.problems[1].severity.value == "error"


# --- files --------------------------------------------------------------------------------------------


def test_files_in_the_teams_own_folder_are_its_own(repo: Repo) -> None:
    repo.commit(
        {
            "README.md": readme(TEMPLATE, VIT, BERT),
            **OWN_MANIFEST,
            "submissions/ml_masters/bench.py": "class Submission: ...\n",
            "submissions/ml_masters/data/eval.jsonl": "{}\n",
        }
    )
    assert run(repo, author="alice").problems == []


def test_files_of_another_team_or_of_the_course_are_not(repo: Repo) -> None:
    repo.write("submissions/vit_team/bench.py", "class Submission: 'hijacked'\n")
    repo.remove("course/lesson.py")
    repo.commit({"README.md": readme(TEMPLATE, VIT, BERT), **OWN_MANIFEST, "ner_pipe.ipynb": "{}\n"})
    report = run(repo, author="alice")
    assert [(p.code, p.path) for p in report.problems] == [
        ("file-not-owned", "course/lesson.py"),
        ("file-not-owned", "ner_pipe.ipynb"),
        ("file-not-owned", "submissions/vit_team/bench.py"),
    ]
    messages = [p.message for p in report.problems]
    assert messages[0] == (
        "this pull request deletes course/lesson.py, a course file outside the folder of team 'ml_masters' "
        "(submissions/ml_masters/)"
    )
    assert (
        messages[2] == "this pull request modifies submissions/vit_team/bench.py, a file of team 'vit_team'"
    )
    assert localized(report.problems[1], "ru") == (
        "этот pull request добавляет ner_pipe.ipynb — файл курса вне папки команды 'ml_masters' "
        "(submissions/ml_masters/)"
    )


def test_with_no_team_known_added_files_are_its_own_but_not_in_a_teams_folder(repo: Repo) -> None:
    repo.commit({"README.md": readme(TEMPLATE, VIT, BERT), "ner_pipe.ipynb": "{}\n"})
    assert codes(run(repo, author="mallory")) == ["team-unknown"]
    repo.commit({"submissions/vit_team/extra.py": "x = 1\n"})
    report = run(repo, author="mallory")
    assert codes(report) == ["file-not-owned", "team-unknown"]
    assert "a file of team 'vit_team' (this pull request's team is unknown)" in report.problems[0].message


def test_many_files_outside_the_folder_are_counted_not_listed(repo: Repo) -> None:
    repo.commit({f"junk/{n:02d}.txt": "x\n" for n in range(25)})
    report = run(repo, author="alice")
    assert codes(report) == ["file-not-owned"] * 21
    last = report.problems[-1]
    assert last.message == "this pull request changes 5 more files, outside its team's folder, as above"
    assert (
        localized(last, "ru")
        == "этот pull request изменяет ещё 5 файлов — вне папки своей команды, как и выше"
    )


# --- one declaration per (model, method) ----------------------------------------------------------------


def test_a_second_declaration_of_a_row_is_an_error_in_the_pr_that_adds_it(repo: Repo) -> None:
    vit = [("google/vit-base-patch16-224-in21k", "Оригинал")]
    repo.commit({"submissions/ml_masters/bench.toml": manifest("ml_masters", vit)})
    report = run(repo, author="alice")
    assert codes(report) == ["row-declared-twice"]
    problem = report.problems[0]
    assert (problem.path, problem.line) == ("submissions/ml_masters/bench.toml", 3)
    assert problem.message == (
        "(google/vit-base-patch16-224-in21k, Оригинал) is already declared by team 'vit_team' in "
        "submissions/vit_team/bench.toml: a (model, method) belongs to one team; name your own variant in "
        "the method cell"
    )
    # The next PR, which leaves both manifests alone, is not blamed for it.
    repo.commit({"submissions/ml_masters/notes.md": "notes\n"})
    assert run(repo, author="alice").problems == []


def test_declaring_another_teams_row_does_not_make_it_ones_own(repo: Repo) -> None:
    # The hijack: declare vit_team's row in one's own manifest, then rewrite its numbers.
    vit = [("google/vit-base-patch16-224-in21k", "Оригинал")]
    repo.commit(
        {
            "README.md": readme(TEMPLATE, VIT.replace("285.25ms", "28.5ms")),
            "submissions/ml_masters/bench.toml": manifest("ml_masters", vit),
        }
    )
    assert codes(run(repo, author="alice")) == ["row-declared-twice", "row-changed-not-owned"]


def test_declarations_without_a_team_file_are_found_in_the_submissions_folder(tmp_path: Path) -> None:
    course = Repo(tmp_path / "course")
    course.commit({"README.md": readme(BERT), "submissions/a/bench.toml": manifest("a", BERT_RUNS)})
    course.commit({"submissions/b/bench.toml": manifest("b", BERT_RUNS)})
    report = diff_revisions(
        course.path, "HEAD~1", "HEAD", title="b HW-1", readme="README.md", config=Config()
    )
    assert [(p.code, p.params["other"]) for p in report.problems] == [("row-declared-twice", "a")]


# --- gradual adoption: no manifest yet ------------------------------------------------------------------


def test_a_missing_manifest_is_what_the_course_says_and_the_report_shows_the_one_to_add(repo: Repo) -> None:
    repo.commit({"README.md": readme(TEMPLATE, VIT, BERT, BERT_INT8)})
    for setting, expected in (("error", ["error"]), ("warning", ["warning"]), ("off", [])):
        config = Config.model_validate({"rules": {"manifest_missing": setting}})
        report = run(repo, author="alice", config=config)
        assert [p.severity.value for p in report.problems] == expected
    report = run(repo, author="alice")
    (problem,) = report.problems
    assert (problem.code, problem.path) == ("manifest-missing", "submissions/ml_masters/bench.toml")
    template = problem.suggestion or ""
    declared = parse_manifest(template, Path("submissions/ml_masters/bench.toml"))
    assert declared.team == "ml_masters"
    assert [(r.model, r.method, r.task) for r in declared.runs] == [
        ("dslim/bert-large-NER", "Оригинал", "generic"),
        ("dslim/bert-large-NER", "Quantized INT8", "generic"),
    ]
    assert template == report.manifest_template


def test_the_manifest_key_has_one_place(repo: Repo) -> None:
    with pytest.raises(ValueError, match="set `manifest_missing` in \\[rules\\]"):
        Config.model_validate({"rules": {"severity": {"manifest-missing": "off"}}})


def test_the_template_guesses_the_task_from_the_quality_metrics(tmp_path: Path) -> None:
    course = Repo(tmp_path / "course")
    course.commit({"README.md": readme()})
    whisper = "| openai/whisper-small | Оригинал | 922 MB | 377 ms | 156 ms | 922 MB | 931 MB | 3.83% WER |"
    course.commit({"README.md": readme(whisper)})
    report = diff_revisions(
        course.path, "HEAD~1", "HEAD", title="w HW-1", readme="README.md", config=Config()
    )
    assert 'task = "speech-recognition"' in (report.manifest_template or "")


def manifest_cli(repo: Repo, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["manifest", "--repo", str(repo.path), "--base", "HEAD~1", "--head", "HEAD", *args]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_validator_manifest_prints_and_writes_the_template(repo: Repo) -> None:
    repo.commit({"README.md": readme(TEMPLATE, VIT, BERT)})
    code, output = manifest_cli(repo, "--author", "alice")
    assert code == 0
    assert output.startswith("# submissions/ml_masters/bench.toml\n")
    assert 'model = "dslim/bert-large-NER"' in output
    code, output = manifest_cli(repo, "--author", "alice", "--write")
    assert code == 0
    written = repo.path / "submissions" / "ml_masters" / "bench.toml"
    assert parse_manifest(written.read_text(encoding="utf-8"), written).runs[0].method == "Оригинал"
    code, output = manifest_cli(repo, "--author", "alice", "--write")
    assert code == 2
    assert "exists already" in output
    code, output = manifest_cli(repo, "--team", "open_team")
    assert output.startswith("# submissions/open_team/bench.toml\n")


def test_validator_manifest_needs_a_team_and_rows(repo: Repo) -> None:
    repo.commit({"README.md": readme(TEMPLATE, VIT, BERT)})
    code, output = manifest_cli(repo, "--author", "mallory")
    assert code == 2
    assert "the team is unknown: pass --author" in output
    code, output = manifest_cli(repo, "--team", "../escape")
    assert code == 2
    repo.commit({"notes.txt": "x\n"})
    code, output = manifest_cli(repo, "--author", "alice")
    assert code == 2
    assert "nothing to declare" in output


# --- ci passes the event's author ---------------------------------------------------------------------


def test_ci_diff_finds_the_team_by_the_events_author(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = repo.git("rev-parse", "HEAD")
    head = repo.commit({"README.md": readme(TEMPLATE, VIT, BERT), **OWN_MANIFEST})
    event = json.loads((EVENTS / "synchronize_fork.json").read_text(encoding="utf-8"))
    event["pull_request"]["base"]["sha"], event["pull_request"]["head"]["sha"] = base, head
    event["pull_request"]["title"] = "Добавил результаты"
    path = tmp_path / "event.json"
    monkeypatch.chdir(repo.path)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output.txt"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    for login, code, expected in (
        ("Alice", 0, []),
        # Not in the team file: its team is unknown, and ml_masters' folder is not its to write.
        ("student-anna", 1, ["::warning file=README.md,title=team-unknown::", "title=file-not-owned::"]),
    ):
        event["pull_request"]["user"]["login"] = login
        path.write_text(json.dumps(event), encoding="utf-8")
        result = CliRunner().invoke(main, ["ci", "--mode", "diff", "--event", str(path)])
        assert result.exit_code == code, result.output
        assert [a for a in expected if a not in result.output] == []
        assert result.output.count("::") == 2 * len(expected)


def test_the_pr_comment_shows_the_manifest_to_add_whole(repo: Repo) -> None:
    from validator.model import VerifyReport
    from validator.reporters.verify import render_markdown

    repo.commit({"README.md": readme(TEMPLATE, VIT, BERT)})
    (problem,) = run(repo, author="alice").problems
    markdown = render_markdown(VerifyReport(verdict="fail", problems=[problem]))
    assert "`manifest-missing` submissions/ml\\_masters/bench\\.toml:" in markdown
    assert "  ```text\n  # The rows this team adds" in markdown
    assert '\n  team = "ml_masters"\n' in markdown
