"""Isolation facts, from real child processes: the environment, process trees, output floods, network."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable

import psutil
import pytest

from bench.manifest import Manifest
from bench.runner import network_isolation, run_submission
from bench.sandbox import child_environment, find_sandbox
from validator.config import BenchConfig

MakeTeam = Callable[..., Manifest]

ENV_PRINTER = """
import json, os
class S:
    def load(self, device):
        print("ENV " + json.dumps(dict(os.environ)))
    def predict(self, inputs):
        return inputs
"""


def _env(log: str | None) -> dict[str, str]:
    seen: dict[str, str] = json.loads((log or "").split("ENV ", 1)[1].splitlines()[0])
    return seen


@pytest.mark.parametrize("sandbox", ["auto", "none"])
def test_the_child_environment_is_an_allow_list(
    make_team: MakeTeam, quick: BenchConfig, monkeypatch: pytest.MonkeyPatch, sandbox: str
) -> None:
    for name in ("GITHUB_TOKEN", "HF_TOKEN", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "OPENAI_API_KEY"):
        monkeypatch.setenv(name, "hunter2")
    monkeypatch.setenv("HARMLESS_SETTING", "dropped too")
    monkeypatch.setenv("COURSE_SETTING", "passed")
    monkeypatch.setenv("TZ", "Europe/Moscow")
    manifest = make_team(ENV_PRINTER)
    config = quick.model_copy(update={"sandbox": sandbox, "pass_env": ["COURSE_SETTING"]})
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "ok", result.error
    seen = _env(result.log_tail)
    assert "hunter2" not in seen.values()
    assert "HARMLESS_SETTING" not in seen
    assert seen["COURSE_SETTING"] == "passed"
    assert seen["TZ"] == "Europe/Moscow"
    assert seen["HF_HUB_OFFLINE"] == "1"
    assert seen["TRANSFORMERS_OFFLINE"] == "1"
    assert seen["OMP_NUM_THREADS"] == "1"
    assert result.sandbox == ("none" if sandbox == "none" else find_sandbox().kind)


def test_child_environment_copies_only_allowed_names() -> None:
    env = child_environment(
        {"GITHUB_TOKEN": "1", "TOKEN": "1", "DATABASE_URL": "1", "SSH_AUTH_SOCK": "1", "LANG": "ru_RU.UTF-8"},
        extra_names=["EXTRA"],
        threads=3,
    )
    assert not {"GITHUB_TOKEN", "TOKEN", "DATABASE_URL", "SSH_AUTH_SOCK"} & set(env)
    assert env["LANG"] == "ru_RU.UTF-8"
    assert env["OMP_NUM_THREADS"] == "3"
    assert env["HOME"] == env["TMPDIR"] == "/tmp"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _marked(token: str) -> list[int]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if token in " ".join(process.info["cmdline"] or []) and _alive(process.pid):
                found.append(process.pid)
        except psutil.Error:
            continue
    return found


@pytest.mark.parametrize("sandbox", ["auto", "none"])
@pytest.mark.parametrize("finish", ["return", "hang"])
def test_every_process_of_the_run_is_killed(
    make_team: MakeTeam, quick: BenchConfig, finish: str, sandbox: str, tmp_path: object
) -> None:
    token = f"sleeper-{id(tmp_path)}-{finish}-{sandbox}"
    code = f"""
    import os, subprocess, sys, time
    SLEEP = [sys.executable, "-c", "import time; time.sleep(120)", {token!r}]
    class S:
        def load(self, device):
            subprocess.Popen(SLEEP, start_new_session=True)
            subprocess.Popen(SLEEP)
            # A double fork: the grandchild is orphaned at once, in its own session.
            subprocess.Popen([sys.executable, "-c",
                "import subprocess, sys; subprocess.Popen(sys.argv[1:], start_new_session=True)", *SLEEP]
            ).wait()
            time.sleep(0.5)
            print("spawned")
            if {finish!r} == "hang":
                time.sleep(120)
        def predict(self, inputs):
            return inputs
    """
    manifest = make_team(code)
    config = quick.model_copy(update={"timeout_s": 8, "sandbox": sandbox})
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == ("ok" if finish == "return" else "timeout"), result.error
    assert "spawned" in (result.log_tail or "")
    deadline = time.monotonic() + 3
    while _marked(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _marked(token) == []


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


NETWORK = """
import socket
class S:
    def load(self, device):
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
            print("NET connected")
        except OSError as exc:
            print("NET blocked: " + type(exc).__name__)
    def predict(self, inputs):
        return inputs
"""


@pytest.mark.parametrize("sandbox", ["auto", "none"])
def test_network_is_blocked(make_team: MakeTeam, quick: BenchConfig, sandbox: str) -> None:
    if not (find_sandbox(sandbox).protected or network_isolation()):
        pytest.skip("neither bubblewrap nor `unshare -rn` works on this machine")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    manifest = make_team(NETWORK.format(port=server.getsockname()[1]))
    try:
        config = quick.model_copy(update={"sandbox": sandbox})
        result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    finally:
        server.close()
    assert result.status == "ok", result.error
    assert result.network_isolated is True
    assert "NET blocked" in (result.log_tail or "")


def test_an_unprotected_run_without_isolation_says_so(make_team: MakeTeam, quick: BenchConfig) -> None:
    # The submission records the process it ran in: without a network namespace it is still a child.
    manifest = make_team(
        "import os\n"
        "class S:\n    def load(self, d):\n        open('pid.txt', 'w').write(str(os.getpid()))\n"
        "    def predict(self, x):\n        return x\n"
    )
    config = quick.model_copy(update={"isolate_network": False, "sandbox": "none"})
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "ok", result.error
    assert result.network_isolated is False
    assert result.sandbox == "none"
    assert int((manifest.folder / "pid.txt").read_text()) != os.getpid()
