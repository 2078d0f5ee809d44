"""Hub artifacts through the command line a maintainer and CI use: `validator bench`, `diff`, `verify`.

The judge's hub is the stand-in on 127.0.0.1 (`HF_ENDPOINT`); the cache is the test's own
(`VALIDATOR_HUB_CACHE`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bench.test_hub import REPO, SHA, _loader
from tests.conftest import ROOT
from tests.diff.gitrepo import Repo, readme
from tests.standin_hub import StandinHub, standin_hub, tiny_gpt2

TEAM = "hub_team"
MANIFEST = f"submissions/{TEAM}/bench.toml"
ROW = f"| {REPO} | Оригинал | 0.4Mb | 5ms | -- | 400Mb | - | - |"
SETTINGS = (
    "[bench]\nthreads = 1\nwarmup = 1\nrepeats = 2\ntimeout_s = 120\nmemory_limit_mb = 2000\n"
    "allow_unprotected = true\n"
)


def manifest(revision: str) -> str:
    return (
        f'team = "{TEAM}"\n\n[[run]]\nmodel = "{REPO}"\nmethod = "Оригинал"\nentry = "sub.py:S"\n'
        'task = "generic"\ndata = "data/eval.jsonl"\n'
        f'hub = [\n  {{ repo = "{REPO}", revision = "{revision}", '
        'files = ["*.json", "*.safetensors"] },\n]\n'
    )


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandinHub]:
    model = tiny_gpt2(tmp_path_factory.mktemp("model"))
    with standin_hub() as server:
        server.add_folder(REPO, SHA, model)
        yield server


def validator(
    *args: str, hub: StandinHub, cache: Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "GITHUB_"))}
    env.update({"HF_ENDPOINT": hub.url, "VALIDATOR_HUB_CACHE": str(cache), "PYTHONPATH": str(ROOT)})
    done = subprocess.run(
        [sys.executable, "-m", "validator", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
        cwd=cwd,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def course(path: Path, revision: str) -> tuple[Repo, str, str]:
    repo = Repo(path)
    base = repo.commit({"README.md": readme(), "validator.toml": SETTINGS}, "course")
    data = "".join(json.dumps({"input": [1, 2, i]}) + "\n" for i in range(4))
    head = repo.commit(
        {
            "README.md": readme(ROW),
            MANIFEST: manifest(revision),
            f"submissions/{TEAM}/sub.py": _loader(),
            f"submissions/{TEAM}/data/eval.jsonl": data,
        },
        f"{TEAM} HW-1",
    )
    return repo, base, head


def problems(report: dict[str, Any]) -> list[tuple[str, str | None, int | None, int | None]]:
    return [(p["code"], p.get("path"), p.get("line"), p.get("column")) for p in report["problems"]]


def test_validator_bench_fetches_and_measures_a_hub_model(hub: StandinHub, tmp_path: Path) -> None:
    repo, _, _ = course(tmp_path / "course", SHA)
    done = validator(
        "bench", str(repo.path / "submissions" / TEAM), "--format", "json", hub=hub, cache=tmp_path / "c"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    run = json.loads(done.stdout)["runs"][0]
    assert run["status"] == "ok" and run["weights_source"] == "hub"
    weights = tmp_path / "c" / f"models--{REPO.replace('/', '--')}" / "snapshots" / SHA / "model.safetensors"
    assert run["weights_size"]["value"] == round(weights.stat().st_size / 1024**2, 2)


@pytest.mark.parametrize("command", ["diff", "verify"])
def test_a_revision_that_is_not_a_commit_is_a_problem_at_its_line(
    hub: StandinHub, tmp_path: Path, command: str
) -> None:
    repo, base, head = course(tmp_path / "course", "main")
    before = len(hub.requests)
    done = validator(
        command, "--repo", str(repo.path), "--base", base, "--head", head, "--title", f"{TEAM} HW-1",
        "--format", "json", hub=hub, cache=tmp_path / "c",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    line = (
        manifest("main").splitlines().index(next(t for t in manifest("main").splitlines() if "revision" in t))
        + 1
    )
    column = manifest("main").splitlines()[line - 1].index('"main"') + 1
    assert ("manifest-invalid", MANIFEST, line, column) in problems(report)
    found = next(p for p in report["problems"] if p["code"] == "manifest-invalid")
    assert "revision 'main' is not a commit sha" in found["message"]
    assert len(hub.requests) == before  # a manifest that is not valid fetches nothing


def test_validator_verify_fetches_before_the_runs_and_judges_the_row(hub: StandinHub, tmp_path: Path) -> None:
    repo, base, head = course(tmp_path / "course", SHA)
    done = validator(
        "verify", "--repo", str(repo.path), "--base", base, "--head", head, "--title", f"{TEAM} HW-1",
        "--format", "json", hub=hub, cache=tmp_path / "c",
    )  # fmt: skip
    report = json.loads(done.stdout)
    assert [(r["model"], r["status"]) for r in report["rows"]] == [(REPO, "ok")], report
    assert (
        tmp_path / "c" / f"models--{REPO.replace('/', '--')}" / "snapshots" / SHA / "config.json"
    ).is_file()


def test_validator_verify_reports_a_missing_revision_as_the_rows_failure(
    hub: StandinHub, tmp_path: Path
) -> None:
    missing = "2" * 40
    repo, base, head = course(tmp_path / "course", missing)
    done = validator(
        "verify", "--repo", str(repo.path), "--base", base, "--head", head, "--title", f"{TEAM} HW-1",
        "--format", "json", hub=hub, cache=tmp_path / "c",
    )  # fmt: skip
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert [(r["model"], r["status"]) for r in report["rows"]] == [(REPO, "error")]
    failed = next(p for p in report["problems"] if p["code"] == "run-failed")
    assert f"{REPO}@{missing[:12]}: the hub has no revision {missing} of {REPO}" in failed["message"]
