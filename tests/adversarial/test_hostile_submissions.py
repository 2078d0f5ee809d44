"""Hostile submissions under the harness (`bench.run_submission`, `validator bench`) and `validator verify`.

One course repository holds every hostile team (tests/adversarial/hostile.py); `validator bench` and
`validator verify` each run once over all of them, in a subprocess with secrets planted in its
environment, and every test reads its team's run from the three reports.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench.manifest import load_manifest
from bench.runner import network_isolation, run_submission
from bench.sandbox import find_sandbox
from validator.config import BenchConfig
from validator.model import BenchReport, RunResult, VerifyReport

from .hostile import BY_NAME, HOSTILE, MARKER, MEMORY_LIMIT_MB, SECRETS, TIMEOUT_S, build_course, model_of

ROOT = Path(__file__).resolve().parents[2]
QUICK = BenchConfig(threads=1, warmup=1, repeats=2, timeout_s=TIMEOUT_S, memory_limit_mb=MEMORY_LIMIT_MB)
#: No hostile run may make a report bigger than this (the flood alone writes 48 MB).
REPORT_LIMIT = 400 * 1024


@dataclass
class Course:
    root: Path
    server: socket.socket
    token: str
    direct: dict[str, RunResult]
    bench: BenchReport
    bench_text: str
    bench_exit: int
    verify: VerifyReport
    verify_json: str
    markdown: str
    verify_exit: int
    connections: int
    #: Processes of a harness child still alive right after each run ("direct:<name>", "bench", "verify"),
    #: and zombie children of this process (the subreaper) right after each direct run ("zombies:<name>").
    survivors: dict[str, list[int]]

    def verified(self, name: str) -> Any:
        return next(r for r in self.verify.rows if r.model == model_of(name))

    def benched(self, name: str) -> RunResult:
        return next(r for r in self.bench.runs if r.model == model_of(name))


def _connections(server: socket.socket) -> int:
    """Connections that reached the listening socket since the last call."""
    count = 0
    server.setblocking(False)
    while True:
        try:
            connection, _ = server.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def _harness_children(*marks: str) -> list[int]:
    """Our processes still running the harness's child code (a run's own processes inherit its command
    line), or any process of the machine whose command line holds one of `marks`."""
    found = []
    ours = {p.pid for p in psutil.Process().children(recursive=True)}
    for process in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            command = " ".join(process.info["cmdline"] or [])
            mine = process.pid in ours and "child.py" in command
            if (mine or any(mark in command for mark in marks)) and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process.pid)
    return found


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **SECRETS, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "validator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Course]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    work = tmp_path_factory.mktemp("hostile")
    token = f"spawned-by-the-spawner-{uuid.uuid4().hex}"
    root = work / "course"
    repo, base, head = build_course(root, server.getsockname()[1], token)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SECRETS.items():
            patch.setenv(name, value)
        direct = {}
        survivors = {}
        # Zombies this process had before (another test's children): not the runs' to reap.
        earlier = {c.pid for c in psutil.Process().children() if c.status() == psutil.STATUS_ZOMBIE}
        for hostile in HOSTILE:
            manifest = load_manifest(root / "submissions" / hostile.name)
            direct[hostile.name] = run_submission(manifest, manifest.runs[0], device="cpu", config=QUICK)
            survivors[f"direct:{hostile.name}"] = _harness_children()
            # This process was the run's subreaper: its orphans must be reaped, not left as zombies.
            survivors[f"zombies:{hostile.name}"] = [
                c.pid
                for c in psutil.Process().children()
                if c.status() == psutil.STATUS_ZOMBIE and c.pid not in earlier
            ]
    connections = _connections(server)
    repo.git("checkout", "-q", "--", ".")  # undo what the writer changed in the working tree
    bench = _cli("bench", str(root / "submissions"), "--format", "json", cwd=root)
    connections += _connections(server)
    survivors["bench"] = _harness_children()
    repo.git("checkout", "-q", "--", ".")  # undo what the writer changed in the working tree
    verify = _cli(
        "verify",
        *("--base", base, "--head", head, "--title", "hostile HW-1", "--repo", str(root)),
        *("--out", str(root / "report.json"), "--markdown", str(root / "report.md"), "--format", "json"),
        cwd=root,
    )
    connections += _connections(server)
    survivors["verify"] = _harness_children()
    assert bench.stdout.startswith("{"), bench.stderr[-2000:]
    assert verify.stdout.startswith("{"), verify.stderr[-2000:]
    yield Course(
        root=root,
        server=server,
        token=token,
        direct=direct,
        bench=BenchReport.model_validate_json(bench.stdout),
        bench_text=bench.stdout,
        bench_exit=bench.returncode,
        verify=VerifyReport.model_validate_json(verify.stdout),
        verify_json=(root / "report.json").read_text(encoding="utf-8"),
        markdown=(root / "report.md").read_text(encoding="utf-8"),
        verify_exit=verify.returncode,
        connections=connections,
        survivors=survivors,
    )
    server.close()


def _assert_run(result: RunResult, status: str, error: str) -> None:
    assert result.status == status, result.error
    if error:
        assert error in (result.error or ""), result.error
    assert len(result.model_dump_json()) < REPORT_LIMIT


@pytest.mark.parametrize("name", [h.name for h in HOSTILE if h.name != "network"])
def test_each_hostile_submission_ends_as_expected_everywhere(course: Course, name: str) -> None:
    hostile = BY_NAME[name]
    _assert_run(course.direct[name], hostile.status, hostile.error)
    _assert_run(course.benched(name), hostile.status, hostile.error)
    row = course.verified(name)
    assert row.status == hostile.status
    if hostile.status != "ok":
        failed = [
            p
            for p in course.verify.problems
            if p.code == "run-failed" and p.params["model"] == model_of(name)
        ]
        assert len(failed) == 1
        assert failed[0].params["status"] == hostile.status
        last_line = (hostile.error or "").splitlines()[-1:] or [""]
        assert last_line[0] in failed[0].params["error"]


def test_the_clis_fail_and_the_reports_stay_small(course: Course) -> None:
    assert course.bench_exit == 1
    assert course.verify_exit == 1
    assert course.verify.verdict == "fail"
    assert len(course.bench_text) < REPORT_LIMIT
    assert len(course.verify_json) < REPORT_LIMIT
    assert len(course.markdown) < 65536  # GitHub's comment limit


def test_memory_bomb_is_stopped_near_the_cap(course: Course) -> None:
    # The host survives: the tree was sampled and killed at the first sample over the cap. How far
    # over depends on how fast it allocates (50 MB at a time) and how late a loaded machine wakes the
    # parent for its 50 ms sample: well under the 10 GB it would take if nothing stopped it.
    for result in (course.direct["memory-bomb"], course.benched("memory-bomb")):
        assert result.status == "oom"
        assert result.ram_sampled is not None
        assert MEMORY_LIMIT_MB < result.ram_sampled.value < MEMORY_LIMIT_MB + 2000


def test_infinite_loop_is_stopped_at_the_timeout(course: Course) -> None:
    result = course.direct["loop"]
    assert result.wall_s is not None
    assert TIMEOUT_S <= result.wall_s < TIMEOUT_S + 3


def test_no_process_of_the_spawner_survives(course: Course) -> None:
    # Its three sleepers carry the token on their command line; each run killed its own before ending.
    assert course.verified("spawner").status == "ok"
    assert _harness_children(course.token) == []


def test_no_harness_process_outlives_its_run(course: Course) -> None:
    # Checked right after each run: the fork chain would still be forking for a minute otherwise.
    assert {k: v for k, v in course.survivors.items() if v} == {}


def test_memory_spread_over_sessions_counts_against_the_cap(course: Course) -> None:
    for result in (course.direct["spread-bomb"], course.benched("spread-bomb")):
        assert result.ram_sampled is not None
        assert result.ram_sampled.value > MEMORY_LIMIT_MB


def test_output_flood_is_capped(course: Course) -> None:
    for result in (course.direct["flood"], course.benched("flood")):
        assert result.log_tail is not None
        assert len(result.log_tail) < 2 * QUICK.output_limit_bytes + 1024
        assert "earlier bytes dropped" in result.log_tail
    assert course.verified("flood").status == "ok"


def test_no_secret_reaches_the_child_or_any_report(course: Course) -> None:
    if not (find_sandbox().protected or network_isolation()):
        # Without a user namespace the child may read its parent's /proc/PID/environ (same user):
        # the scrubbed environment then only protects what the child inherits. See docs/security.md.
        reports = [course.direct["secrets"].model_dump_json()]
    else:
        reports = [
            course.direct["secrets"].model_dump_json(),
            course.bench_text,
            course.verify_json,
            course.markdown,
        ]
    # The thief printed and raised everything it found: the reports carry it, without a secret.
    assert "RuntimeError" in (course.direct["secrets"].log_tail or "")
    for report in reports:
        for name, value in SECRETS.items():
            assert value not in report, f"{name} leaked"


def test_writes_outside_the_folder_cannot_forge_a_result(course: Course) -> None:
    # The forged result on stdout, the forged spec and the files it wrote change nothing: the run is
    # the error it raised, and the reports verify wrote are ours, written after every run ended.
    for result in (course.direct["writer"], course.benched("writer")):
        assert result.status == "error"
        assert result.error == "RuntimeError: wrote outside my folder"
    assert MARKER not in course.verify_json
    assert MARKER not in course.markdown
    assert VerifyReport.model_validate_json(course.verify_json).verdict == "fail"
    # In the sandbox nothing was written at all: its own folder is read-only, the course invisible.
    if find_sandbox().protected:
        assert not (course.root / "submissions" / "writer" / "result.json").exists()
        assert MARKER not in (course.root / "validator.toml").read_text(encoding="utf-8")


def test_network_is_blocked(course: Course) -> None:
    if not (find_sandbox().protected or network_isolation()):
        pytest.skip("`unshare -rn` is not allowed on this machine: the child has the host's network")
    assert course.connections == 0
    for result in (course.direct["network"], course.benched("network")):
        assert result.status == "error"
        assert result.network_isolated is True
        # The connection fails inside the child (refused or unreachable): an OSError, not a crash.
        raised = (result.error or "").split(":")[0]
        assert isinstance(getattr(builtins, raised, None), type), result.error
        assert issubclass(getattr(builtins, raised), OSError), result.error
    assert course.verified("network").status == "error"


def test_clock_rebinding_in_the_time_module_does_not_fool_the_harness(course: Course) -> None:
    # predict() sleeps 100 ms while time.perf_counter/monotonic/perf_counter_ns claim 1 ms.
    for result in (course.direct["clock-module"], course.benched("clock-module")):
        assert result.cpu_speed is not None
        assert result.cpu_speed.value >= 95


def test_clock_tampering_inside_the_harness_changes_nothing(course: Course) -> None:
    # The child holds no clock that counts: the parent times each call around the exchange.
    for result in (course.direct["clock-harness"], course.benched("clock-harness")):
        assert result.cpu_speed is not None
        assert result.cpu_speed.value >= 95
