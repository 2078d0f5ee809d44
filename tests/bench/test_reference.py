"""The reference loader (`[bench] reference_original`): an original row run by the validator's own code.

Through `validator verify` on a real git course whose team declares a hub model served by the stand-in
hub: the team's original code (which would fail, or be slow on purpose) is not what runs; the
validator's loader runs the pinned model with greedy generation, and the report says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.runner import run_submission
from tests.bench.test_hub import REPO, SHA
from tests.bench.test_hub_cli import validator
from tests.diff.gitrepo import Repo, readme
from tests.standin_hub import StandinHub, greedy_submission, standin_hub, tiny_gpt2
from validator.config import BenchConfig

TEAM = "ref_team"
PROMPTS = [
    {"ids": [1, 2, 3], "new_tokens": 4},
    {"ids": [5, 6], "new_tokens": 4},
    {"ids": [7], "new_tokens": 4},
]
ORIGINAL = f"| {REPO} | Оригинал | 0.4Mb | 400ms | -- | 400Mb | - | - |"
FP16 = f"| {REPO} | FP16 | 0.2Mb | 20ms | -- | 400Mb | - | - |"

CODE = """
import time
import torch
from transformers import AutoModelForCausalLM


class Original:
    # A team that writes its own baseline can make it as slow as it likes: here it cannot even load.
    def load(self, device):
        raise RuntimeError("the team's original code ran")

    def predict(self, inputs):
        return inputs

"""


def _manifest(original_hub: bool = True) -> str:
    hub = f'hub = [{{ repo = "{REPO}", revision = "{SHA}", files = ["*.json", "*.safetensors"] }}]\n'
    runs = ""
    for method, entry in (("Оригинал", "Original"), ("FP16", "Half")):
        declared = hub if original_hub or entry == "Half" else ""
        runs += (
            f'\n[[run]]\nmodel = "{REPO}"\nmethod = "{method}"\nentry = "sub.py:{entry}"\n'
            f'task = "text-generation"\ndata = "data/eval.jsonl"\n{declared}'
        )
    return f'team = "{TEAM}"\n{runs}'


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_gpt2(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def hub(model: Path) -> Iterator[StandinHub]:
    with standin_hub() as server:
        server.add_folder(REPO, SHA, model)
        yield server


@pytest.fixture(scope="module")
def greedy(model: Path) -> list[list[int]]:
    """What greedy generation of the pinned model answers, computed here in the test's own process."""
    import torch
    from transformers import AutoModelForCausalLM

    loaded = AutoModelForCausalLM.from_pretrained(model).eval()
    answers = []
    with torch.no_grad():
        for prompt in PROMPTS:
            ids = torch.tensor([prompt["ids"]])
            n = int(prompt["new_tokens"])
            out = loaded.generate(ids, max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=0)
            answers.append(out[0, ids.shape[1] :].tolist())
    return answers


def _course(
    path: Path, greedy: list[list[int]], reference: bool, original_hub: bool = True
) -> tuple[Repo, str, str]:
    repo = Repo(path)
    settings = (
        "[bench]\nthreads = 1\nwarmup = 1\nrepeats = 2\ntimeout_s = 180\nmemory_limit_mb = 2000\n"
        f"allow_unprotected = true\nreference_original = {'true' if reference else 'false'}\n"
        "[compare]\nconfirm_runs = 0\n"
    )
    base = repo.commit({"README.md": readme(), "validator.toml": settings}, "course")
    data = "".join(
        json.dumps({"input": p, "reference": g}) + "\n" for p, g in zip(PROMPTS, greedy, strict=True)
    )
    head = repo.commit(
        {
            "README.md": readme(ORIGINAL, FP16),
            f"submissions/{TEAM}/bench.toml": _manifest(original_hub),
            f"submissions/{TEAM}/sub.py": CODE + greedy_submission("Half", REPO),
            f"submissions/{TEAM}/data/eval.jsonl": data,
        },
        f"{TEAM} HW-1",
    )
    return repo, base, head


def _verify(repo: Repo, base: str, head: str, hub: StandinHub, cache: Path) -> tuple[dict[str, Any], str]:
    markdown = repo.path.parent / "report.md"
    done = validator(
        "verify", "--repo", str(repo.path), "--base", base, "--head", head, "--title", f"{TEAM} HW-1",
        "--format", "json", "--markdown", str(markdown), hub=hub, cache=cache,
    )  # fmt: skip
    return json.loads(done.stdout), markdown.read_text(encoding="utf-8")


def test_the_original_row_is_run_by_the_reference_loader(
    hub: StandinHub, greedy: list[list[int]], tmp_path: Path
) -> None:
    repo, base, head = _course(tmp_path / "course", greedy, reference=True)
    report, markdown = _verify(repo, base, head, hub, tmp_path / "cache")
    rows = {r["method"]: r for r in report["rows"]}
    assert rows["Оригинал"]["status"] == "ok", report["problems"]
    assert rows["Оригинал"]["reference_loader"] == f"{REPO}@{SHA}"
    assert rows["FP16"]["status"] == "ok" and rows["FP16"]["reference_loader"] is None
    # The loader's greedy ids are the model's: the team's references are matched exactly.
    checks = {c["field"]: c for c in rows["Оригинал"]["checks"]}
    assert checks["quality.exact match"]["verified"]["value"] == 100.0
    ratios = report["ratios"]
    assert ratios and {r["baseline_reference"] for r in ratios} == {f"{REPO}@{SHA}"}
    assert "reference loader" in markdown
    assert markdown.count("not by the team's code") >= 2  # under the ratios and on the original's row


def test_without_the_setting_the_teams_original_code_runs(
    hub: StandinHub, greedy: list[list[int]], tmp_path: Path
) -> None:
    repo, base, head = _course(tmp_path / "course", greedy, reference=False)
    report, markdown = _verify(repo, base, head, hub, tmp_path / "cache")
    rows = {r["method"]: r for r in report["rows"]}
    assert rows["Оригинал"]["status"] == "error"
    assert "the team's original code ran" in (rows["Оригинал"]["log_tail"] or "")
    assert rows["Оригинал"]["reference_loader"] is None
    assert "reference loader" not in markdown


def test_a_reference_run_needs_a_hub_model(tmp_path: Path, make_team: Any, quick: BenchConfig) -> None:
    manifest = make_team(
        "class S:\n    def load(self, d):\n        pass\n    def predict(self, x):\n        return x\n"
    )
    result = run_submission(manifest, manifest.runs[0], device="cpu", config=quick, reference=True)
    assert (result.status, result.error) == ("error", "the reference loader needs the run's hub model")


def test_an_original_without_a_hub_model_is_the_teams_and_the_report_warns(
    hub: StandinHub, greedy: list[list[int]], tmp_path: Path
) -> None:
    repo, base, head = _course(tmp_path / "course", greedy, reference=True, original_hub=False)
    report, _ = _verify(repo, base, head, hub, tmp_path / "cache")
    rows = {r["method"]: r for r in report["rows"]}
    assert rows["Оригинал"]["status"] == "error" and rows["Оригинал"]["reference_loader"] is None
    warned = [p for p in report["problems"] if p["code"] == "original-run-by-team"]
    assert [(p["severity"], p["line"]) for p in warned] == [("warning", rows["Оригинал"]["line"])]
