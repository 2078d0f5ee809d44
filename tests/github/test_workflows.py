"""The action and the workflows: zizmor's audit, and the security properties the design rests on."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
OWN = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
COURSE = ROOT / "examples" / "course" / ".github" / "workflows"
ALL = [ACTION, *OWN, *sorted(COURSE.glob("*.yml"))]
PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def _steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in data:
        return list(data["runs"]["steps"])
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


def _zizmor() -> str | None:
    beside = Path(sys.executable).parent / "zizmor"
    return str(beside) if beside.exists() else shutil.which("zizmor")


def test_the_files_exist() -> None:
    assert {p.name for p in COURSE.glob("*.yml")} == {"validate.yml", "comment.yml", "gpu.yml"}
    assert {p.name for p in OWN} == {"ci.yml", "release.yml"}
    assert OWN


def test_zizmor_finds_nothing_of_medium_or_high_severity() -> None:
    zizmor = _zizmor()
    if zizmor is None:
        pytest.skip("zizmor is not installed (it is in the `test` extra)")
    done = subprocess.run(
        [zizmor, "--offline", "--format", "json", *map(str, ALL)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    findings = json.loads(done.stdout)
    serious = [
        (f["ident"], f["locations"][0]["symbolic"]["key"])
        for f in findings
        if f["determinations"]["severity"] in ("Medium", "High")
    ]
    assert serious == []
    assert done.returncode in (0, 11, 12), done.stderr  # 11: informational, 12: low


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_uses_is_pinned_to_a_full_commit_with_its_version(path: Path) -> None:
    for step in _steps(_load(path)):
        uses = step.get("uses")
        if uses is None or uses == "./":
            continue
        line = next(line for line in path.read_text().splitlines() if f"uses: {uses}" in line)
        assert PIN.match(line.split("uses: ", 1)[1]), line


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_expression_inside_run(path: Path) -> None:
    for step in _steps(_load(path)):
        assert "${{" not in step.get("run", ""), step.get("name")


@pytest.mark.parametrize("path", ALL[1:], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_job_has_a_timeout_and_checkouts_keep_no_credentials(path: Path) -> None:
    data = _load(path)
    for name, job in data["jobs"].items():
        assert "timeout-minutes" in job, name
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_the_action_keeps_the_token_away_from_student_code() -> None:
    steps = {step.get("id"): step for step in _steps(_load(ACTION))}
    assert steps["run"]["if"] == "inputs.mode != 'comment'"
    assert "GITHUB_TOKEN" not in steps["run"]["env"]
    assert steps["comment"]["if"] == "inputs.mode == 'comment'"
    assert steps["comment"]["env"]["GITHUB_TOKEN"] == "${{ inputs.token }}"
    assert not any(
        "GITHUB_TOKEN" in str(step.get("env", {})) for step in steps.values() if step is not steps["comment"]
    )


def test_validate_is_unprivileged() -> None:
    data = _load(COURSE / "validate.yml")
    assert list(data["on"]) == ["pull_request"]
    assert data["permissions"] == {"contents": "read"}
    assert "concurrency" in data
    assert "secrets." not in (COURSE / "validate.yml").read_text()
    assert (
        data["jobs"]["verify"]["strategy"]["matrix"]["team"]
        == "${{ fromJSON(needs.plan.outputs.submissions || '[\"\"]') }}"
    )
    assert data["jobs"]["join"]["needs"] == ["plan", "verify"]
    # Whatever failed before it, the join writes the report the comment is made of.
    assert data["jobs"]["join"]["if"] == "${{ !cancelled() }}"
    plan_steps = {step.get("name"): step for step in data["jobs"]["plan"]["steps"]}
    assert plan_steps["Check the table"]["continue-on-error"] is True
    assert plan_steps["Diff against the base"]["continue-on-error"] is True


def test_validate_and_gpu_name_their_runs_alike_for_the_comment_queue() -> None:
    names = {_load(COURSE / name)["run-name"] for name in ("validate.yml", "gpu.yml")}
    assert names == {"pull request #${{ github.event.pull_request.number }}"}


def test_comment_never_touches_pull_request_code() -> None:
    data = _load(COURSE / "comment.yml")
    assert data["on"]["workflow_run"]["types"] == ["completed"]
    assert data["permissions"] == {}
    job = data["jobs"]["comment"]
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    uses = [step.get("uses", "") for step in job["steps"]]
    assert not any(u.startswith("actions/checkout@") for u in uses)
    for step in job["steps"]:
        if step.get("uses", "").startswith("actions/download-artifact@"):
            assert step["with"]["path"].startswith("${{ runner.temp }}")
    posts = [step for step in job["steps"] if step.get("with", {}).get("mode") == "comment"]
    # validate's report, a validate run without one, gpu's report: each posts only on a proven head.
    assert len(posts) == 3
    assert all(s["with"].get("head-sha") or s["with"].get("head-sha-file") for s in posts)
    # One queue per pull request (the runs' shared name), never the head_sha (the base's, for gpu).
    assert "display_title" in data["concurrency"]["group"]
    assert "head_sha" not in data["concurrency"]["group"]
    assert data["concurrency"]["cancel-in-progress"] is False
    # A run that left no artifact does not turn the job red.
    download = next(s for s in job["steps"] if s.get("id") == "report")
    assert download["continue-on-error"] is True
    assert download["with"]["name"] == "validator-report"


def test_gpu_runs_exactly_the_labelled_commit_with_nothing_to_steal() -> None:
    text = (COURSE / "gpu.yml").read_text()
    data = _load(COURSE / "gpu.yml")
    assert data["on"] == {"pull_request_target": {"types": ["labeled"]}}
    assert data["permissions"] == {}
    assert "secrets." not in text
    accept, gpu = data["jobs"]["accept"], data["jobs"]["gpu"]
    assert "github.event.label.name" in accept["if"]
    assert any(
        "/labels/$label" in step.get("run", "") and "DELETE" in step["run"] for step in accept["steps"]
    )
    assert gpu["needs"] == "accept"
    assert gpu["permissions"] == {}
    assert gpu["runs-on"] == ["self-hosted", "gpu"]
    checkout = gpu["steps"][0]
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"
    assert checkout["with"]["persist-credentials"] is False
    assert [s["with"].get("device") for s in gpu["steps"] if s.get("with", {}).get("mode") == "verify"] == [
        "cuda"
    ]


def test_selftest_uses_the_action_from_this_checkout() -> None:
    data = _load(ROOT / ".github" / "workflows" / "ci.yml")
    assert any(step.get("uses") == "./" for step in data["jobs"]["selftest"]["steps"])
    assert any("zizmor --offline" in step.get("run", "") for step in data["jobs"]["lint"]["steps"])


def _cache_steps(job: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (step["uses"].split("@")[0], step.get("with", {}))
        for step in job["steps"]
        if step.get("uses", "").startswith("actions/cache")
    ]


def test_the_hub_cache_is_kept_by_manifests_and_never_saved_from_a_privileged_run() -> None:
    """validate (unprivileged, its caches scoped to the pull request) restores and saves the hub cache;
    gpu (pull_request_target: the base branch's scope, which every later run reads) only restores it."""
    key = "validator-hub-${{ hashFiles('submissions/*/bench.toml') }}"
    verify = _load(COURSE / "validate.yml")["jobs"]["verify"]
    gpu = _load(COURSE / "gpu.yml")["jobs"]["gpu"]
    for job in (verify, gpu):
        assert job["env"]["VALIDATOR_HUB_CACHE"] == "~/.cache/validator/hub"
        restore = dict(_cache_steps(job))["actions/cache/restore"]
        # only where a manifest declares a hub repository: no empty caches, no warnings on other PRs
        assert all(
            "steps.hub.outputs.declared == 'true'" in s["if"]
            for s in job["steps"]
            if "cache/" in s.get("uses", "")
        )
        assert restore == {
            "path": "${{ env.VALIDATOR_HUB_CACHE }}",
            "key": key,
            "restore-keys": "validator-hub-",
        }
    names = [s.get("uses", "").split("@")[0] or s.get("name") for s in verify["steps"]]
    # restored before the validator runs, saved after it
    assert (
        names.index("actions/cache/restore")
        < names.index("OWNER/validator")
        < names.index("actions/cache/save")
    )
    assert [name for name, _ in _cache_steps(gpu)] == ["actions/cache/restore"]
    for path in ALL:
        assert "actions/cache@" not in path.read_text()  # the combined action saves in a post step
