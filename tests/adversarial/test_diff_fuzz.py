"""The diff and its rules on generated README pairs: never raises, problems well-formed, deterministic.

In memory (`check_bytes` -> `diff_tables` -> `apply_rules`) for many pairs, and through real git
(`diff_revisions`) for a few, which must agree with the in-memory result.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.manifest import Manifest, ManifestError, parse_manifest
from tests.diff.gitrepo import Repo
from validator.check import check_bytes
from validator.config import Config
from validator.diff import diff_markdown, diff_revisions, diff_tables, judge
from validator.model import Problem, Severity
from validator.problems import REGISTRY, localized
from validator.rules import ChangedFile, PullRequest
from validator.teams import identify_team

from . import strategies as gen

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GIT = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONFIG = Config()

TITLES = st.sampled_from(
    [None, "team-a HW-1", "team-a HW 2: int8", "", "<img src=x> HW-1", "a" * 300, "HW-1", "\x00 HW-1"]
)
MANIFEST_TEXT = (
    'team = "team-a"\n[[run]]\nmodel = "{model}"\nmethod = "{method}"\nentry = "b.py:S"\ndata = "d.jsonl"\n'
)


def _manifest(base: gen.TableSpec, choice: int) -> Manifest | ManifestError | None:
    """No manifest, a broken one, or one that declares the first row of the base."""
    if choice == 0:
        return None
    if choice == 1:
        return ManifestError(Path("submissions/team-a/bench.toml"), "not valid TOML", 1, 1)
    model, method = base.rows[0].cells[:2] if base.rows else ("m", "x")
    text = MANIFEST_TEXT.format(model=model.replace('"', "'"), method=method.replace('"', "'"))
    try:
        return parse_manifest(text, Path("submissions/team-a/bench.toml"))
    except ManifestError as exc:
        return exc


def _diff(
    base: bytes, head: bytes, title: str | None, manifest: Manifest | ManifestError | None
) -> list[Problem]:
    readme, reading = diff_markdown("README.md", base, head, CONFIG)
    for table in readme.tables:
        head_rows = table.head_table.rows if table.head_table else []
        base_rows = table.base_table.rows if table.base_table else []
        # Every row is accounted for: head = added + paired, base = removed + paired.
        paired = len(head_rows) - len(table.added)
        assert paired >= 0
        assert len(base_rows) - len(table.removed) == paired
        assert len(table.changed) <= paired
    team = identify_team(author=None, title=title, teams=None, config=CONFIG.rules)
    # As git lists it: the README is a changed file whenever its bytes differ.
    files = (ChangedFile("M", "README.md"),) if base != head else ()
    pr = PullRequest(team=team, title=title, manifest=manifest if team.known else None, files=files)
    return judge(readme, reading, pr, CONFIG)


def assert_well_formed(problems: list[Problem], head: bytes) -> None:
    # CR, LF and CRLF each end a line, as markdown-it and the reader count them.
    lines = len(re.split(rb"\r\n|\r|\n", head)) + 1
    for problem in problems:
        assert problem.code in REGISTRY, problem.code
        assert isinstance(problem.severity, Severity)
        assert problem.message.strip()
        assert localized(problem, "ru").strip()
        assert problem.line is None or 1 <= problem.line <= lines, problem
        assert problem.column is None or problem.column >= 1, problem


@FAST
@given(gen.readme_pairs(), TITLES, st.integers(0, 2))
def test_generated_pairs(pair: tuple[gen.TableSpec, gen.TableSpec], title: str | None, choice: int) -> None:
    base, head = (spec.markdown.encode() for spec in pair)
    manifest = _manifest(pair[0], choice)
    problems = _diff(base, head, title, manifest)
    assert_well_formed(problems, head)
    assert _diff(base, head, title, manifest) == problems  # deterministic


@FAST
@given(gen.readme_pairs())
def test_a_table_against_itself_changes_nothing(pair: tuple[gen.TableSpec, gen.TableSpec]) -> None:
    data = pair[0].markdown.encode()
    report = check_bytes(data, "README.md", CONFIG)
    diff = diff_tables(report, report)
    assert not diff.added
    assert not diff.changed
    assert not diff.removed


@FAST
@given(gen.documents(), gen.documents(), TITLES)
def test_junk_documents(base: str, head: str, title: str | None) -> None:
    problems = _diff(base.encode(), head.encode(), title, None)
    assert_well_formed(problems, head.encode())


@FAST
@given(gen.readme_pairs().flatmap(lambda p: st.tuples(st.just(p[0]), gen.mutated(p[1].markdown))))
def test_mutated_heads(pair: tuple[gen.TableSpec, str]) -> None:
    base, head = pair[0].markdown.encode(), pair[1].encode("utf-8", errors="surrogatepass")
    problems = _diff(base, head, "team-a HW-1", None)
    assert_well_formed(problems, head)


@GIT
@given(gen.readme_pairs(), TITLES.filter(lambda t: t is None or "\x00" not in t))
def test_through_git_agrees_with_memory(pair: tuple[gen.TableSpec, gen.TableSpec], title: str | None) -> None:
    base_text, head_text = (spec.markdown for spec in pair)
    with tempfile.TemporaryDirectory() as folder:
        repo = Repo(Path(folder))
        base = repo.commit({"README.md": base_text}, "base")
        head = repo.commit({"README.md": head_text}, "head")
        report = diff_revisions(repo.path, base, head, title=title, readme="README.md", config=CONFIG)
        again = diff_revisions(repo.path, base, head, title=title, readme="README.md", config=CONFIG)
    assert report.model_dump() == again.model_dump()
    assert_well_formed(report.problems, head_text.encode())
    # No manifest at the head: the rules see what the in-memory run sees without one.
    memory = _diff(base_text.encode(), head_text.encode(), title, None)
    assert report.problems == memory
