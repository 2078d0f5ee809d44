"""scripts/bench_realsize.py: its arithmetic, and one miniature course end to end (nothing real-size here).

The real-size run takes minutes and gigabytes; its numbers are in docs/performance.md. Here the same
code builds a 2-layer BERT team, runs its bare loops and `validator verify` for real, and reports.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_realsize", ROOT / "scripts" / "bench_realsize.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


realsize = _script()


def test_amdahl_fit_and_projection() -> None:
    # Perfect scaling on 2 threads: everything is parallel.
    assert realsize.parallel_fraction(2.0, 2) == pytest.approx(1.0)
    # No gain from a second thread, or a loss (a loaded machine): nothing counts as parallel.
    assert realsize.parallel_fraction(1.0, 2) == 0.0
    assert realsize.parallel_fraction(0.5, 2) == 0.0
    # 1.6x on 2 threads: p = 0.75, so 2.29x on 4 threads.
    p = realsize.parallel_fraction(1.6, 2)
    assert p == pytest.approx(0.75)
    assert realsize.amdahl_speedup(p, 4) == pytest.approx(1 / (0.25 + 0.75 / 4))
    # Measured with 1 thread: the serial part stays, the parallel part shrinks by Amdahl's law.
    assert realsize.project_seconds(10.0, 20.0, 1.0, 1, 4) == pytest.approx(15.0)
    assert realsize.project_seconds(10.0, 20.0, 0.0, 1, 4) == pytest.approx(30.0)
    # Measured with 2 threads at p = 0.75: 1.6x there, 2.29x on 4 cores.
    assert realsize.project_seconds(0.0, 10.0, 0.75, 2, 4) == pytest.approx(7.0)


def test_a_row_is_projected_from_cpu_seconds() -> None:
    bare = realsize.Bare(
        wall_s=100.0, import_s=3.0, load_s=7.0, warmup_s=20.0, timed_s=60.0,
        import_cpu_s=2.0, load_cpu_s=6.0, warmup_cpu_s=10.0, timed_cpu_s=30.0, cpu_s=48.0,
        max_rss_mb=2000.0, speed=10.0, speed_cpu=12.0, outputs=[], probe=[],
    )  # fmt: skip
    # The row used 50 CPU-s in the harness: 40 predicting (the bare loop's), 10 serial.
    assert realsize.project_row(bare, 50.0, 1, 1.0) == pytest.approx(10.0 + 40.0 / 4)
    assert realsize.project_row(bare, 50.0, 1, 0.0) == pytest.approx(50.0)
    # Never less serial work than the bare loop's own import and load.
    assert realsize.project_row(bare, 30.0, 1, 0.0) == pytest.approx(8.0 + 40.0)
    assert bare.speedup is None


def test_overhead_is_extra_time_per_unit_of_work() -> None:
    assert realsize.overhead_percent(102.0, 100.0, "ms") == pytest.approx(2.0)
    # tokens/s: fewer tokens per second is more time per token.
    assert realsize.overhead_percent(98.0, 100.0, "tokens/s") == pytest.approx(100 / 98 * 100 - 100)
    assert realsize.overhead_percent(100.0, 100.0, "tokens/s") == 0.0


def test_row_walls_come_from_the_progress_lines() -> None:
    events = [
        (0.4, "reading"),
        (1.0, "running t: m · Оригинал"),
        (5.5, "some log line"),
        (31.0, "running t: m · INT8 (dynamic quantization)"),
    ]
    walls = realsize.row_walls(events, 40.0)
    assert [(line.split("· ")[1], start, wall) for line, start, wall in walls] == [
        ("Оригинал", 1.0, 30.0),
        ("INT8 (dynamic quantization)", 31.0, 9.0),
    ]


def test_verified_numbers_are_read_from_the_report() -> None:
    report = {
        "rows": [
            {
                "method": "Оригинал",
                "checks": [
                    {"field": "ram", "verified": {"value": 2500.5, "unit": "MB"}},
                    {"field": "cpu_speed", "verified": None},
                ],
            }
        ]
    }
    assert realsize.checked(report, "Оригинал", "ram") == 2500.5
    assert realsize.checked(report, "Оригинал", "cpu_speed") is None
    assert realsize.checked(report, "INT8", "ram") is None


def test_data_files_have_the_requested_samples() -> None:
    for key in realsize.FAMILIES:
        records = realsize.make_data(key, 5, 1024)
        assert len(records) == 5
        assert all("input" in r for r in records)
    for record in realsize.make_data("bert", 6, 28996):
        assert len(record["reference"]) == len(record["input"]["ids"])
        assert set(record["reference"]) <= set(realsize.NER_LABELS)
    for record in realsize.make_data("llm", 3, 151936):
        assert all(3 <= t < 151936 for t in record["input"]["ids"])
        assert record["input"]["new_tokens"] == realsize.NEW_TOKENS


def test_real_configs_have_the_published_sizes() -> None:
    qwen = realsize.model_config("llm", "real")
    assert (qwen.hidden_size, qwen.num_hidden_layers, qwen.num_attention_heads) == (896, 24, 14)
    assert (qwen.num_key_value_heads, qwen.intermediate_size, qwen.vocab_size) == (2, 4864, 151936)
    assert qwen.tie_word_embeddings
    whisper = realsize.model_config("whisper", "real")
    assert (whisper.d_model, whisper.encoder_layers, whisper.decoder_layers, whisper.vocab_size) == (
        768,
        12,
        12,
        51865,
    )
    bert = realsize.model_config("bert", "real")
    assert (bert.hidden_size, bert.num_hidden_layers, bert.num_attention_heads) == (1024, 24, 16)
    assert bert.num_labels == 9


@pytest.mark.slow
def test_a_miniature_team_goes_through_verify_and_the_bare_loop(tmp_path: Path) -> None:
    out = tmp_path / "realsize.json"
    code = realsize.main(["--size", "tiny", "--only", "bert", "--samples", "4", "--json", str(out)])
    assert code == 0  # every row's run ended `ok` (the claims may differ on a loaded machine)
    payload = json.loads(out.read_text(encoding="utf-8"))
    (family,) = payload["families"]
    assert family["family"] == "bert" and family["samples"] == 4
    assert family["verify_exit"] in (0, 1)
    assert family["verify_cpu_s"] > 0  # the sandboxed children's CPU time was seen
    rows = {row["method"]: row for row in family["rows"]}
    assert set(rows) == {realsize.ORIGINAL, realsize.INT8}
    for row in rows.values():
        assert row["status"] == "ok"
        assert row["params"] > 0 and row["ram_mb"] > 0 and row["speed"] > 0 and row["bare_speed"] > 0
        assert math.isfinite(row["wall_s"]) and row["wall_s"] > 0
        assert row["projected_4core_s"] > 0 and row["projected_4core_assumed_s"] > 0
        assert row["cpu_s"] > 0 and row["cpu_overhead_pct"] is not None
    # The quantized state is smaller than the original safetensors, as the harness measured them.
    assert rows[realsize.INT8]["weights_mb"] < rows[realsize.ORIGINAL]["weights_mb"]
