#!/usr/bin/env python3
"""Real submissions at real size through `validator verify` (issue 15, item 5; docs/performance.md).

Builds a throwaway course repository (git, a base commit and one pull request per team, like
scripts/bench_verify.py and the end-to-end tests) holding three teams whose models have the sizes of
real course submissions, built from transformers configs with random weights (nothing is downloaded):

- llm:     a Qwen2.5-0.5B-sized causal LM (Qwen2Config), greedy generation of token ids;
- whisper: a whisper-small-sized speech model (WhisperConfig), synthetic 16 kHz audio, greedy decoding;
- bert:    a bert-large-sized token classifier (BertConfig, 9 BIO labels as dslim/bert-large-NER).

Each team has an ORIGINAL row (`save_pretrained`, safetensors) and a DYNAMICALLY QUANTIZED row
(`torch.ao.quantization.quantize_dynamic` on every nn.Linear, qint8) whose quantized state_dict is
saved with torch.save and loaded into a quantized skeleton: the row's weights are its own file.

For each team the script first runs a *bare loop*: a plain process (no harness, no sandbox) that
imports the team's class, loads it and times the same calls the harness will make (same warm-up and
timed batches, same thread count); the team's claims in the README rows are those numbers, as an
honest team measuring on the same machine would write them. Then it commits the pull request and
runs `validator verify --base --head` as a user does, and reports per row: wall time, peak RAM and
speed from verify's JSON report, the harness's overhead against the bare loop (wall clock and
CPU-seconds), CPU-seconds per row, and a projection to a 4-core GitHub-hosted runner (`project_row`).

Usage: python scripts/bench_realsize.py [--only llm|whisper|bert] [--samples N] [--json out.json]
                                        [--keep] [--size real|tiny] [--threads N] [--probe-threads N]
                                        [--warmup N] [--repeats N]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]

Size = Literal["real", "tiny"]
FAMILIES = ("bert", "whisper", "llm")  # smallest first: a failure shows before the long runs
ORIGINAL = "Оригинал"
INT8 = "INT8 (dynamic quantization)"
NEW_TOKENS = 24  # greedy tokens per LLM prompt and per transcript
#: The parallel fraction of predict assumed for the second projection (docs/performance.md): the
#: 1 -> 2 thread probe cannot measure it on a loaded 2-core machine, where two threads stall.
ASSUMED_P = 0.8
GIT_IDENTITY = ["-c", "user.name=validator realsize", "-c", "user.email=realsize@example.invalid"]
TABLE_HEADER = (
    "| Модель | Метод | Размер весов (MB) | Время инференса (CPU) | Время инференса (GPU) "
    "| Использование RAM (MB) | Использование VRAM (MB) | Качество |\n"
    "| :--- | :----: | :----: | :----: | :----: | :----: | :----: | :----: |\n"
)

# ---------------------------------------------------------------------------------------------------
# The teams' code, written into the course as each team's bench.py (student code: not checked here).

LOAD_INT8 = '''
def load_int8(model_class, folder: Path):
    """The quantized state saved by torch.save, loaded into a quantized skeleton of the same config."""
    config = model_class.config_class.from_pretrained(folder)
    with no_init_weights():  # every weight is overwritten by the saved state
        model = model_class(config).eval()
    for parameter in model.parameters():
        parameter.data.zero_()  # uninitialized memory may hold NaN, which the observer refuses
    model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    state = torch.load(folder / "model_int8.pt", weights_only=True, mmap=True)
    model.load_state_dict(state)
    return model
'''

LLM_SOURCE = (
    '''"""A Qwen2-architecture causal LM (random weights): greedy generation of token ids.

Each input is {"ids": [prompt token ids], "new_tokens": N}; each output is the N generated ids.
"""

from pathlib import Path

import torch
from transformers import Qwen2ForCausalLM
from transformers.initialization import no_init_weights

HERE = Path(__file__).resolve().parent
'''
    + LOAD_INT8
    + """

class Submission:
    def load(self, device: str) -> None:
        self.model = Qwen2ForCausalLM.from_pretrained(HERE / "weights" / "original").eval().to(device)
        self.device = device

    @torch.inference_mode()
    def predict(self, inputs: list) -> list:
        outputs = []
        for item in inputs:
            ids = torch.tensor([item["ids"]], device=self.device)
            n = int(item["new_tokens"])
            generated = self.model.generate(
                ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, min_new_tokens=n,
                do_sample=False, pad_token_id=0,
            )
            outputs.append(generated[0, ids.shape[1]:].tolist())
        return outputs


class Int8Submission(Submission):
    def load(self, device: str) -> None:
        self.model = load_int8(Qwen2ForCausalLM, HERE / "weights" / "int8")
        self.device = device
"""
)

WHISPER_SOURCE = (
    '''"""A Whisper-architecture speech model (random weights) transcribing synthetic 16 kHz audio.

Each input is {"freq_hz": F, "seconds": S, "seed": K, "new_tokens": N}: the audio is synthesized, its
log-mel features made by a WhisperFeatureExtractor saved beside the weights (30 s windows, as
whisper-small), then N tokens are decoded greedily with the key/value cache.
"""

from pathlib import Path

import numpy as np
import torch
from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration
from transformers.initialization import no_init_weights

HERE = Path(__file__).resolve().parent
SAMPLE_RATE = 16000
ALPHABET = " abcdefghijklmnopqrstuvwxyz"
'''
    + LOAD_INT8
    + """

def synthesize(item: dict) -> np.ndarray:
    t = np.arange(int(item["seconds"] * SAMPLE_RATE)) / SAMPLE_RATE
    noise = np.random.default_rng(item["seed"]).normal(0, 0.05, t.shape)
    return (0.5 * np.sin(2 * np.pi * item["freq_hz"] * t) + noise).astype(np.float32)


class Submission:
    folder = "original"

    def load(self, device: str) -> None:
        folder = HERE / "weights" / self.folder
        self.features = WhisperFeatureExtractor.from_pretrained(folder)
        self.model = self.build(folder).eval().to(device)
        self.device = device

    def build(self, folder: Path):
        return WhisperForConditionalGeneration.from_pretrained(folder)

    @torch.inference_mode()
    def predict(self, inputs: list) -> list:
        audio = [synthesize(item) for item in inputs]
        features = self.features(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features
        encoded = self.model.model.encoder(features.to(self.device)).last_hidden_state
        start = self.model.config.decoder_start_token_id
        tokens = torch.full((len(inputs), 1), start, device=self.device)
        step, past = tokens, None
        for _ in range(int(inputs[0]["new_tokens"])):
            out = self.model(
                encoder_outputs=(encoded,), decoder_input_ids=step, past_key_values=past, use_cache=True
            )
            past = out.past_key_values
            step = out.logits[:, -1].argmax(-1, keepdim=True)
            tokens = torch.cat([tokens, step], dim=1)
        return [
            " ".join("".join(ALPHABET[t % len(ALPHABET)] for t in row).split())
            for row in tokens[:, 1:].tolist()
        ]


class Int8Submission(Submission):
    folder = "int8"

    def build(self, folder: Path):
        return load_int8(WhisperForConditionalGeneration, folder)
"""
)

BERT_SOURCE = (
    '''"""A BERT-architecture token classifier (random weights), 9 BIO labels as dslim/bert-large-NER.

Each input is {"ids": [word-piece ids]}; each output is the BIO tag of every id ([CLS]/[SEP] added).
"""

from pathlib import Path

import torch
from transformers import BertForTokenClassification
from transformers.initialization import no_init_weights

HERE = Path(__file__).resolve().parent
CLS, SEP = 101, 102
'''
    + LOAD_INT8
    + """

class Submission:
    def load(self, device: str) -> None:
        self.model = BertForTokenClassification.from_pretrained(HERE / "weights" / "original").eval()
        self.model.to(device)
        self.device = device

    @torch.inference_mode()
    def predict(self, inputs: list) -> list:
        outputs = []
        labels = self.model.config.id2label
        for item in inputs:
            ids = torch.tensor([[CLS, *item["ids"], SEP]], device=self.device)
            logits = self.model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
            outputs.append([labels[int(k)] for k in logits[0, 1:-1].argmax(-1).tolist()])
        return outputs


class Int8Submission(Submission):
    def load(self, device: str) -> None:
        self.model = load_int8(BertForTokenClassification, HERE / "weights" / "int8")
        self.device = device
"""
)

# dslim/bert-large-NER's labels, in its order.
NER_LABELS = ["O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]


@dataclass(frozen=True)
class Family:
    """One team: its model, the task its manifest declares, and the code it submits."""

    key: str
    team: str
    model: str  # the row's model cell
    task: str
    source: str
    model_class: str  # the transformers class the weights are saved from
    speed_unit: Literal["tokens/s", "ms"]
    batch_size: int = 1


FAMILY_BY_KEY = {
    "llm": Family(
        "llm",
        "qwen_team",
        "qwen2.5-0.5b-random",
        "text-generation",
        LLM_SOURCE,
        "Qwen2ForCausalLM",
        "tokens/s",
    ),
    "whisper": Family(
        "whisper",
        "whisper_team",
        "whisper-small-random",
        "speech-recognition",
        WHISPER_SOURCE,
        "WhisperForConditionalGeneration",
        "ms",
    ),
    # Token classification is `generic` today (ms per sample, no quality); the `tasks` branch adds
    # `token-classification` with entity F1 (seqeval): change the task here, the data already has tags.
    "bert": Family(
        "bert",
        "bert_team",
        "bert-large-ner-random",
        "generic",
        BERT_SOURCE,
        "BertForTokenClassification",
        "ms",
    ),
}


def model_config(key: str, size: Size) -> Any:
    """The transformers config of a family: the real model's sizes, or a 2-layer miniature for tests."""
    from transformers import BertConfig, Qwen2Config, WhisperConfig

    tiny = size == "tiny"
    if key == "llm":  # Qwen/Qwen2.5-0.5B's config.json
        return Qwen2Config(
            hidden_size=64 if tiny else 896,
            num_hidden_layers=2 if tiny else 24,
            num_attention_heads=4 if tiny else 14,
            num_key_value_heads=2,
            intermediate_size=128 if tiny else 4864,
            vocab_size=1024 if tiny else 151936,
            max_position_embeddings=32768,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
            rms_norm_eps=1e-6,
            tie_word_embeddings=True,
            bos_token_id=0 if tiny else 151643,
            eos_token_id=0 if tiny else 151643,
        )
    if key == "whisper":  # openai/whisper-small's config.json
        return WhisperConfig(
            vocab_size=512 if tiny else 51865,
            num_mel_bins=80,
            d_model=64 if tiny else 768,
            encoder_layers=2 if tiny else 12,
            decoder_layers=2 if tiny else 12,
            encoder_attention_heads=4 if tiny else 12,
            decoder_attention_heads=4 if tiny else 12,
            encoder_ffn_dim=256 if tiny else 3072,
            decoder_ffn_dim=256 if tiny else 3072,
            max_source_positions=1500,  # 30 s windows, whatever the size
            max_target_positions=448,
            pad_token_id=1 if tiny else 50257,
            bos_token_id=1 if tiny else 50257,
            eos_token_id=1 if tiny else 50257,
            decoder_start_token_id=2 if tiny else 50258,
        )
    if key == "bert":  # dslim/bert-large-NER's config.json (bert-large-cased)
        return BertConfig(
            vocab_size=1024 if tiny else 28996,
            hidden_size=64 if tiny else 1024,
            num_hidden_layers=2 if tiny else 24,
            num_attention_heads=4 if tiny else 16,
            intermediate_size=128 if tiny else 4096,
            max_position_embeddings=512,
            id2label=dict(enumerate(NER_LABELS)),
            label2id={label: index for index, label in enumerate(NER_LABELS)},
        )
    raise ValueError(f"unknown family {key!r}")


def make_data(key: str, samples: int, vocab: int) -> list[dict[str, Any]]:
    """The team's data file: `samples` records, fixed seed (token ids, or audio to synthesize)."""
    rng = random.Random(15)  # noqa: S311 - test data, not secrets
    records: list[dict[str, Any]] = []
    for index in range(samples):
        if key == "llm":
            ids = [rng.randrange(3, vocab) for _ in range(rng.randint(16, 64))]
            records.append({"input": {"ids": ids, "new_tokens": NEW_TOKENS}, "reference": None})
        elif key == "whisper":
            words = " ".join(rng.choice(["hello", "model", "course", "small", "speech"]) for _ in range(8))
            audio = {"freq_hz": rng.choice([220, 440, 660, 880]), "seconds": rng.uniform(3.0, 8.0)}
            records.append({"input": {**audio, "seed": index, "new_tokens": NEW_TOKENS}, "reference": words})
        elif key == "bert":
            ids = [rng.randrange(999, vocab) if vocab > 999 else rng.randrange(103, vocab) for _ in range(48)]
            tags = [rng.choice(NER_LABELS) if rng.random() < 0.2 else "O" for _ in ids]
            records.append({"input": {"ids": ids[: rng.randint(24, 48)]}, "reference": tags})
        else:
            raise ValueError(f"unknown family {key!r}")
    for record in records:  # references of BERT cover exactly the ids kept
        if key == "bert":
            record["reference"] = record["reference"][: len(record["input"]["ids"])]
    return records


@dataclass
class Built:
    """What building a team's models produced, per row."""

    params: int
    weights_mb: dict[str, float]  # method -> bytes of its weights folder, in MB (MiB)
    build_s: float


def folder_mb(folder: Path) -> float:
    from validator.units import mb

    return mb(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()))


def build_models(family: Family, size: Size, weights: Path) -> Built:
    """Random-weight models saved locally: `original/` (save_pretrained) and `int8/` (quantized state)."""
    import torch
    import transformers

    started = time.perf_counter()
    config = model_config(family.key, size)
    torch.manual_seed(0)
    model = getattr(transformers, family.model_class)(config).eval()
    params = sum(p.numel() for p in model.parameters())
    model.save_pretrained(weights / "original")
    if family.key == "whisper":
        extractor = transformers.WhisperFeatureExtractor(  # type: ignore[no-untyped-call]
            feature_size=config.num_mel_bins
        )
        extractor.save_pretrained(weights / "original")
        extractor.save_pretrained(weights / "int8")
    quantized = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
        model, {torch.nn.Linear}, dtype=torch.qint8
    )
    del model
    (weights / "int8").mkdir(parents=True, exist_ok=True)
    config.save_pretrained(weights / "int8")
    torch.save(quantized.state_dict(), weights / "int8" / "model_int8.pt")
    del quantized
    gc.collect()
    return Built(
        params,
        {ORIGINAL: folder_mb(weights / "original"), INT8: folder_mb(weights / "int8")},
        time.perf_counter() - started,
    )


def write_submission(family: Family, folder: Path, samples: int, size: Size) -> None:
    """The team's folder: bench.py, bench.toml, data/eval.jsonl (the weights come from build_models)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench.py").write_text(family.source, encoding="utf-8")
    vocab = int(model_config(family.key, size).vocab_size)
    (folder / "data").mkdir(exist_ok=True)
    lines = [json.dumps(record) for record in make_data(family.key, samples, vocab)]
    (folder / "data" / "eval.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    runs = []
    for method, entry, weights in ((ORIGINAL, "Submission", "original"), (INT8, "Int8Submission", "int8")):
        runs.append(
            f'[[run]]\nmodel = "{family.model}"\nmethod = "{method}"\nentry = "bench.py:{entry}"\n'
            f'task = "{family.task}"\ndata = "data/eval.jsonl"\nweights = "weights/{weights}"\n'
            f"batch_size = {family.batch_size}\n"
        )
    (folder / "bench.toml").write_text(f'team = "{family.team}"\n\n' + "\n".join(runs), encoding="utf-8")


# ---------------------------------------------------------------------------------------------------
# The course repository.


def course_config(threads: int, warmup: int, repeats: int) -> str:
    """The temp course's validator.toml: what a real-size run needs of today's harness (see the doc)."""
    return (
        "# Real-size submissions (scripts/bench_realsize.py): settings a 4-core 16 GB runner needs.\n"
        "[bench]\n"
        f"threads = {threads}\n"
        f"warmup = {warmup}\n"
        f"repeats = {repeats}\n"
        "# A 0.5B model in FP32 loads, warms up and generates for minutes on a small runner.\n"
        "timeout_s = 1800\n"
        "# 16 GB runner, less headroom for the validator itself.\n"
        "memory_limit_mb = 14336\n"
        "[compare]\n"
        "# One run per row: a doubted ratio would re-run both rows twice more (the doc says what it costs).\n"
        "confirm_runs = 0\n"
    )


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *GIT_IDENTITY, *args], cwd=repo, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def init_course(repo: Path, config: str) -> str:
    """A course with an empty table; weights are ignored by git (a hub or LFS would hold them)."""
    repo.mkdir(parents=True)
    (repo / "README.md").write_text(
        "# real-size course\n\n### Таблица сравнения методов компрессии моделей\n\n" + TABLE_HEADER,
        encoding="utf-8",
    )
    (repo / "validator.toml").write_text(config, encoding="utf-8")
    (repo / ".gitignore").write_text("submissions/*/weights/\n", encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "course")
    return git(repo, "rev-parse", "HEAD")


def format_claim(value: float) -> str:
    """A claimed number with three significant digits, as a team would round it."""
    return f"{value:.3g}" if value < 1000 else f"{value:.0f}"


def readme_row(model: str, method: str, weights_mb: float, speed: str, ram_mb: float, quality: str) -> str:
    return f"| {model} | {method} | {weights_mb:.4g} | {speed} | - | {ram_mb:.0f} | - | {quality} |\n"


def commit_pull_request(repo: Path, rows: Sequence[str], title: str) -> str:
    """The team's PR: its rows appended to the table, its folder added; returns the head sha."""
    readme = repo / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "".join(rows), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", title)
    return git(repo, "rev-parse", "HEAD")


# ---------------------------------------------------------------------------------------------------
# The bare loop: a plain process, no harness.


def bare_plan(inputs: list[Any], batch_size: int, warmup: int, repeats: int) -> dict[str, Any]:
    """The calls the harness makes (bench.runner.Plan), as lists of batches: warm-up, then timed."""
    from bench.runner import Plan

    plan = Plan.of(inputs, batch_size, warmup)
    warm = [plan.batches[plan.warmup[i % len(plan.warmup)]] for i in range(warmup)] if plan.warmup else []
    timed = [plan.batches[i] for _ in range(repeats) for i in plan.timed]
    # `held` warm-up batches come first in the data, then one pass of timed ones (Plan.of's order).
    return {"warmup": warm, "timed": timed, "held": len(plan.warmup), "per_pass": len(plan.timed)}


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not ru_maxrss: that one carries the peak of the process
    that forked us (here the script, which built the models) across fork and exec."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_main(spec_path: str) -> int:
    """The bare loop's process: import, load, warm up, time the same calls; JSON on stdout.

    Mirrors the child (bench/child.py) where it changes a timing: threads set after the import and
    again after load, a collection and gc.freeze() before the timed calls. Then a probe: the first
    timed calls again with 1 and with `probe_threads` threads, for the thread-scaling estimate.
    """
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    marks = [(time.perf_counter(), time.process_time())]
    sys.path.append(spec["folder"])
    os.chdir(spec["folder"])
    module_spec = importlib.util.spec_from_file_location("submission_entry", Path(spec["folder"], "bench.py"))
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    import torch

    torch.set_num_threads(spec["threads"])
    marks.append((time.perf_counter(), time.process_time()))
    submission = getattr(module, spec["entry_class"])()
    submission.load("cpu")
    torch.set_num_threads(spec["threads"])
    marks.append((time.perf_counter(), time.process_time()))
    warm_outputs = [submission.predict(list(batch)) for batch in spec["warmup"]]
    marks.append((time.perf_counter(), time.process_time()))
    gc.collect()
    gc.freeze()
    calls = []
    for batch in spec["timed"]:
        cpu, start = time.process_time(), time.perf_counter()
        outputs = submission.predict(list(batch))
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        calls.append(
            {"batch": len(batch), "seconds": seconds, "cpu_seconds": cpu_seconds, "outputs": outputs}
        )
    marks.append((time.perf_counter(), time.process_time()))
    peak = peak_rss_mb()
    probe = []
    probe_calls = spec["timed"][: spec.get("probe_calls", 2)]
    for threads in (1, spec["probe_threads"]) if spec["probe_threads"] > 1 else ():
        torch.set_num_threads(threads)
        cpu, start = time.process_time(), time.perf_counter()
        for batch in probe_calls:
            submission.predict(list(batch))
        probe.append(
            {"threads": threads, "seconds": time.perf_counter() - start, "cpu_s": time.process_time() - cpu}
        )
    phases = ("import", "load", "warmup", "timed")
    report = {
        **{f"{name}_s": marks[i + 1][0] - marks[i][0] for i, name in enumerate(phases)},
        **{f"{name}_cpu_s": marks[i + 1][1] - marks[i][1] for i, name in enumerate(phases)},
        "calls": calls,
        "warmup_outputs": warm_outputs,
        "probe": probe,
        "cpu_s": marks[-1][1] - marks[0][1],
        "max_rss_mb": peak,
    }
    print(json.dumps(report))
    return 0


@dataclass
class Bare:
    """A bare-loop run as the parent script sees it: wall and CPU seconds of each phase."""

    wall_s: float
    import_s: float
    load_s: float
    warmup_s: float
    timed_s: float
    import_cpu_s: float
    load_cpu_s: float
    warmup_cpu_s: float
    timed_cpu_s: float
    cpu_s: float
    max_rss_mb: float
    speed: float  # tokens/s or ms per sample, as the harness computes it
    speed_cpu: float  # the same from each call's CPU time (the harness's `speed_cpu_time`)
    outputs: list[Any]
    #: The probe: seconds of the same calls with 1 and with `probe_threads` threads (empty: no probe).
    probe: list[dict[str, float]]

    @property
    def speedup(self) -> float | None:
        """Wall-clock speed-up of the probe calls from 1 thread to the probe's thread count."""
        if len(self.probe) < 2 or self.probe[1]["seconds"] <= 0:
            return None
        return self.probe[0]["seconds"] / self.probe[1]["seconds"]


def bench_speed(task: str, calls: Sequence[dict[str, Any]], clock: str = "seconds") -> float:
    """The speed of timed calls with the harness's own arithmetic (tokens/s, or ms per sample)."""
    from bench.trackers.latency import Call, sample_latency, token_rate

    timed = [
        Call(c["batch"], c[clock], sum(len(o) for o in c["outputs"]) if task == "text-generation" else 0)
        for c in calls
    ]
    if task == "text-generation":
        return token_rate(timed)[0].value
    return sample_latency(timed)[0].value


def run_bare(
    folder: Path, entry_class: str, task: str, plan: dict[str, Any], threads: int, probe_threads: int
) -> Bare:
    spec = {
        "folder": str(folder),
        "entry_class": entry_class,
        "threads": threads,
        "probe_threads": probe_threads,
        **plan,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(spec, handle)
    # The child's variables that change a timing (bench/sandbox.py's child_environment).
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1")
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-B", str(Path(__file__).resolve()), "--bare-run", handle.name],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    finally:
        os.unlink(handle.name)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"the bare loop of {folder.name}/{entry_class} failed:\n{proc.stderr[-3000:]}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    # In data order, as the harness scores them: the warm-up batches, then one timed pass.
    outputs = [o for batch in report["warmup_outputs"][: plan["held"]] for o in batch]
    outputs += [o for call in report["calls"][: plan["per_pass"]] for o in call["outputs"]]
    return Bare(
        wall_s=wall,
        **{f"{phase}_s": report[f"{phase}_s"] for phase in ("import", "load", "warmup", "timed")},
        **{f"{phase}_cpu_s": report[f"{phase}_cpu_s"] for phase in ("import", "load", "warmup", "timed")},
        cpu_s=report["cpu_s"],
        max_rss_mb=report["max_rss_mb"],
        speed=bench_speed(task, report["calls"]),
        speed_cpu=bench_speed(task, report["calls"], "cpu_seconds"),
        outputs=outputs,
        probe=report["probe"],
    )


# ---------------------------------------------------------------------------------------------------
# `validator verify`, the CLI as a user calls it, watched from outside.


class LoadWatch:
    """The 1-minute load average, sampled every few seconds while a measured process runs."""

    def __init__(self, every_s: float = 5.0):
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._every = every_s
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(self._every):
                return

    def __enter__(self) -> LoadWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])


@dataclass
class VerifyRun:
    wall_s: float
    started_epoch: float
    root_pid: int
    #: CPU-seconds of verify and every descendant (the sandboxes, the children), by (pid, created).
    cpu: dict[tuple[int, float], float]
    exit_code: int
    report: dict[str, Any]
    events: list[tuple[float, str]]  # (seconds since start, stderr line)
    load: list[float]


def validator_command() -> list[str]:
    """`validator` from the venv this script runs in, as a user types it."""
    script = Path(sys.executable).with_name("validator")
    return [str(script)] if script.exists() else [sys.executable, "-m", "validator"]


class TreeCpu:
    """CPU-seconds of a process and every descendant (the sandboxed children too), sampled with psutil.

    `RUSAGE_CHILDREN` misses them: the harness kills each run's tree, and a process whose parent died
    first is reaped by no one who reports to us. Each pid's last reading counts; at most one sampling
    interval of a run's last moments is lost.
    """

    def __init__(self, pid: int, every_s: float = 0.5):
        import psutil  # type: ignore[import-untyped]

        self._root = psutil.Process(pid)
        self._psutil = psutil
        self._seen: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()
        self._every = every_s
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        psutil = self._psutil
        try:
            processes = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return
        for process in processes:
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    key = (process.pid, process.create_time())
                self._seen[key] = times.user + times.system
            except psutil.Error:
                continue

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._sample()

    def stop(self) -> dict[tuple[int, float], float]:
        """CPU-seconds of every process seen, by (pid, creation time in epoch seconds)."""
        self._stop.set()
        self._thread.join()
        return dict(self._seen)


def run_verify(repo: Path, base: str, head: str, title: str, out: Path) -> VerifyRun:
    command = [
        *validator_command(),
        "verify",
        "--repo",
        str(repo),
        "--base",
        base,
        "--head",
        head,
        "--title",
        title,
        "--format",
        "json",
        "--out",
        str(out),
    ]
    events: list[tuple[float, str]] = []
    with LoadWatch() as load:
        started, started_epoch = time.perf_counter(), time.time()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cpu = TreeCpu(proc.pid)
        assert proc.stderr is not None and proc.stdout is not None
        stdout = proc.stdout

        def drain() -> None:
            stdout.read()

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        for line in proc.stderr:
            events.append((time.perf_counter() - started, line.rstrip("\n")))
        cpu_seen = cpu.stop()  # before wait(): the verify process itself is still there to read
        code = proc.wait()
        wall = time.perf_counter() - started
        reader.join()
    if code not in (0, 1) or not out.is_file():
        tail = "\n".join(line for _, line in events[-40:])
        raise RuntimeError(f"validator verify exited {code}:\n{tail}")
    report = json.loads(out.read_text(encoding="utf-8"))
    return VerifyRun(wall, started_epoch, proc.pid, cpu_seen, code, report, events, load.samples)


def cpu_between(run: VerifyRun, start_s: float, stop_s: float) -> float:
    """CPU-seconds of the processes verify started between two moments (a row's run), not its own."""
    # Creation times come from boot time + jiffies, off the wall clock by up to a second: measure
    # them from verify's own creation, which is the moment `start_s` counts from.
    origin = next((created for pid, created in run.cpu if pid == run.root_pid), run.started_epoch)
    return sum(
        cpu
        for (pid, created), cpu in run.cpu.items()
        if pid != run.root_pid and start_s <= created - origin < stop_s
    )


def row_walls(events: Sequence[tuple[float, str]], end: float) -> list[tuple[str, float, float]]:
    """(progress line, start s, wall s) of each run verify made, from its `running ...` lines.

    A run lasts until the next one starts; the last one until the process ends (its report
    included, a few ms).
    """
    starts = [(t, line) for t, line in events if line.startswith("running ")]
    walls = []
    for index, (start, line) in enumerate(starts):
        stop = starts[index + 1][0] if index + 1 < len(starts) else end
        walls.append((line, start, stop - start))
    return walls


def checked(report: dict[str, Any], method: str, name: str) -> float | None:
    """The verified value of `name` (cpu_speed, ram, weights_size) in verify's JSON report."""
    for row in report.get("rows", []):
        if row.get("method") == method:
            for check in row.get("checks", []):
                if check.get("field") == name and isinstance(check.get("verified"), dict):
                    value = check["verified"].get("value")
                    return float(value) if isinstance(value, int | float) else None
    return None


# ---------------------------------------------------------------------------------------------------
# Arithmetic: overhead and the projection to 4 cores.


def overhead_percent(harness: float, bare: float, unit: str) -> float:
    """How much more time per unit of work the harness measured than the bare loop (negative: less)."""
    if unit == "tokens/s":
        return (bare / harness - 1.0) * 100.0
    return (harness / bare - 1.0) * 100.0


def parallel_fraction(speedup: float, threads: int) -> float:
    """Amdahl's parallel fraction p from a measured speed-up on `threads` (clamped to 0..1)."""
    if threads <= 1 or speedup <= 0:
        return 0.0
    p = (1.0 - 1.0 / speedup) / (1.0 - 1.0 / threads)
    return min(max(p, 0.0), 1.0)


def amdahl_speedup(p: float, threads: int) -> float:
    return 1.0 / ((1.0 - p) + p / threads)


def project_seconds(serial_s: float, parallel_s: float, p: float, threads_here: int, cores: int) -> float:
    """A row's time on `cores` cores from its seconds here.

    `parallel_s` (the predict calls, measured with `threads_here` threads) scales by Amdahl's law
    with parallel fraction `p`; `serial_s` (sandbox start, import, load from disk, scoring) is taken
    as is. The same per-core speed is assumed (docs/performance.md says what that leaves out).
    """
    return serial_s + parallel_s * amdahl_speedup(p, threads_here) / amdahl_speedup(p, cores)


# ---------------------------------------------------------------------------------------------------
# One family end to end.


@dataclass
class RowResult:
    family: str
    method: str
    status: str
    params: int
    weights_mb: float | None  # verify's measurement (the declared files the run opened)
    wall_s: float  # the row's run inside verify, wall clock, on this (loaded) machine
    cpu_s: float  # CPU-seconds of the row's processes (sandbox and child), from outside
    ram_mb: float | None  # verify's peak RAM
    speed: float | None  # verify's speed
    bare_speed: float
    bare_speed_cpu: float
    speed_unit: str
    overhead_pct: float | None  # the harness's speed against the bare loop's, wall clock
    #: The row's CPU-seconds in the harness (sandbox and child: import, load, predict) against the
    #: bare loop's (import, load, predict): the overhead on a clock that a loaded machine moves less.
    cpu_overhead_pct: float | None
    bare_wall_s: float
    bare_cpu_s: float
    bare_load_s: float
    bare_rss_mb: float
    predict_cpu_s: float  # the bare loop's CPU-seconds in predict (warm-up and timed calls)
    speedup: float | None  # the probe: 1 -> probe_threads threads
    parallel_fraction: float
    projected_4core_s: float  # with the fitted p (0 when the probe showed no gain: an upper bound)
    projected_4core_assumed_s: float  # with p = ASSUMED_P


@dataclass
class FamilyResult:
    family: str
    team: str
    model: str
    samples: int
    threads: int
    build_s: float
    verify_wall_s: float
    verify_cpu_s: float  # the whole tree: verify itself, the sandboxes, the children
    verify_own_cpu_s: float  # verify's own process (diff, git, the parent side of every run)
    verify_exit: int
    verdict: str
    preamble_s: float
    projected_4core_s: float
    projected_4core_assumed_s: float
    load_during_verify: list[float]
    load_during_bare: list[float]
    rows: list[RowResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def quality_cell(task: str, outputs: list[Any], references: list[Any]) -> str:
    """The team's quality claim, scored the way the parent scores it."""
    from bench.tasks import compute_quality

    metrics = compute_quality(task, outputs, references)
    return "</br>".join(f"{m.name}: {format_claim(m.value)}{m.unit or ''}" for m in metrics) or "-"


def project_row(bare: Bare, row_cpu_s: float, threads: int, p: float, cores: int = 4) -> float:
    """A row on an idle `cores`-core runner, from CPU-seconds (the wall clock here is the load's).

    Serial: what the row's processes used besides predicting (sandbox start, import, load, the
    child's protocol work): the row's CPU-seconds less the bare loop's predict CPU-seconds. Parallel:
    the predict CPU-seconds (with one thread they are its wall time on an idle core), scaled by
    Amdahl's law with the fitted `p`. With more threads here the CPU-seconds would count spinning.
    """
    predict = bare.warmup_cpu_s + bare.timed_cpu_s
    serial = max(row_cpu_s - predict, bare.import_cpu_s + bare.load_cpu_s)
    return project_seconds(serial, predict / threads, p, threads, cores)


def run_family(
    key: str,
    repo: Path,
    base: str,
    *,
    size: Size,
    samples: int,
    threads: int,
    probe_threads: int,
    warmup: int,
    repeats: int,
    say: Callable[[str], None],
) -> tuple[FamilyResult, str]:
    """Build one team's PR on top of `base`, run its bare loops, commit, verify; returns (result, head)."""
    family = FAMILY_BY_KEY[key]
    folder = repo / "submissions" / family.team
    write_submission(family, folder, samples, size)
    say(f"{key}: building the models ({size} size)")
    built = build_models(family, size, folder / "weights")
    sizes = ", ".join(f"{method}: {mb:.1f} MB" for method, mb in built.weights_mb.items())
    say(f"{key}: built in {built.build_s:.0f} s: {built.params / 1e6:.1f} M parameters; {sizes}")
    records = [json.loads(line) for line in (folder / "data" / "eval.jsonl").read_text().splitlines()]
    plan = bare_plan([r["input"] for r in records], family.batch_size, warmup, repeats)
    references = [r["reference"] for r in records]
    bares: dict[str, Bare] = {}
    rows: list[str] = []
    with LoadWatch() as bare_load:
        for method, entry in ((ORIGINAL, "Submission"), (INT8, "Int8Submission")):
            say(f"{key}: bare loop of {method}")
            bare = run_bare(folder, entry, family.task, plan, threads, probe_threads)
            bares[method] = bare
            say(
                f"{key}: bare {method}: {bare.speed:.4g} {family.speed_unit} "
                f"(CPU clock {bare.speed_cpu:.4g}), "
                f"wall {bare.wall_s:.1f} s, load {bare.load_s:.1f} s, peak RSS {bare.max_rss_mb:.0f} MB, "
                f"probe {bare.probe}"
            )
            rows.append(
                readme_row(
                    family.model,
                    method,
                    built.weights_mb[method],
                    f"{format_claim(bare.speed)} {family.speed_unit}",
                    bare.max_rss_mb,
                    quality_cell(family.task, bare.outputs, references),
                )
            )
    title = f"{family.team} HW-1"
    head = commit_pull_request(repo, rows, title)
    say(f"{key}: validator verify --base {base[:8]} --head {head[:8]}")
    verified = run_verify(repo, base, head, title, repo.parent / f"report-{key}.json")
    walls = row_walls(verified.events, verified.wall_s)
    say(f"{key}: verify took {verified.wall_s:.1f} s (exit {verified.exit_code}): {walls}")
    report = verified.report
    preamble = walls[0][1] if walls else verified.wall_s
    own = sum(cpu for (pid, _), cpu in verified.cpu.items() if pid == verified.root_pid)
    result = FamilyResult(
        family=key,
        team=family.team,
        model=family.model,
        samples=samples,
        threads=threads,
        build_s=built.build_s,
        verify_wall_s=verified.wall_s,
        verify_cpu_s=sum(verified.cpu.values()),
        verify_own_cpu_s=own,
        verify_exit=verified.exit_code,
        verdict=str(report.get("verdict")),
        preamble_s=preamble,
        projected_4core_s=own,  # the parent's work does not shrink with cores
        projected_4core_assumed_s=own,
        load_during_verify=verified.load,
        load_during_bare=bare_load.samples,
        problems=[f"{p.get('code')}: {p.get('message')}" for p in report.get("problems", [])],
    )
    for method in (ORIGINAL, INT8):
        bare = bares[method]
        start, wall = next(((t, w) for line, t, w in walls if line.endswith(f"· {method}")), (0.0, math.nan))
        row_cpu = cpu_between(verified, start, start + wall) if math.isfinite(wall) else 0.0
        speed = checked(report, method, "cpu_speed")
        overhead = overhead_percent(speed, bare.speed, family.speed_unit) if speed else None
        p = parallel_fraction(bare.speedup, probe_threads) if bare.speedup else 0.0
        projected = project_row(bare, row_cpu, threads, p)
        assumed = project_row(bare, row_cpu, threads, ASSUMED_P)
        status = next(
            (str(r.get("status")) for r in report.get("rows", []) if r.get("method") == method), "?"
        )
        result.rows.append(
            RowResult(
                family=key,
                method=method,
                status=status,
                params=built.params,
                weights_mb=checked(report, method, "weights_size"),
                wall_s=wall,
                cpu_s=row_cpu,
                ram_mb=checked(report, method, "ram"),
                speed=speed,
                bare_speed=bare.speed,
                bare_speed_cpu=bare.speed_cpu,
                speed_unit=family.speed_unit,
                overhead_pct=overhead,
                cpu_overhead_pct=(row_cpu / bare.cpu_s - 1.0) * 100.0 if row_cpu and bare.cpu_s else None,
                bare_wall_s=bare.wall_s,
                bare_cpu_s=bare.cpu_s,
                bare_load_s=bare.load_s,
                bare_rss_mb=bare.max_rss_mb,
                predict_cpu_s=bare.warmup_cpu_s + bare.timed_cpu_s,
                speedup=bare.speedup,
                parallel_fraction=p,
                projected_4core_s=projected,
                projected_4core_assumed_s=assumed,
            )
        )
        result.projected_4core_s += projected
        result.projected_4core_assumed_s += assumed
    return result, head


def table(results: Sequence[FamilyResult]) -> str:
    """The Markdown table of docs/performance.md."""
    lines = [
        "| family | row | params | weights MB | wall per row (s) | CPU-s per row | peak RAM MB "
        "| speed: verify / bare loop | overhead % (wall) | overhead % (CPU-s) | 1→2 thread speed-up (p) "
        "| projected 4-core (s): fitted p / p = 0.8 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for family in results:
        for row in family.rows:
            speed = f"{row.speed:.4g} / {row.bare_speed:.4g} {row.speed_unit}" if row.speed else "-"
            overhead = "-" if row.overhead_pct is None else f"{row.overhead_pct:+.2f}"
            cpu_overhead = "-" if row.cpu_overhead_pct is None else f"{row.cpu_overhead_pct:+.2f}"
            scaling = "-" if row.speedup is None else f"{row.speedup:.2f} (p={row.parallel_fraction:.2f})"
            lines.append(
                f"| {family.model} | {row.method} ({row.status}) | {row.params / 1e6:.0f} M | "
                f"{row.weights_mb if row.weights_mb is not None else '-'} | {row.wall_s:.1f} | "
                f"{row.cpu_s:.0f} | "
                f"{row.ram_mb if row.ram_mb is not None else '-'} | {speed} | {overhead} | {cpu_overhead} | "
                f"{scaling} | {row.projected_4core_s:.0f} / {row.projected_4core_assumed_s:.0f} |"
            )
        lines.append(
            f"| {family.model} | **the PR**: verify, {family.samples} samples, {family.threads} thread(s) "
            f"| | | **{family.verify_wall_s:.1f}** | {family.verify_cpu_s:.0f} | | | | | | "
            f"**{family.projected_4core_s:.0f} / {family.projected_4core_assumed_s:.0f}** |"
        )
    return "\n".join(lines)


@contextmanager
def course_dir(keep: bool) -> Iterator[Path]:
    workdir = Path(tempfile.mkdtemp(prefix="validator-realsize-"))
    try:
        yield workdir
    finally:
        if keep:
            print(f"kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=FAMILIES, action="append", help="one family (repeatable)")
    parser.add_argument("--samples", type=int, default=8, help="records in each team's data file")
    parser.add_argument("--json", type=Path, help="write every number here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary course repository")
    parser.add_argument("--size", choices=["real", "tiny"], default="real", help="tiny: 2-layer models")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads of the harness and the bare loop (see the doc)"
    )
    parser.add_argument(
        "--probe-threads", type=int, default=2, help="the scaling probe: 1 thread against this many (1: none)"
    )
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--bare-run", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_run:
        return bare_main(args.bare_run)
    sys.path.insert(0, str(ROOT))
    size: Size = "tiny" if args.size == "tiny" else "real"
    families = [key for key in FAMILIES if not args.only or key in args.only]

    def say(message: str) -> None:
        print(
            f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.2f}] {message}",
            file=sys.stderr,
            flush=True,
        )

    results: list[FamilyResult] = []
    with course_dir(args.keep) as workdir:
        repo = workdir / "course"
        base = init_course(repo, course_config(args.threads, args.warmup, args.repeats))
        for key in families:
            result, base = run_family(
                key,
                repo,
                base,
                size=size,
                samples=args.samples,
                threads=args.threads,
                probe_threads=args.probe_threads,
                warmup=args.warmup,
                repeats=args.repeats,
                say=say,
            )
            results.append(result)
            if not args.keep:  # the next team does not need these gigabytes
                shutil.rmtree(repo / "submissions" / FAMILY_BY_KEY[key].team / "weights", ignore_errors=True)
    print(table(results))
    for result in results:
        print(
            f"{result.family}: verify {result.verify_wall_s:.1f} s wall, {result.verify_cpu_s:.0f} CPU-s "
            f"({result.verify_own_cpu_s:.1f} in verify's own process), "
            f"verdict {result.verdict}, load average {min(result.load_during_verify):.2f}-"
            f"{max(result.load_during_verify):.2f}; projected on 4 cores {result.projected_4core_s:.0f} s"
        )
        for problem in result.problems:
            print(f"  {problem}")
    if args.json:
        machine = {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "command": " ".join(["python scripts/bench_realsize.py", *(argv or sys.argv[1:])]),
        }
        payload = {"machine": machine, "families": [asdict(r) for r in results]}
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    ok = all(r.status == "ok" for family in results for r in family.rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
