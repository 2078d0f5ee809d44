"""Runs inside optimum-benchmark 0.6.0's own venv (see scripts/bench_harness.py); prints one JSON line.

optimum-benchmark breaks on transformers 5, so it lives in a separate venv with `transformers<5`;
the inline launcher keeps it in this process (its process launcher busy-waits in the parent).
Usage: python optimum_peer.py TEAM_FOLDER NEW_TOKENS SEQUENCE_LENGTH THREADS
"""

import importlib.util
import json
import logging
import statistics
import sys
import tempfile

import torch


def main() -> None:
    folder, new_tokens, seq_len, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    logging.disable(logging.WARNING)
    from optimum_benchmark import (  # type: ignore[import-not-found]  # lives in its own venv
        Benchmark,
        BenchmarkConfig,
        InferenceConfig,
        InlineConfig,
        PyTorchConfig,
    )

    # The team's own model builder: same config, same seed, same weights.
    spec = importlib.util.spec_from_file_location("team_bench", f"{folder}/bench.py")
    assert spec is not None
    assert spec.loader is not None
    team = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(team)
    build_model = team.build_model

    with tempfile.TemporaryDirectory() as model_dir:
        build_model().save_pretrained(model_dir)
        config = BenchmarkConfig(
            name="tiny-gpt2",
            launcher=InlineConfig(),
            scenario=InferenceConfig(
                latency=True,
                memory=False,
                iterations=20,
                duration=0,
                warmup_runs=4,
                input_shapes={"batch_size": 1, "sequence_length": seq_len},
                generate_kwargs={
                    "max_new_tokens": new_tokens,
                    "min_new_tokens": new_tokens,
                    "do_sample": False,
                },
            ),
            backend=PyTorchConfig(
                model=model_dir, processor=model_dir, device="cpu", no_weights=False, task="text-generation"
            ),
        )
        report = Benchmark.launch(config)
    decode = report.decode
    print(
        json.dumps(
            {
                "decode_tokens_per_s": decode.throughput.value,
                # Robust to bursts of other load: medians of the per-call latencies.
                "decode_tokens_per_s_median": (new_tokens - 1)
                / (
                    statistics.median(report.generate.latency.values)
                    - statistics.median(report.prefill.latency.values)
                ),
                "generate_ms": report.generate.latency.mean * 1000,
                "prefill_ms": report.prefill.latency.mean * 1000,
                "threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
