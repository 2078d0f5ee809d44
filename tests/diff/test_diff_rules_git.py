"""Every plausibility rule through git: a throwaway repository per case, refused and allowed.

The allowed row differs from the refused one in the one cell the rule is about, so each pair shows the
line the rule draws.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.config import Config
from validator.diff import diff_revisions

from .gitrepo import BERT, HEADER, Repo, manifest, readme

#: The seed README's header: throughput in tokens/sec, so a tokens/s cell overrides nothing.
TOKENS_HEADER = HEADER.replace("(CPU, ms)", "(CPU, tokens/sec)").replace("(GPU, ms)", "(GPU, tokens/sec)")

ORIGINAL_711 = "| rubert-base-cased | Оригинал | 711Mb | - | 0.029138 s | - | 800Mb | 0.495 Accuracy |"
CASES = [
    # (rule, rows already in the base, refused row, allowed row)
    (
        "vram-below-weights",
        (),
        "| google/vit | Оригинал | 327.32Mb | 285.9ms | 5.95ms | 380.71Mb | 9.32Mb | 32.25% Accuracy |",
        "| google/vit | Оригинал | 327.32Mb | 285.9ms | 5.95ms | 380.71Mb | 344.13Mb | 32.25% Accuracy |",
    ),
    (
        "ram-below-weights",
        (),
        "| google/vit | Оригинал | 327.32Mb | 285.9ms | - | 100Mb | - | 32.25% Accuracy |",
        "| google/vit | Оригинал | 327.32Mb | 285.9ms | - | 203.06Mb | - | 32.25% Accuracy |",
    ),
    (
        "no-original-row",
        (),
        "| efficientvit_b1 | Distilled | 34.77Mb | 32.71 ms | 11.10 ms | 514.53 MB | 363.00 Mb | 81.5% F1 |",
        "| efficientvit_b1 | Оригинал | 34.77Mb | 32.71 ms | 11.10 ms | 514.53 MB | 363.00 Mb | 81.5% F1 |",
    ),
    (
        "size-contradicts-method",
        (ORIGINAL_711,),
        "| rubert-base-cased | Квантизация INT8 | 711Mb | - | 0.019614 s | - | 800Mb | 0.415 Accuracy |",
        "| rubert-base-cased | Квантизация INT8 | 455Mb | - | 0.019614 s | - | 500Mb | 0.415 Accuracy |",
    ),
    (
        "throughput-above-roofline",
        (),
        "| FishSpeech | Оригинал | 1280 Mb | 0.42 | 460+-20 (Tesla T4) | 1560Mb | 1560Mb | 2.25 MOS |",
        "| FishSpeech | Оригинал | 1280 Mb | 0.42 | 11.46+-0.58 (Tesla T4) | 1560Mb | 1560Mb | 2.25 MOS |",
    ),
    (
        "copied-numbers",
        (BERT,),
        BERT.replace("dslim/bert-large-NER", "team7/bert-ner"),
        BERT.replace("dslim/bert-large-NER", "team7/bert-ner").replace("769.1ms", "512.4ms"),
    ),
    (
        "spread-above-value",
        (),
        "| FishSpeech | Оригинал | 1280 Mb | - | - | - | - | WER: 0.031+-0.05 |",
        "| FishSpeech | Оригинал | 1280 Mb | - | - | - | - | WER: 0.031+-0.028 |",
    ),
]


def codes_after_pr(tmp_path: Path, rule: str, base_rows: tuple[str, ...], row: str) -> list[str]:
    header = TOKENS_HEADER if rule == "throughput-above-roofline" else HEADER
    repo = Repo(tmp_path)
    repo.commit({"README.md": readme(*base_rows, header=header)}, "lesson")
    model, method = (cell.strip() for cell in row.strip("|").split("|")[:2])
    team = {"submissions/t1/bench.toml": manifest("t1", [(model, method)])}
    repo.commit({"README.md": readme(*base_rows, row, header=header), **team})
    report = diff_revisions(repo.path, "HEAD~1", "HEAD", title="t1 HW-1", readme="README.md", config=Config())
    return [p.code for p in report.problems]


@pytest.mark.parametrize(("rule", "base_rows", "refused", "allowed"), CASES, ids=[c[0] for c in CASES])
def test_rule_refuses(
    tmp_path: Path, rule: str, base_rows: tuple[str, ...], refused: str, allowed: str
) -> None:
    assert codes_after_pr(tmp_path, rule, base_rows, refused) == [rule]


@pytest.mark.parametrize(("rule", "base_rows", "refused", "allowed"), CASES, ids=[c[0] for c in CASES])
def test_rule_allows(
    tmp_path: Path, rule: str, base_rows: tuple[str, ...], refused: str, allowed: str
) -> None:
    assert codes_after_pr(tmp_path, rule, base_rows, allowed) == []
