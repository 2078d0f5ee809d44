"""Hub artifacts: fetched by the judge from a stand-in hub on 127.0.0.1, seen read-only by the child.

The stand-in (`tests/standin_hub.py`) serves a random-weight GPT-2 saved with `save_pretrained`; the
real huggingface_hub client downloads it, the real harness runs a submission that loads it with
`from_pretrained` inside the sandbox, offline. Nothing reaches the internet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.hub import CannotFetchArtifact, fetch, fetch_all, snapshot
from bench.manifest import Manifest, load_manifest
from bench.runner import run_submission
from bench.sandbox import find_sandbox
from tests.conftest import ROOT
from tests.standin_hub import StandinHub, standin_hub, tiny_gpt2
from validator.config import BenchConfig
from validator.model import HubArtifact
from validator.units import mb

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER_SHA = "fedcba9876543210fedcba9876543210fedcba98"
REPO = "course-org/tiny-gpt2"

#: Loads the hub model by name only (its `main`, pinned by the judge) and by revision; probes the cache.
LOADER = """
import json, os
import torch
from transformers import AutoModelForCausalLM


class S:
    def load(self, device):
        self.model = AutoModelForCausalLM.from_pretrained("{repo}").eval()
        AutoModelForCausalLM.from_pretrained("{repo}", revision="{sha}")
        cache = os.environ["HF_HUB_CACHE"]
        repo = os.path.join(cache, "models--{folder}")
        probes = {{}}
        refs = os.path.join(repo, "refs", "main")
        targets = (refs, os.path.join(repo, "planted"), os.path.join(cache, "x"))
        for target in targets:
            try:
                with open(target, "w") as handle:
                    handle.write("{other}")
                probes[target] = "written"
            except OSError as exc:
                probes[target] = type(exc).__name__
        seen = {{"probes": probes, "token": os.environ.get("HF_TOKEN"), "listing": sorted(os.listdir(cache))}}
        print("PROBE " + json.dumps(seen))
        {modify}

    def predict(self, inputs):
        with torch.no_grad():
            ids = torch.tensor([inputs[0]])
            return [self.model(ids).logits[0, -1].argmax().item()]
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandinHub]:
    model = tiny_gpt2(tmp_path_factory.mktemp("model"))
    with standin_hub() as server:
        server.add_folder(REPO, SHA, model)
        server.add_folder(REPO, OTHER_SHA, model)
        yield server


@pytest.fixture
def endpoint(hub: StandinHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The stand-in as the judge's hub, and an empty cache of this test's own."""
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    cache = tmp_path / "hub-cache"
    monkeypatch.setenv("VALIDATOR_HUB_CACHE", str(cache))
    return cache


def _team(folder: Path, code: str, hub_line: str) -> Manifest:
    folder.mkdir(parents=True)
    (folder / "sub.py").write_text(textwrap.dedent(code), encoding="utf-8")
    (folder / "data").mkdir()
    (folder / "data" / "eval.jsonl").write_text(
        "".join(json.dumps({"input": [1, 2, i]}) + "\n" for i in range(4)), encoding="utf-8"
    )
    (folder / "bench.toml").write_text(
        'team = "team"\n[[run]]\nmodel = "gpt2"\nmethod = "Original"\nentry = "sub.py:S"\n'
        f'task = "generic"\ndata = "data/eval.jsonl"\n{hub_line}\n',
        encoding="utf-8",
    )
    return load_manifest(folder)


def _loader(modify: str = "pass", sha: str = SHA) -> str:
    return LOADER.format(repo=REPO, sha=sha, other=OTHER_SHA, folder=REPO.replace("/", "--"), modify=modify)


def _hub_line(revision: str = SHA, repo: str = REPO, files: str = '["*.json", "*.safetensors"]') -> str:
    return f'hub = [{{ repo = "{repo}", revision = "{revision}", files = {files} }}]'


def _probe(log: str | None) -> dict[str, object]:
    seen: dict[str, object] = json.loads((log or "").split("PROBE ", 1)[1].splitlines()[0])
    return seen


def test_fetch_downloads_the_pinned_files_from_the_endpoint(endpoint: Path, hub: StandinHub) -> None:
    artifact = HubArtifact(repo=REPO, revision=SHA, files=["*.json", "*.safetensors"])
    folder = fetch(artifact, endpoint)
    assert folder == snapshot(endpoint, artifact)
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "generation_config.json",
        "model.safetensors",
    ]
    assert any(path.startswith(f"/{REPO}/resolve/{SHA}/") for _, path, _ in hub.requests)


def test_the_token_reaches_the_hub_and_never_the_child(
    endpoint: Path, hub: StandinHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, quick: BenchConfig
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_judge_secret")
    manifest = _team(tmp_path / "team", _loader(), _hub_line())
    # Even a course that lists the token's name in pass_env does not hand it to student code.
    config = quick.model_copy(update={"pass_env": ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"], "timeout_s": 120})
    config = config.model_copy(update={"memory_limit_mb": 2000})
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "ok", (result.error, result.log_tail)
    assert "Bearer hf_judge_secret" in {auth for _, _, auth in hub.requests}
    assert _probe(result.log_tail)["token"] is None
    assert "hf_judge_secret" not in (result.log_tail or "")


@pytest.mark.skipif(
    not find_sandbox().protected, reason="needs bubblewrap: the unprotected mode is tested below"
)
def test_a_sandboxed_run_loads_the_hub_model_offline_and_cannot_write_the_cache(
    endpoint: Path, tmp_path: Path, quick: BenchConfig
) -> None:
    manifest = _team(tmp_path / "team", _loader(), _hub_line())
    config = quick.model_copy(update={"timeout_s": 120, "memory_limit_mb": 2000, "sandbox": "bwrap"})
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "ok", (result.error, result.log_tail)
    assert result.sandbox == "bwrap" and result.samples == 4 and result.cpu_speed is not None
    seen = _probe(result.log_tail)
    probes = seen["probes"]
    assert isinstance(probes, dict) and len(probes) == 3
    assert "written" not in probes.values(), probes
    # The child sees its own run's repositories, nothing else of the judge's cache.
    assert seen["listing"] == [f"models--{REPO.replace('/', '--')}"]
    assert (endpoint / f"models--{REPO.replace('/', '--')}" / "refs" / "main").read_text() == SHA
    assert not (endpoint / f"models--{REPO.replace('/', '--')}" / "planted").exists()


@pytest.mark.parametrize("sandbox", ["auto", "none"])
def test_an_unmodified_hub_models_weights_size_is_its_weights_files(
    endpoint: Path, tmp_path: Path, quick: BenchConfig, sandbox: str
) -> None:
    """Sandboxed or not (an unprotected run gets the host cache), the model loads offline by name."""
    manifest = _team(tmp_path / "team", _loader(), _hub_line())
    config = quick.model_copy(update={"timeout_s": 120, "memory_limit_mb": 2000, "sandbox": sandbox})
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "ok", (result.error, result.log_tail)
    assert result.sandbox == ("none" if sandbox == "none" else find_sandbox().kind)
    files = snapshot(endpoint, manifest.runs[0].hub[0])
    expected = (files / "model.safetensors").stat().st_size
    assert result.weights_source == "hub"
    assert result.weights_size is not None and result.weights_size.value == round(mb(expected), 2)


def test_a_hub_model_compressed_after_loading_is_sized_by_its_parameters(
    endpoint: Path, tmp_path: Path, quick: BenchConfig
) -> None:
    manifest = _team(tmp_path / "team", _loader("self.model = self.model.half()"), _hub_line())
    config = quick.model_copy(update={"timeout_s": 120, "memory_limit_mb": 2000})
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=config)
    assert result.status == "ok", (result.error, result.log_tail)
    files = snapshot(endpoint, manifest.runs[0].hub[0])
    assert result.weights_source == "parameters"
    assert result.weights_size is not None
    assert result.weights_size.value < 0.6 * mb((files / "model.safetensors").stat().st_size)


@pytest.mark.parametrize(
    ("hub_line", "expected"),
    [
        (_hub_line(repo="course-org/missing"), "the hub has no repository course-org/missing"),
        (_hub_line(revision="1" * 40), f"the hub has no revision {'1' * 40} of {REPO}"),
        (_hub_line(files='["*.gguf"]'), "`*.gguf` matches no file of the revision"),
    ],
    ids=["repository", "revision", "glob"],
)
def test_a_missing_artifact_is_the_runs_clear_error(
    endpoint: Path, tmp_path: Path, quick: BenchConfig, hub_line: str, expected: str
) -> None:
    manifest = _team(tmp_path / "team", _loader(), hub_line)
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick)
    assert result.status == "error"
    assert result.error is not None and expected in result.error
    artifact = manifest.runs[0].hub[0]
    assert result.error.startswith(f"{artifact.repo}@{artifact.revision[:12]}: ")
    assert result.log_tail is None  # no child was started


def test_no_hub_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(CannotFetchArtifact, match=f"{REPO}@{SHA[:12]}: cannot reach the hub"):
        fetch(HubArtifact(repo=REPO, revision=SHA), tmp_path / "cache")


def test_a_cached_artifact_needs_no_hub(endpoint: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    artifact = HubArtifact(repo=REPO, revision=SHA, files=["*.json"])
    fetch(artifact, endpoint)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    assert (fetch(artifact, endpoint) / "config.json").is_file()


def test_fetch_all_fetches_each_artifact_once_per_job(
    endpoint: Path, hub: StandinHub, tmp_path: Path
) -> None:
    manifest = _team(tmp_path / "team", _loader(), _hub_line(files='["config.json"]'))
    before = len(hub.requests)
    first = fetch_all(manifest.runs * 3, None)
    during = len(hub.requests)
    second = fetch_all(manifest.runs, None)
    assert first.errors == second.errors == {} and first.cache == endpoint.resolve()
    assert during > before and len(hub.requests) == during


def test_validator_check_does_not_import_huggingface_hub() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "validator",
            "check",
            str(ROOT / "examples" / "course" / "README.md"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "validator.check" in imported
    assert not any(name.startswith("huggingface_hub") for name in imported)


def test_a_poisoned_cache_is_repaired_from_the_hub(endpoint: Path) -> None:
    """A cache restored from CI may hold files that are not the hub's: each is checked against the
    hub's hashes (sha256 of LFS files, git blob ids of the others) and fetched again."""
    artifact = HubArtifact(repo=REPO, revision=SHA, files=["*.json", "*.safetensors"])
    folder = fetch(artifact, endpoint)
    weights, config = folder / "model.safetensors", folder / "config.json"
    genuine = weights.read_bytes(), config.read_bytes()
    weights.resolve().write_bytes(b"\0" * len(genuine[0]))  # same size, other bytes
    config.resolve().write_text('{"model_type": "gpt2", "n_layer": 99}')
    (folder / "model.safetensors.index.json").write_text("{}")  # a planted file loaders would follow
    fetch(artifact, endpoint)
    assert (weights.read_bytes(), config.read_bytes()) == genuine
    assert not (folder / "model.safetensors.index.json").exists()
