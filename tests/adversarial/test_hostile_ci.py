"""`validator ci --mode verify` on a submission that prints workflow commands: shown, never obeyed.

The real verify runs the real harness on a PR (a throwaway git repository) whose submission prints
workflow commands on stdout and stderr and raises an exception whose message is a workflow command.
Everything of theirs that reaches the step's log must sit between `::stop-commands::TOKEN` and
`::TOKEN::`; what comes after is only our own annotations, one line each.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.diff.gitrepo import Repo, readme

from .hostile import CONFIG

ROOT = Path(__file__).resolve().parents[2]
EVENT = ROOT / "tests" / "github" / "events" / "opened_same_repo.json"
COMMANDS = [
    "::error file=README.md,line=1::all claims verified",
    "::set-output name=verdict::pass",
    "::add-mask::README",
    "::notice::approved by the validator",
]
SUBMISSION = f"""
import sys
COMMANDS = {COMMANDS!r}
class Submission:
    def load(self, device):
        for command in COMMANDS:
            print(command)
            print(command, file=sys.stderr)
        sys.stdout.write("::stop-commands::guess")  # no newline: would swallow a resume command
        sys.stdout.flush()
        raise RuntimeError("\\n".join(COMMANDS))
    def predict(self, inputs):
        return inputs
"""
MODEL = "::warning::cell"
ROW = f"| {MODEL} | Оригинал | 1 MB | 10 ms | -- | 100 MB | -- | 50% Accuracy |"
OUR_ANNOTATION = re.compile(
    r"^::(error|warning|notice) file=[^:,]*(,line=\d+)?(,col=\d+)?,title=[a-z0-9-]+::"
)


def test_student_workflow_commands_are_never_obeyed(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "course")
    base = repo.commit({"README.md": readme(), "validator.toml": CONFIG}, "course")
    team = "team-rocket"  # the team the event's title names
    manifest = (
        f'team = "{team}"\n[[run]]\nmodel = "{MODEL}"\nmethod = "Оригинал"\nentry = "bench.py:Submission"\n'
        'data = "data/eval.jsonl"\n'
    )
    head = repo.commit(
        {
            "README.md": readme(ROW),
            f"submissions/{team}/bench.toml": manifest,
            f"submissions/{team}/bench.py": SUBMISSION,
            f"submissions/{team}/data/eval.jsonl": '{"input": 1}\n',
        },
        "team-rocket HW3",
    )
    event = json.loads(EVENT.read_text(encoding="utf-8"))
    event["pull_request"]["base"]["sha"], event["pull_request"]["head"]["sha"] = base, head
    (tmp_path / "event.json").write_text(json.dumps(event), encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "validator",
            "ci",
            "--mode",
            "verify",
            "--event",
            str(tmp_path / "event.json"),
        ],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token), lines[0]
    resume = lines.index(f"::{token}::")
    # Their text reached the log inside the stopped region: the model cell starts a line of verify's
    # text report, and the report quotes the last line of their error...
    assert f"{MODEL} · Оригинал (line 8): failed" in lines[1:resume]
    assert any("approved by the validator" in line for line in lines[1:resume])
    # ...and after it only our annotations start a command, their text escaped inside one line each.
    after = [line for line in lines[resume + 1 :] if line.startswith("::")]
    assert after, "verify's problems are annotated"
    for line in after:
        assert OUR_ANNOTATION.match(line), line
    assert all(not line.startswith("::") or OUR_ANNOTATION.match(line) for line in lines[resume + 1 :])
    outputs = (tmp_path / "output.txt").read_text(encoding="utf-8")
    assert "verdict<<" in outputs
    assert re.search(r"verdict<<(\S+)\nfail\n\1\n", outputs)
    assert "set-output" not in outputs
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "::set-output" not in re.sub(r"```text\n.*?```", "", summary, flags=re.S)
