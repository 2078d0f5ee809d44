"""The verify job's logic over real git repositories, with the harness replaced by a recorded runner.

The real harness runs in `test_verify_e2e.py`; here a runner returns fixed measurements so each rule
of the job (what is re-run, what is compared, what fails) is checked exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.manifest import Manifest, RunSpec
from tests.diff.gitrepo import Repo, readme
from validator.config import Config
from validator.model import Environment, Metric, Quantity, RunResult
from validator.verify import WorkTreeIsNotAtHead, verify_pull_request, verify_readme

ORIGINAL = "| tiny | Оригинал | 4 MB | 100 ms | - | 800 MB | - | Accuracy: 80% |"
INT8 = "| tiny | INT8 | 1 MB | 50 ms | - | 400 MB | - | Accuracy: 79% |"
INT8_LIES = "| tiny | INT8 | 0.2 MB | 5 ms | - | 400 MB | - | Accuracy: 79% |"
ENV = Environment(cpu="test CPU", cores=2)


def manifest(team: str, *methods: str) -> str:
    text = f'team = "{team}"\n'
    for method in methods:
        text += f'[[run]]\nmodel = "tiny"\nmethod = "{method}"\nentry = "bench.py:S"\ndata = "d.jsonl"\n'
    return text


MEASURED = {
    "Оригинал": RunResult(
        model="tiny",
        method="Оригинал",
        status="ok",
        weights_size=Quantity(value=4.05, unit="MB"),
        cpu_speed=Quantity(value=160, unit="ms"),
        ram=Quantity(value=820, unit="MB"),
        quality=[Metric(name="accuracy", value=0.801)],
    ),
    "INT8": RunResult(
        model="tiny",
        method="INT8",
        status="ok",
        weights_size=Quantity(value=1.01, unit="MB"),
        cpu_speed=Quantity(value=82, unit="ms"),
        ram=Quantity(value=410, unit="MB"),
        quality=[Metric(name="accuracy", value=0.79)],
    ),
}


class Recorder:
    """A runner that records what the job asked to run and answers with fixed measurements."""

    def __init__(self, results: dict[str, RunResult] | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.results = results or MEASURED

    def __call__(self, manifest: Manifest, run: RunSpec, device: str, config: Config) -> RunResult:
        self.calls.append((manifest.team, run.method))
        return self.results[run.method]


def pull_request(
    tmp_path: Path, head_rows: list[str], head_methods: tuple[str, ...]
) -> tuple[Repo, str, str]:
    repo = Repo(tmp_path / "course")
    base = repo.commit(
        {"README.md": readme(ORIGINAL), "submissions/team/bench.toml": manifest("team", "Оригинал")}
    )
    head = repo.commit(
        {
            "README.md": readme(ORIGINAL, *head_rows),
            "submissions/team/bench.toml": manifest("team", *head_methods),
        },
        message="team HW-2",
    )
    return repo, base, head


def verify(repo: Repo, base: str, head: str, runner: Recorder):  # type: ignore[no-untyped-def]
    return verify_pull_request(
        repo.path,
        base,
        head,
        title="team HW-2",
        device="cpu",
        config=Config(),
        runner=runner,
        environment=ENV,
    )


def test_honest_rows_pass_and_each_run_happens_once(tmp_path: Path) -> None:
    repo, base, head = pull_request(tmp_path, [INT8], ("Оригинал", "INT8"))
    runner = Recorder()
    report = verify(repo, base, head, runner)
    # Only the added row is judged; the original runs once more, for the ratios only.
    assert runner.calls == [("team", "INT8"), ("team", "Оригинал")]
    assert [(r.method, r.status) for r in report.rows] == [("INT8", "ok")]
    verdicts = {c.field: c.verdict for c in report.rows[0].checks}
    assert verdicts == {
        "weights_size": "verified",
        "cpu_speed": "verified",
        "ram": "verified",
        "quality.Accuracy": "verified",
    }
    assert {(r.field, r.verdict) for r in report.ratios} == {("cpu_speed", "verified"), ("ram", "verified")}
    assert report.verdict == "pass"
    assert (report.base, report.head, report.team) == (base, head, "team")


def test_a_row_that_lies_about_size_and_speed_fails(tmp_path: Path) -> None:
    repo, base, head = pull_request(tmp_path, [INT8_LIES], ("Оригинал", "INT8"))
    report = verify(repo, base, head, Recorder())
    verdicts = {c.field: c.verdict for c in report.rows[0].checks}
    assert verdicts["weights_size"] == "mismatch" and verdicts["cpu_speed"] == "mismatch"
    speed = next(r for r in report.ratios if r.field == "cpu_speed")
    assert (speed.claimed, speed.verdict) == (0.05, "mismatch")
    assert report.verdict == "fail"
    # The diff's plausibility rules see the size lie too, before anything runs.
    assert {(p.code, p.severity.value) for p in report.problems} == {
        ("claim-mismatch", "error"),
        ("size-contradicts-method", "warning"),
    }
    assert report.rows[0].corrected_row == (
        "| tiny | INT8 | 1.01 MB | 82 ms | - | 400 MB | - | Accuracy: 79% |"
    )


def test_a_row_without_a_manifest_is_reported(tmp_path: Path) -> None:
    repo, base, head = pull_request(tmp_path, [INT8], ("Оригинал",))
    report = verify(repo, base, head, Recorder())
    assert [(r.method, r.status) for r in report.rows] == [("INT8", "no-manifest")]
    assert "row-no-manifest" in {p.code for p in report.problems}
    assert report.verdict == "fail"


def test_failed_runs_are_reported_with_their_log(tmp_path: Path) -> None:
    crashed = MEASURED["INT8"].model_copy(update={"status": "timeout", "error": "timed out after 5 s"})
    repo, base, head = pull_request(tmp_path, [INT8], ("Оригинал", "INT8"))
    report = verify(repo, base, head, Recorder({**MEASURED, "INT8": crashed}))
    assert [(r.status, r.log_tail) for r in report.rows] == [("timeout", "timed out after 5 s")]
    (problem,) = [p for p in report.problems if p.code == "run-failed"]
    assert problem.message == "the re-run of (tiny, INT8) ended as `timeout`: timed out after 5 s"
    assert report.ratios == [] and report.verdict == "fail"


def test_the_working_tree_must_be_the_head(tmp_path: Path) -> None:
    repo, base, head = pull_request(tmp_path, [INT8], ("Оригинал", "INT8"))
    repo.git("checkout", "-q", base)
    with pytest.raises(WorkTreeIsNotAtHead):
        verify(repo, base, head, Recorder())


def test_a_reformatted_row_is_not_rerun(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "course")
    files = {"submissions/team/bench.toml": manifest("team", "Оригинал")}
    base = repo.commit({"README.md": readme(ORIGINAL), **files})
    head = repo.commit({"README.md": readme(ORIGINAL.replace("4 MB", "4MB"))}, message="team HW-2")
    runner = Recorder()
    report = verify(repo, base, head, runner)
    assert runner.calls == [] and report.rows == [] and report.verdict == "pass"


def test_audit_a_whole_table_without_git(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(
        readme(ORIGINAL, INT8, "| other | Оригинал | 1 MB | - | - | - | - | - |")
    )
    (tmp_path / "submissions" / "team").mkdir(parents=True)
    (tmp_path / "submissions" / "team" / "bench.toml").write_text(manifest("team", "Оригинал", "INT8"))
    runner = Recorder()
    report = verify_readme(
        tmp_path / "README.md", device="cpu", config=Config(), runner=runner, environment=ENV
    )
    assert runner.calls == [("team", "Оригинал"), ("team", "INT8")]
    assert [r.method for r in report.rows] == ["Оригинал", "INT8"]  # `other` has no manifest: not audited
    assert report.verdict == "pass"


def test_a_matrix_job_verifies_only_its_team(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "course")
    base = repo.commit(
        {"README.md": readme(ORIGINAL), "submissions/team/bench.toml": manifest("team", "Оригинал")}
    )
    other = "| tiny | Оригинал 2 | 4 MB | 100 ms | - | 800 MB | - | Accuracy: 80% |"
    undeclared = "| tiny | FP16 | 2 MB | 100 ms | - | 800 MB | - | Accuracy: 80% |"
    head = repo.commit(
        {
            "README.md": readme(ORIGINAL, INT8, other, undeclared),
            "submissions/team/bench.toml": manifest("team", "Оригинал", "INT8"),
            "submissions/other/bench.toml": manifest("other", "Оригинал 2"),
        }
    )
    runner = Recorder({**MEASURED, "Оригинал 2": MEASURED["Оригинал"]})
    report = verify_pull_request(
        repo.path,
        base,
        head,
        title="team HW-2",
        device="cpu",
        config=Config(),
        team="team",
        runner=runner,
        environment=ENV,
    )
    assert runner.calls == [("team", "INT8"), ("team", "Оригинал")]
    # The undeclared row is reported by every job; the join keeps it once.
    assert [(r.method, r.status) for r in report.rows] == [("INT8", "ok"), ("FP16", "no-manifest")]


def test_a_ratio_mismatch_is_confirmed_by_alternating_reruns(tmp_path: Path) -> None:
    """One slow run of a shared runner does not fail an honest row: the medians are judged."""
    slow = MEASURED["INT8"].model_copy(update={"cpu_speed": Quantity(value=300, unit="ms")})

    class Flaky(Recorder):
        def __call__(self, manifest: Manifest, run: RunSpec, device: str, config: Config) -> RunResult:
            first_int8 = run.method == "INT8" and ("team", "INT8") not in self.calls
            result = super().__call__(manifest, run, device, config)
            return slow if first_int8 else result

    repo, base, head = pull_request(tmp_path, [INT8], ("Оригинал", "INT8"))
    runner = Flaky()
    report = verify(repo, base, head, runner)
    assert runner.calls == [("team", "INT8"), ("team", "Оригинал")] * 3
    assert {(r.field, r.verdict) for r in report.ratios} == {("cpu_speed", "verified"), ("ram", "verified")}
    assert report.verdict == "pass"


def test_a_confirmed_lie_stays_a_mismatch(tmp_path: Path) -> None:
    repo, base, head = pull_request(tmp_path, [INT8_LIES], ("Оригинал", "INT8"))
    runner = Recorder()
    report = verify(repo, base, head, runner)
    assert len(runner.calls) == 6  # one run each, then two confirming rounds of both
    assert next(r for r in report.ratios if r.field == "cpu_speed").verdict == "mismatch"
