"""Isolation facts, from real child processes: secrets, process trees, output floods, network."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable

import psutil
import pytest

from bench.manifest import Manifest
from bench.runner import network_isolation, run_submission, scrubbed_environment
from validator.config import BenchConfig

MakeTeam = Callable[..., Manifest]


def test_secrets_are_scrubbed_and_the_child_is_offline(
    make_team: MakeTeam, quick: BenchConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_TOKEN", "HF_TOKEN", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "OPENAI_API_KEY"):
        monkeypatch.setenv(name, "hunter2")
    monkeypatch.setenv("HARMLESS_SETTING", "kept")
    code = """
    import json, os
    class S:
        def load(self, device):
            with open("seen.json", "w") as out:
                json.dump(dict(os.environ), out)
        def predict(self, inputs):
            return inputs
    """
    manifest = make_team(code)
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "ok", result.error
    seen = json.loads((manifest.folder / "seen.json").read_text(encoding="utf-8"))
    assert "hunter2" not in seen.values()
    assert seen["HARMLESS_SETTING"] == "kept"
    assert seen["HF_HUB_OFFLINE"] == "1"
    assert seen["TRANSFORMERS_OFFLINE"] == "1"
    assert seen["OMP_NUM_THREADS"] == "1"
    assert "hunter2" not in result.model_dump_json()


def test_scrubbed_environment_patterns() -> None:
    env = scrubbed_environment(
        {
            "GITHUB_TOKEN": "1",
            "github_token": "1",
            "MY_SECRET_THING": "1",
            "SSH_KEY": "1",
            "PGPASSWORD": "1",
            "PATH": "/bin",
            "KEYBOARD": "us",
        }
    )
    assert {k for k in env if not k.endswith("OFFLINE") and not k.startswith("PYTHON")} == {
        "PATH",
        "KEYBOARD",
    }


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("finish", ["return", "hang"])
def test_every_process_of_the_run_is_killed(make_team: MakeTeam, quick: BenchConfig, finish: str) -> None:
    code = f"""
    import os, subprocess, sys, time
    class S:
        def load(self, device):
            sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
            pids = [subprocess.Popen(sleeper, start_new_session=True).pid, subprocess.Popen(sleeper).pid]
            # A double fork: the grandchild is orphaned at once, in its own session.
            daemon = subprocess.Popen([sys.executable, "-c",
                "import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', "
                "'import time; time.sleep(120)'], start_new_session=True, stdout=subprocess.DEVNULL); "
                "print(p.pid)"],
                stdout=subprocess.PIPE)
            pids.append(int(daemon.communicate()[0]))
            with open("pids.txt", "w") as out:
                out.write(" ".join(map(str, pids)))
            if {finish!r} == "hang":
                time.sleep(120)
        def predict(self, inputs):
            return inputs
    """
    manifest = make_team(code)
    config = quick.model_copy(update={"timeout_s": 8})
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == ("ok" if finish == "return" else "timeout"), result.error
    pids = [int(p) for p in (manifest.folder / "pids.txt").read_text().split()]
    assert len(pids) == 3
    deadline = time.monotonic() + 3
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if _alive(pid)]


def test_output_flood_is_capped(make_team: MakeTeam, quick: BenchConfig) -> None:
    code = """
    import sys
    class S:
        def load(self, device):
            for _ in range(200):
                sys.stdout.write("x" * 50_000 + "\\n")
                sys.stderr.write("y" * 50_000 + "\\n")
            print("last line")
        def predict(self, inputs):
            return inputs
    """
    manifest = make_team(code)
    config = quick.model_copy(update={"output_limit_bytes": 4096})
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "ok", result.error
    assert result.log_tail is not None
    assert len(result.log_tail) < 3 * 4096
    assert "earlier bytes dropped" in result.log_tail
    assert "last line" in result.log_tail
    assert len(result.model_dump_json()) < 20_000


@pytest.mark.skipif(not network_isolation(), reason="this machine does not allow `unshare -rn`")
def test_network_is_blocked_where_unshare_works(make_team: MakeTeam, quick: BenchConfig) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    code = f"""
    import socket
    class S:
        def load(self, device):
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
                outcome = "connected"
            except OSError as exc:
                outcome = "blocked: " + type(exc).__name__
            open("net.txt", "w").write(outcome)
        def predict(self, inputs):
            return inputs
    """
    manifest = make_team(code)
    try:
        result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    finally:
        server.close()
    assert result.status == "ok", result.error
    assert result.network_isolated is True
    assert (manifest.folder / "net.txt").read_text().startswith("blocked")


def test_without_isolation_the_report_says_so(make_team: MakeTeam, quick: BenchConfig) -> None:
    # The submission records the process it ran in: without a network namespace it is still a child.
    manifest = make_team(
        "import os\n"
        "class S:\n    def load(self, d):\n        open('pid.txt', 'w').write(str(os.getpid()))\n"
        "    def predict(self, x):\n        return x\n"
    )
    config = quick.model_copy(update={"isolate_network": False})
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "ok", result.error
    assert result.network_isolated is False
    assert int((manifest.folder / "pid.txt").read_text()) != os.getpid()
