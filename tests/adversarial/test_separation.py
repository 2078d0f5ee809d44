"""Issue 14, item 1: the team's code runs where it cannot reach the judge.

Each test is an attack by a student who has read our source. The probes are harmless by design: a
new file with a random name where the judge's code lives (removed again if it ever appears), never
an edit of a file the judge uses.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import uuid
from pathlib import Path

import pytest

import bench
from bench.manifest import load_manifest
from bench.runner import run_submission
from tests.conftest import ROOT
from tests.diff.gitrepo import readme
from validator.config import BenchConfig
from validator.model import RunResult

from .attacks import course, row, verify, write_team

QUICK = BenchConfig(threads=1, warmup=1, repeats=2, timeout_s=60, memory_limit_mb=1000)

ENV_PRINTER = """
import json, os
class Submission:
    def load(self, device):
        print("ENV " + json.dumps(dict(os.environ)))
    def predict(self, inputs):
        return inputs
"""

#: Names a deny-list of *_TOKEN, *_KEY, *PASSWORD* lets through; each is a secret somewhere.
SECRET_NAMES = {
    "TOKEN": "plainTokenValue0123456789",
    "APIKEY": "apiKeyValue0123456789",
    "DATABASE_URL": "postgres://admin:dbPasswordValue0123@db.internal/course",
    "SSH_AUTH_SOCK": "/tmp/ssh-agentSocketValue0123/agent.77",
    "SENTRY_DSN": "https://sentryDsnValue0123@o1.ingest.sentry.io/1",
    "NPM_CONFIG__AUTH": "npmAuthValue0123456789",
    "GH_ENTERPRISE_TOKEN": "ghEnterpriseValue0123456789",
    "SECRET": "bareSecretValue0123456789",
}


def _run(folder: Path, config: BenchConfig = QUICK) -> RunResult:
    manifest = load_manifest(folder)
    return run_submission(manifest, manifest.runs[0], device="cpu", config=config)


def test_secrets_reach_the_child_by_no_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRET_NAMES.items():
        monkeypatch.setenv(name, value)
    result = _run(write_team(tmp_path / "thief", ENV_PRINTER))
    assert result.status == "ok", result.error
    log = result.log_tail or ""
    seen = json.loads(log.split("ENV ", 1)[1].splitlines()[0])
    leaked = sorted(name for name, value in SECRET_NAMES.items() if value in json.dumps(seen))
    assert leaked == []
    assert seen["HF_HUB_OFFLINE"] == "1"


PROBE = """
import os
TARGETS = {targets!r}
class Submission:
    def load(self, device):
        for target in TARGETS:
            try:
                with open(target, "w") as out:
                    out.write("planted by the submission")
                print("WROTE " + target)
            except OSError as exc:
                print("REFUSED " + target + " " + type(exc).__name__)
    def predict(self, inputs):
        return inputs
"""


def test_the_judges_code_and_environment_are_read_only(tmp_path: Path) -> None:
    name = f"zz_probe_{uuid.uuid4().hex}.py"
    targets = [
        Path(sysconfig.get_paths()["purelib"]) / name,  # the judge's site-packages (jiwer, pydantic...)
        Path(sysconfig.get_paths()["stdlib"]) / name,  # the standard library the judge imports from
        Path(bench.__file__).parent / name,  # the harness's own code
    ]
    folder = write_team(tmp_path / "planter", PROBE.format(targets=[str(t) for t in targets]))
    try:
        result = _run(folder)
        planted = [str(t) for t in targets if t.exists()]
    finally:
        for target in targets:
            target.unlink(missing_ok=True)
    assert result.status == "ok", result.error
    assert planted == []


def test_the_team_folder_is_read_only_to_its_code(tmp_path: Path) -> None:
    # Otherwise the compressed run could rewrite the original's code before that one runs.
    folder = write_team(
        tmp_path / "rewriter", PROBE.format(targets=["bench.py", "data/eval.jsonl", "new.py"])
    )
    before = (folder / "bench.py").read_text(encoding="utf-8")
    result = _run(folder)
    assert result.status == "ok", result.error
    assert (folder / "bench.py").read_text(encoding="utf-8") == before
    assert not (folder / "new.py").exists()
    assert "planted" not in (folder / "data" / "eval.jsonl").read_text(encoding="utf-8")


LOOKER = """
import os
class Submission:
    def load(self, device):
        for path in ("../victim/bench.py", "../../README.md", "../../eval/references.jsonl"):
            try:
                with open(path) as handle:
                    print("READ " + path + " " + handle.read())
            except OSError as exc:
                print("HIDDEN " + path + " " + type(exc).__name__)
        try:
            print("LISTED " + " ".join(sorted(os.listdir(".."))))
        except OSError as exc:
            print("UNLISTABLE " + type(exc).__name__)
    def predict(self, inputs):
        return inputs
"""


def test_other_teams_and_the_course_are_invisible(tmp_path: Path) -> None:
    root = tmp_path / "course"
    write_team(root / "submissions" / "victim", "VICTIM_SECRET = 'victimCodeValue0123'\n")
    (root / "README.md").write_text("courseReadmeValue0123\n", encoding="utf-8")
    (root / "eval").mkdir()
    (root / "eval" / "references.jsonl").write_text('{"reference": "evalRefValue0123"}\n', encoding="utf-8")
    result = _run(write_team(root / "submissions" / "looker", LOOKER))
    assert result.status == "ok", result.error
    log = result.log_tail or ""
    for value in ("victimCodeValue0123", "courseReadmeValue0123", "evalRefValue0123"):
        assert value not in log, log
    listed = next(line for line in log.splitlines() if line.startswith(("LISTED", "UNLISTABLE")))
    assert "victim" not in listed


HONEST = """
import time
class Submission:
    def load(self, device):
        pass
    def predict(self, inputs):
        time.sleep(0.02)
        return inputs
"""


def _path_without_bwrap(tmp_path: Path) -> str:
    """A PATH holding git and nothing else: no sandbox tool can be found."""
    tools = tmp_path / "tools"
    tools.mkdir()
    git = shutil.which("git")
    assert git is not None
    (tools / "git").symlink_to(git)
    return str(tools)


@pytest.mark.parametrize("allowed", [False, True])
def test_an_unprotected_run_cannot_pass_unless_the_course_allows_it(tmp_path: Path, allowed: bool) -> None:
    settings = "[bench]\nthreads = 1\nwarmup = 1\nrepeats = 2\ntimeout_s = 60\n"
    if allowed:
        settings += "allow_unprotected = true\n"
    repo, base = course(tmp_path / "course", settings=settings)
    write_team(repo.path / "submissions" / "honest", HONEST)
    head = repo.commit({"README.md": readme(row("honest-model", cpu="20 ms"))}, "honest HW-1")
    done, report = verify(repo, base, head, "honest HW-1", env={"PATH": _path_without_bwrap(tmp_path)})
    assert "Traceback" not in done.stderr, done.stderr
    codes = {p["code"]: p["severity"] for p in report["problems"]}
    assert codes.get("run-unprotected") == ("warning" if allowed else "error"), report["problems"]
    assert report["verdict"] == ("pass" if allowed else "fail")
    assert done.returncode == (0 if allowed else 1)


IMPORT_WATCH = """
import json, sys
from validator.cli import main

started = []
def hook(event, args):
    if event == "subprocess.Popen" and not started and any("child" in str(a) for a in (args[1] or [])):
        started.append({name for name, module in sys.modules.items()})
sys.addaudithook(hook)
try:
    main(sys.argv[2:])
finally:
    late = sorted(
        name for name, module in list(sys.modules.items())
        if started and name not in started[0] and getattr(module, "__file__", None)
    )
    with open(sys.argv[1], "w") as out:
        json.dump({"started": bool(started), "late": late}, out)
"""

SPEAKER = """
class Submission:
    def load(self, device):
        pass
    def predict(self, inputs):
        return ["hello world" for _ in inputs]
"""


def test_the_judge_imports_nothing_after_a_child_started(tmp_path: Path) -> None:
    # A module first imported after a run could have been rewritten by it (where the sandbox is
    # missing): every module the judge needs is loaded before the first child starts.
    repo, base = course(tmp_path / "course")
    write_team(
        repo.path / "submissions" / "speaker",
        SPEAKER,
        inputs=["a", "b"],
        references=["hello world", "hello word"],
        task="speech-recognition",
    )
    head = repo.commit({"README.md": readme(row("speaker-model", quality="WER: 0.25"))}, "speaker HW-1")
    watch = tmp_path / "watch.py"
    watch.write_text(IMPORT_WATCH, encoding="utf-8")
    out = tmp_path / "late.json"
    done = subprocess.run(
        [
            sys.executable,
            str(watch),
            str(out),
            *("verify", "--repo", str(repo.path), "--base", base, "--head", head),
            *("--title", "speaker HW-1", "--format", "markdown"),
        ],
        cwd=repo.path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    watched = json.loads(out.read_text(encoding="utf-8"))
    assert watched["started"], done.stdout + done.stderr
    assert watched["late"] == [], " ".join(watched["late"])
