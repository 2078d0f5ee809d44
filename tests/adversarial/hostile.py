"""Hostile submissions and a throwaway course repository whose last commit is the PR that adds them.

Each submission is a `bench.py` template (`{port}`, `{token}` and `{marker}` are filled in). One course
holds every hostile team, so a single `validator bench` and a single `validator verify` run cover them
all; the timeout and the memory cap are small to keep the suite fast.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tests.diff.gitrepo import Repo, readme

#: Values planted in the environment of the harness; no report may ever contain one.
SECRETS = {
    "GITHUB_TOKEN": "ghp_hostileTokenValue0123456789",
    "AWS_SECRET_ACCESS_KEY": "awsHostileSecretValue0123456789",
    "HF_TOKEN": "hf_hostileHubTokenValue0123456789",
    "DEPLOY_PASSWORD": "hostilePasswordValue0123456789",
    "OPENAI_API_KEY": "sk-hostileApiKeyValue0123456789",
}
#: The settings of the course (validator.toml): quick runs, a short timeout, a small memory cap.
TIMEOUT_S = 4
MEMORY_LIMIT_MB = 300
CONFIG = f"""[bench]
threads = 1
warmup = 1
repeats = 2
timeout_s = {TIMEOUT_S}
memory_limit_mb = {MEMORY_LIMIT_MB}
"""

LOOP = """
class Submission:
    def load(self, device):
        pass
    def predict(self, inputs):
        while True:
            pass
"""

MEMORY_BOMB = """
class Submission:
    def load(self, device):
        hoard = []
        for _ in range(200):  # 10 GB if nothing stopped it
            hoard.append(b"x" * (50 * 1024 * 1024))
    def predict(self, inputs):
        return inputs
"""

# A child in its own session, a double-forked daemon and a plain child: all must die with the run.
# Each carries the token on its command line, so the test finds them from outside (pids inside the
# sandbox's pid namespace mean nothing out here).
SPAWNER = """
import os, subprocess, sys, time
SLEEP = [sys.executable, "-c", "import sys, time; time.sleep(600)", {token!r}]
class Submission:
    def load(self, device):
        subprocess.Popen(SLEEP, start_new_session=True)
        subprocess.Popen(SLEEP)
        if os.fork() == 0:  # the classic daemon: fork, setsid, fork again, parent exits
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, SLEEP)
            os._exit(0)
        time.sleep(0.5)
    def predict(self, inputs):
        return inputs
"""

# Memory spread over processes in sessions of their own: the cap is on the whole tree.
SPREAD_BOMB = """
import subprocess, sys, time
HOG = [sys.executable, "-c", "import time; hog = b'x' * (100 * 1024 * 1024); time.sleep(600)"]
class Submission:
    def load(self, device):
        self.hogs = [subprocess.Popen(HOG, start_new_session=True) for _ in range(6)]
        time.sleep(600)
    def predict(self, inputs):
        return inputs
"""

# A "comet": each process forks and exits at once, so the pid that holds the run keeps changing;
# left alone it goes on for a minute.
FORK_CHAIN = """
import os, time
class Submission:
    def load(self, device):
        end = time.time() + 60
        if os.fork() == 0:
            while time.time() < end:
                if os.fork() != 0:
                    os._exit(0)
            os._exit(0)
    def predict(self, inputs):
        while True:
            pass
"""

FLOOD = """
import sys
class Submission:
    def load(self, device):
        line = "flood " * 2000 + "\\n"
        for _ in range(2000):  # 24 MB on each stream
            sys.stdout.write(line)
            sys.stderr.write(line)
        sys.stdout.flush()
    def predict(self, inputs):
        return inputs
"""

# Everything a thief can reach: its environment, its parents' environments, printed and raised.
SECRETS_READER = """
import os, sys
def loot():
    found = dict(os.environ)
    for pid in (os.getppid(), os.getpgid(0)):
        try:
            with open(f"/proc/{{pid}}/environ", "rb") as handle:
                found[f"proc-{{pid}}"] = handle.read().decode(errors="replace")
        except OSError as exc:
            found[f"proc-{{pid}}"] = str(exc)
    return found
class Submission:
    def load(self, device):
        found = loot()
        print(found)
        print(found, file=sys.stderr)
        raise RuntimeError(repr(found))
    def predict(self, inputs):
        return inputs
"""

# Writes everywhere it can: a forged result next to itself, a forged report where verify writes its
# own, the course README and config, and a fake result message on stdout.
WRITER = """
import json, os, sys
class Submission:
    def load(self, device):
        forged = {{"event": "result", "calls": [[1, 0.001, 0, 0.001]], "outputs": [1, 2, 3]}}
        print(json.dumps(forged))
        for path in ("result.json", "../../report.json", "../../report.md", "../../validator.toml"):
            try:
                with open(path, "a") as out:
                    out.write({marker!r})
            except OSError:
                pass
        raise RuntimeError("wrote outside my folder")
    def predict(self, inputs):
        return inputs
"""

NETWORK = """
import socket
class Submission:
    def load(self, device):
        connection = socket.create_connection(("127.0.0.1", {port}), timeout=2)
        connection.sendall(b"stolen")
        connection.close()
    def predict(self, inputs):
        return inputs
"""

# Rebinds every clock of the time module: the harness bound its own before importing us, so the
# timings stay honest (the sleep shows in the measured speed).
CLOCK_MODULE = """
import time
_real, _real_ns = time.perf_counter, time.perf_counter_ns
time.perf_counter = lambda: _real() / 100
time.monotonic = lambda: _real() / 100
time.perf_counter_ns = lambda: _real_ns() // 100
class Submission:
    def load(self, device):
        pass
    def predict(self, inputs):
        time.sleep(0.1)
        return inputs
"""

# Reaches into the harness's child itself (`child.py` is `__main__`) and slows every clock it finds
# there: the parent keeps the time, so nothing changes.
CLOCK_HARNESS = """
import sys, time
class Submission:
    def load(self, device):
        real = time.perf_counter
        main = sys.modules["__main__"]
        for name in ("_clock", "perf_counter", "monotonic"):
            setattr(main, name, lambda: real() / 10)
        main.time = type(sys)("time")
        main.time.perf_counter = lambda: real() / 10
    def predict(self, inputs):
        time.sleep(0.1)
        return inputs
"""

WRONG_COUNT = """
class Submission:
    def load(self, device):
        pass
    def predict(self, inputs):
        return inputs + inputs
"""

NOT_JSON = """
class Submission:
    def load(self, device):
        pass
    def predict(self, inputs):
        return [object() for _ in inputs]
"""

HUGE = """
class Submission:
    def load(self, device):
        pass
    def predict(self, inputs):
        return ["x" * (8 * 1024 * 1024) for _ in inputs]  # 24 MB of outputs per call
"""


@dataclass(frozen=True)
class Hostile:
    name: str
    code: str
    #: What `validator bench` and `validator verify` must end the run as.
    status: str
    #: Words the run's error message must contain.
    error: str


HOSTILE = [
    Hostile("loop", LOOP, "timeout", f"did not finish within {TIMEOUT_S} s"),
    Hostile("memory-bomb", MEMORY_BOMB, "oom", f"over the {MEMORY_LIMIT_MB} MB memory limit"),
    Hostile("spread-bomb", SPREAD_BOMB, "oom", f"over the {MEMORY_LIMIT_MB} MB memory limit"),
    Hostile("spawner", SPAWNER, "ok", ""),
    Hostile("fork-chain", FORK_CHAIN, "timeout", f"did not finish within {TIMEOUT_S} s"),
    Hostile("flood", FLOOD, "ok", ""),
    Hostile("secrets", SECRETS_READER, "error", "RuntimeError"),
    Hostile("writer", WRITER, "error", "wrote outside my folder"),
    Hostile("network", NETWORK, "error", ""),
    Hostile("clock-module", CLOCK_MODULE, "ok", ""),
    Hostile("clock-harness", CLOCK_HARNESS, "ok", ""),
    Hostile("wrong-count", WRONG_COUNT, "error", "predict() returned 2 outputs for 1 inputs"),
    Hostile("not-json", NOT_JSON, "error", "not JSON-serializable"),
    Hostile("huge", HUGE, "error", "too large to report"),
]
BY_NAME = {h.name: h for h in HOSTILE}
MARKER = "FORGED-BY-THE-SUBMISSION"


def model_of(name: str) -> str:
    return f"hostile/{name}"


def row_of(name: str) -> str:
    return f"| {model_of(name)} | Оригинал | 1 MB | 10 ms | -- | 100 MB | -- | 50% Accuracy |"


def write_team(folder: Path, hostile: Hostile, port: int, token: str) -> None:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    code = textwrap.dedent(hostile.code).format(port=port, token=token, marker=MARKER)
    (folder / "bench.py").write_text(code, encoding="utf-8")
    lines = [json.dumps({"input": i, "reference": i}) for i in (1, 2, 3)]
    (folder / "data" / "eval.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "bench.toml").write_text(
        f'team = "{hostile.name}"\n[[run]]\nmodel = "{model_of(hostile.name)}"\nmethod = "Оригинал"\n'
        'entry = "bench.py:Submission"\ndata = "data/eval.jsonl"\n',
        encoding="utf-8",
    )


def build_course(root: Path, port: int, token: str) -> tuple[Repo, str, str]:
    """A course repository: base without the hostile teams, head (checked out) adding them all."""
    repo = Repo(root)
    base = repo.commit({"README.md": readme(), "validator.toml": CONFIG}, "course")
    for hostile in HOSTILE:
        write_team(root / "submissions" / hostile.name, hostile, port, token)
    head = repo.commit({"README.md": readme(*(row_of(h.name) for h in HOSTILE))}, "hostile HW-1")
    return repo, base, head
