"""Plausibility rules, each refused and allowed, with the arithmetic in the message; the GPU table."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from validator.check import check_bytes
from validator.config import Config, RulesConfig
from validator.diff import diff_markdown
from validator.hardware import find_gpu
from validator.model import Problem, Severity
from validator.problems import localized
from validator.rules import RULES, PullRequest, apply_rules, is_original, method_share
from validator.teams import team_from_title

from .gitrepo import BERT, BERT_INT8, readme

#: The course README of a lesson without a table: `readme()` around no table, so only the table differs.
EMPTY = b"# Course\n\nSome text.\n\nThe end.\n"


def judged(base: bytes, head: bytes, config: RulesConfig | None = None) -> list[Problem]:
    """Every rule problem of a PR turning README `base` into `head`, its team unknown."""
    diff, _ = diff_markdown("README.md", base, head, Config())
    return apply_rules(diff, PullRequest(), config or RulesConfig())


def problems_of(
    *rows: str, config: RulesConfig | None = None, base_rows: tuple[str, ...] = ()
) -> list[Problem]:
    """Rule problems (ownership aside) of a PR that adds `rows` to a table holding `base_rows`."""
    base = readme(*base_rows).encode() if base_rows else EMPTY
    found = judged(base, readme(*base_rows, *rows).encode(), config)
    return [p for p in found if p.code != "team-unknown"]


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


ROW = "| {model} | {method} | {size} | {cpu} | {gpu} | {ram} | {vram} | {quality} |"


def row(
    model: str = "m/model",
    method: str = "Оригинал",
    size: str = "711Mb",
    cpu: str = "-",
    gpu: str = "-",
    ram: str = "-",
    vram: str = "-",
    quality: str = "0.495 Accuracy",
) -> str:
    return ROW.format(
        model=model, method=method, size=size, cpu=cpu, gpu=gpu, ram=ram, vram=vram, quality=quality
    )


# --- vram-below-weights ----------------------------------------------------------------------------


def test_vram_below_weights_with_a_gpu_time_is_refused() -> None:
    # pr-04: VRAM 9.32 MB for a 327.32 MB model run on a GPU.
    pr04 = row(size="327.32Mb", gpu="5.95ms", vram="9.32Mb")
    (problem,) = problems_of(pr04)
    assert problem.code == "vram-below-weights"
    assert problem.severity is Severity.warning
    assert problem.message == (
        "a GPU time is claimed (5.95 ms), but VRAM 9.32 MB < 0.9 × weights 327.32 MB = 294.59 MB: "
        "the weights alone do not fit"
    )
    assert (problem.line, problem.column) == (8, pr04.index("9.32Mb") + 1)


def test_vram_at_the_weights_size_or_without_gpu_time_is_allowed() -> None:
    assert problems_of(row(size="1.33Gb", gpu="31.9ms", vram="1.3GB")) == []  # rounding, within 0.9
    assert problems_of(row(size="327.32Mb", vram="9.32Mb")) == []  # no GPU time claimed


# --- ram-below-weights -----------------------------------------------------------------------------


def test_ram_far_below_weights_with_a_cpu_time_is_refused() -> None:
    (problem,) = problems_of(row(cpu="113 ms", ram="100 MB"))
    assert problem.code == "ram-below-weights"
    assert "RAM 100 MB < 0.5 × weights 711 MB = 355.5 MB" in problem.message


def test_ram_above_the_fraction_is_allowed_and_the_fraction_is_configurable() -> None:
    assert problems_of(row(cpu="113 ms", ram="400 MB")) == []
    assert codes(problems_of(row(cpu="113 ms", ram="400 MB"), config=RulesConfig(ram_fraction_min=0.8))) == [
        "ram-below-weights"
    ]


# --- no-original-row -------------------------------------------------------------------------------


def test_a_compressed_row_without_an_original_is_refused() -> None:
    (problem,) = problems_of(row(model="efficientvit_b1", method="Distilled", size="34.77Mb"))
    assert problem.code == "no-original-row"
    assert problem.params["model"] == "efficientvit_b1"


def test_a_compressed_row_with_its_original_is_allowed() -> None:
    assert problems_of(row(method="Pruning"), base_rows=(row(),)) == []
    assert (
        problems_of(row(method="FP32 (Baseline)", size="7022 MB"), row(method="Prune", size="4915 MB")) == []
    )


def test_original_methods_are_configurable() -> None:
    config = RulesConfig(original_methods=["Teacher"])
    assert codes(problems_of(row(method="Оригинал"), row(method="Pruning"), config=config)) == [
        "no-original-row",
        "no-original-row",
    ]
    assert is_original("FP32 (Baseline)", RulesConfig())
    assert not is_original("Quantized INT8", RulesConfig())


# --- size-contradicts-method -----------------------------------------------------------------------


def test_a_size_that_contradicts_the_method_is_refused() -> None:
    # Derived from pr-18: an INT8 row as large as its 711 MB original was not quantized.
    (problem,) = problems_of(row(method="Квантизация INT8", size="711Mb"), base_rows=(row(),))
    assert problem.code == "size-contradicts-method"
    assert problem.message == (
        "INT8 weights should be between ¼ × 711 MB = 177.75 MB (every weight quantized) and 0.7 × 711 MB = "
        "497.7 MB (up to 60% of the parameters — embeddings, LM head — kept in floating point: "
        "0.6 + 0.4 × ¼ = 0.7); ±20% is 142.2–597.24 MB, but the row says 711 MB"
    )
    assert localized(problem, "ru").startswith("веса INT8 должны занимать от ¼ × 711 MB = 177.75 MB")
    (below,) = problems_of(row(method="INT8", size="100Mb"), base_rows=(row(),))
    assert (below.params["low"], below.params["weights"]) == ("142.2", "100")
    (half,) = problems_of(row(method="FP16", size="500Mb"), base_rows=(row(),))
    assert half.message == (
        "FP16 weights should be about ½ of the original: ½ × 711 MB = 355.5 MB; ±20% is 284.4–426.6 MB, "
        "but the row says 500 MB"
    )


def test_dynamic_int8_keeps_embeddings_in_floating_point() -> None:
    # pr-18's honest row: rubert-base-cased's 120k-word vocabulary is 52% of its parameters, and dynamic
    # INT8 quantizes only the linear layers, so 711 MB becomes 0.48 × ¼ + 0.52 = 64% of it, 455 MB.
    assert problems_of(row(method="Квантизация INT8", size="455Mb"), base_rows=(row(),)) == []
    config = RulesConfig(float_fraction_max=0.2)  # a course whose models have small vocabularies
    assert codes(
        problems_of(row(method="Квантизация INT8", size="455Mb"), base_rows=(row(),), config=config)
    ) == ["size-contradicts-method"]


@pytest.mark.parametrize(
    ("method", "size"),
    [
        ("Quantized INT8", "424 MB"),
        ("Quantized Float16", "665 MB"),
        ("GPTQ (4-bit)", "170 MB"),
        ("Pruning", "1.3 GB"),
    ],
)
def test_a_size_that_fits_the_method_is_allowed(method: str, size: str) -> None:
    assert problems_of(row(model="dslim/bert-large-NER", method=method, size=size), base_rows=(BERT,)) == []


def test_method_shares() -> None:
    assert method_share("GPTQ (4-bit)") == (1 / 8, "⅛", "4-bit")
    assert method_share("GPTQ 8bit") == (1 / 4, "¼", "INT8")
    assert method_share("INT8 (BitsAndBytes)") == (1 / 4, "¼", "INT8")
    assert method_share("Quantized Float16") == (1 / 2, "½", "FP16")
    assert method_share("AWQ") == (1 / 8, "⅛", "4-bit")
    assert method_share("Pruning") is None


# --- throughput-above-roofline ---------------------------------------------------------------------

LLM = "| Qwen/Qwen2.5-1.5B | Оригинал | 5888 MB | - | {gpu} | - | 6000 MB | 0.63 BLEU |"


def test_throughput_above_the_gpu_bandwidth_is_refused() -> None:
    (problem,) = problems_of(LLM.format(gpu="120 tokens/s (Tesla T4)"))
    assert problem.code == "throughput-above-roofline"
    assert problem.message == (
        "120 tokens/s × 6.174 GB of weights = 740.88 GB/s, above the 320 GB/s memory bandwidth of T4: "
        "each token reads every weight once"
    )


def test_throughput_under_the_bandwidth_or_on_unknown_hardware_is_allowed() -> None:
    assert problems_of(LLM.format(gpu="120 tokens/s (A100)")) == []
    assert problems_of(LLM.format(gpu="40 tokens/s (Tesla T4)")) == []
    assert problems_of(LLM.format(gpu="120 tokens/s")) == []  # no GPU named, none configured
    assert problems_of(LLM.format(gpu="0.5 sec/token (Tesla T4)")) == []  # 2 tokens/s


def test_the_default_gpu_and_extra_gpus_come_from_the_config() -> None:
    assert codes(problems_of(LLM.format(gpu="120 tokens/s"), config=RulesConfig(default_gpu="T4"))) == [
        "throughput-above-roofline"
    ]
    config = RulesConfig(gpu_bandwidth_gbs={"Lab GPU": 1000})
    assert problems_of(LLM.format(gpu="120 tokens/s (lab gpu)"), config=config) == []
    assert codes(problems_of(LLM.format(gpu="8 ms/token (Tesla T4)"))) == ["throughput-above-roofline"]


# --- copied-numbers --------------------------------------------------------------------------------


def test_numbers_copied_from_another_models_row_are_refused() -> None:
    copied = BERT.replace("dslim/bert-large-NER", "team2/bert")
    (problem,) = problems_of(copied, base_rows=(BERT,))
    assert problem.code == "copied-numbers"
    assert problem.params["other_line"] == "8"
    assert "weights_size 1361.92" in problem.message


def test_the_same_numbers_in_the_same_models_rows_or_a_few_shared_numbers_are_allowed() -> None:
    assert problems_of(BERT.replace("Оригинал", "Clustering"), base_rows=(BERT,)) == []
    other = "| team2/bert | Оригинал | 1.33Gb | 500ms | 20ms | 2.7Gb | 1.4Gb | 80% F1 |"
    assert problems_of(other, base_rows=(BERT,)) == []


# --- spread-above-value ----------------------------------------------------------------------------


def test_a_spread_larger_than_its_value_is_refused() -> None:
    problems = problems_of(row(cpu="0.5+-0.8 ms", quality="WER: 0.031+-0.05"))
    assert codes(problems) == ["spread-above-value", "spread-above-value"]
    assert problems[0].message == "cpu_speed: the spread 0.8 is larger than the value 0.5"


def test_a_spread_below_its_value_is_allowed() -> None:
    assert problems_of(row(cpu="0.5+-0.1 ms", quality="WER: 0.031+-0.028")) == []


# --- severities ------------------------------------------------------------------------------------


def test_severity_can_be_raised_or_a_rule_turned_off() -> None:
    pr04 = row(size="327.32Mb", gpu="5.95ms", vram="9.32Mb")
    raised = problems_of(pr04, config=RulesConfig(severity={"vram-below-weights": "error"}))
    assert [(p.code, p.severity) for p in raised] == [("vram-below-weights", Severity.error)]
    assert problems_of(pr04, config=RulesConfig(severity={"vram-below-weights": "off"})) == []


def test_an_unknown_rule_in_the_severity_table_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown rule"):
        Config.model_validate({"rules": {"severity": {"vram-belw-weights": "off"}}})
    assert "copied-numbers" in RULES


def test_rows_only_reformatted_are_not_judged_again() -> None:
    base = readme(row(size="327.32Mb", gpu="5.95ms", vram="9.32Mb")).encode()
    head = readme(row(size="327.32 MB", gpu="5.95 ms", vram="9.32 MB")).encode()
    assert codes(judged(base, head)) == ["team-unknown", "row-reformatted-not-owned"]  # no vram-below-weights


# --- team and hardware -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "team"),
    [
        ("ml_masters HW-1", "ml_masters"),
        ("  Команда_Сжатия HW-3: дистилляция", "Команда_Сжатия"),
        ("team-6 HW 2", "team-6"),
        ("Добавил результаты замеров", None),
        (".. HW-1", None),
    ],
)
def test_team_from_title(title: str, team: str | None) -> None:
    assert team_from_title(title, RulesConfig()) == team


def test_the_title_pattern_is_configurable() -> None:
    config = RulesConfig(title_pattern=r"\[(?P<team>[^\]]+)\]")
    assert team_from_title("[Сжиматели] lesson 2", config) == "Сжиматели"
    with pytest.raises(ValidationError, match="team"):
        RulesConfig(title_pattern=r"(?P<name>\w+)")


@pytest.mark.parametrize(
    ("note", "name", "bandwidth"),
    [
        ("Tesla T4", "T4", 320),
        ("NVIDIA A100-SXM4-80GB", "A100", 2039),
        ("rtx4090", "RTX 4090", 1008),
        ("GeForce RTX 3060 Ti", "RTX 3060 Ti", 448),
        ("L40S", "L40S", 864),
        ("L4", "L4", 300),
        ("H100 PCIe", "H100 PCIe", 2000),
        ("Tesla V100", "V100", 900),
    ],
)
def test_find_gpu(note: str, name: str, bandwidth: float) -> None:
    gpu = find_gpu(note)
    assert gpu is not None
    assert (gpu.name, gpu.bandwidth_gbs) == (name, bandwidth)


def test_find_gpu_ignores_other_words() -> None:
    assert find_gpu("GPT4 on a laptop") is None
    assert find_gpu(None) is None
    assert BERT_INT8  # the fixture rows parse (used by other tests)


def test_a_zero_time_placeholder_claims_no_run() -> None:
    # The course template writes `0.0ms` for "not measured yet".
    assert problems_of(row(size="327.32Mb", cpu="0.0ms", gpu="0.0ms", ram="9Mb", vram="9.32Mb")) == []


def test_a_table_without_a_method_column_has_no_compressed_rows() -> None:
    header = "| Model | Size (MB) | GPU time (ms) | VRAM (MB) |\n|---|---|---|---|"
    text = readme("| team/a | 100 | 5 | 120 |", "| team/b | 50 | 4 | 60 |", header=header)
    head = check_bytes(text.encode(), "README.md")
    assert head.comparison is not None
    assert head.comparison.rows[0].method is None
    assert codes(judged(EMPTY, text.encode())) == ["team-unknown"]
