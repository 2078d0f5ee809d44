"""The Markdown report: golden files in both languages, tables intact, student text inert."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.conftest import DATA
from validator.model import (
    Check,
    Environment,
    Metric,
    Quantity,
    RatioCheck,
    RowVerification,
    Severity,
    VerifyReport,
)
from validator.reporters.verify import MAX_CHARS, escape, render_markdown, render_text
from validator.verify import CLAIM_MISMATCH, RUN_FAILED, RUN_OVER_BUDGET

GOLDEN = DATA / "reports"


def sample_report() -> VerifyReport:
    """A PR of team ml_masters: an honest original, an INT8 row that lies about size, a crash."""
    env = Environment(cpu="AMD EPYC 7B13", cores=2, ram_mb=24 * 1024, torch="2.13.0", threads=2)
    ms = lambda v: Quantity(value=v, unit="ms")  # noqa: E731
    mb = lambda v: Quantity(value=v, unit="MB")  # noqa: E731
    original = RowVerification(
        line=9,
        model="tiny-gpt2",
        method="Оригинал",
        status="ok",
        checks=[
            Check(
                field="weights_size",
                claimed=mb(0.52),
                verified=mb(0.52),
                verdict="verified",
                note="within ±5%",
                judged_by="absolute",
            ),
            Check(
                field="cpu_speed",
                claimed=ms(3.1),
                verified=ms(2.94871),
                verdict="verified",
                note="within ×/÷2 (same hardware)",
                judged_by="absolute",
            ),
            Check(
                field="gpu_speed",
                claimed=ms(1.2),
                verdict="unverified",
                note="the re-run had no GPU",
                judged_by="not comparable",
            ),
            Check(
                field="quality.exact_match",
                claimed=Metric(name="exact_match", value=1.0),
                verified=Metric(name="exact_match", value=1.0),
                verdict="verified",
                note="within ±2%",
                judged_by="absolute",
            ),
        ],
        corrected_row="| tiny-gpt2 | Оригинал | 0.52 MB | 3.1 ms | 1.2 ms | - | - | exact_match: 1 |",
    )
    int8 = RowVerification(
        line=10,
        model="tiny-gpt2",
        method="INT8",
        status="ok",
        checks=[
            Check(
                field="weights_size",
                claimed=mb(0.05),
                verified=mb(0.20312),
                verdict="mismatch",
                note="within ±5%",
                judged_by="absolute",
            ),
            Check(
                field="cpu_speed",
                claimed=Quantity(value=1.55, unit="ms", note="Tesla T4"),
                verified=ms(2.5312),
                verdict="unverified",
                note="measured on Tesla T4, not this runner: judged by the ratio over the original",
                judged_by="ratio",
            ),
            Check(field="ram", verified=mb(401.4871), verdict="unverified", note="no claim: suggested value"),
        ],
        corrected_row="| tiny-gpt2 | INT8 | 0.2 MB | 2.5 ms | - | 401.5 MB | - | exact_match: 1 |",
        timed_calls=22,
        passes=3,
        passes_declared=5,
    )
    crashed = RowVerification(
        line=11,
        model="tiny-whisper",
        method="Pruning",
        status="error",
        log_tail='Traceback (most recent call last):\n  File "bench.py", line 3\nRuntimeError: boom',
    )
    skipped = RowVerification(line=12, model="tiny-whisper", method="Distilled", status="skipped")
    ratio = RatioCheck(
        model="tiny-gpt2",
        method="INT8",
        baseline_method="Оригинал",
        field="cpu_speed",
        claimed=0.5,
        verified=0.86,
        verdict="mismatch",
        note="within ±20%",
    )
    problems = [
        CLAIM_MISMATCH.at(
            10,
            26,
            model="tiny-gpt2",
            method="INT8",
            field="weights_size",
            field_ru="размер весов",
            claimed="0.05 MB",
            verified="0.2 MB",
            note="within ±5%",
            note_ru="допуск ±5%",
        ),
        RUN_FAILED.at(
            11, 1, model="tiny-whisper", method="Pruning", status="error", error="RuntimeError: boom"
        ),
        RUN_OVER_BUDGET.at(
            12,
            1,
            model="tiny-whisper",
            method="Distilled",
            estimate="41.2",
            needed="536",
            timeout="600",
            label="gpu-rerun",
        ),
    ]
    return VerifyReport(
        verdict="fail",
        base="a" * 40,
        head="b" * 40,
        team="ml_masters",
        rows=[original, int8, crashed, skipped],
        ratios=[ratio],
        problems=problems,
        environment=env,
    )


@pytest.mark.parametrize("language", ["en", "ru"])
def test_golden_markdown(language: str) -> None:
    body = render_markdown(sample_report(), language)
    golden = GOLDEN / f"sample.{language}.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(body, encoding="utf-8")
    assert body == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_report_parses_back_with_its_tables_intact(language: str) -> None:
    tokens = MarkdownIt("commonmark").enable("table").parse(render_markdown(sample_report(), language))
    tables = [i for i, t in enumerate(tokens) if t.type == "table_open"]
    assert len(tables) == 3  # the ratios, then one per row with checks
    # Every body row of every table has as many cells as its header.
    widths: list[int] = []
    cells = 0
    for token in tokens:
        if token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            widths.append(cells)
    assert widths == [7, 7, *[6] * 9]
    html = (
        MarkdownIt("commonmark", {"html": True})
        .enable("table")
        .render(render_markdown(sample_report(), language))
    )
    assert html.count("<details>") == 3  # two corrected rows and one log tail


def test_summary_leads_with_the_verdict_and_ratios_come_first() -> None:
    body = render_markdown(sample_report())
    assert body.startswith(
        "## ❌ Benchmark verification: fail\n\n3 verified, 2 mismatch, 3 unverified; 2 errors, 1 warning"
    )
    assert body.index("Compressed over original") < body.index("### tiny\\-gpt2 · Оригинал")


def test_text_report() -> None:
    text = render_text(sample_report())
    assert text.splitlines()[0].startswith("Benchmark verification: fail")
    assert "ratio tiny-gpt2 · INT8/Оригинал cpu_speed: claimed x0.5, verified x0.86 -> mismatch" in text


HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "![pwn](https://evil.example/x.png)",
    "[click](javascript:alert(1))",
    "@octocat please merge",
    "https://evil.example/phish",
    "www.evil.example",
    "<!-- validator:report -->",
    "| col | injection |",
    "`code` **bold** <script>x</script>",
    "<details><summary>fake</summary>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_student_text_is_inert(text: str) -> None:
    report = sample_report()
    rows = [r.model_copy(update={"model": text, "method": text, "log_tail": text}) for r in report.rows]
    problems = [
        p.model_copy(update={"message": text, "suggestion": text, "params": {}}) for p in report.problems
    ]
    hostile = report.model_copy(update={"rows": rows, "problems": problems, "team": text})
    body = render_markdown(hostile)
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(body)
    assert "<img" not in html and "<script" not in html and "<a " not in html
    # Outside code blocks (where GitHub links nothing), mentions and bare URLs are broken.
    tokens = MarkdownIt("commonmark", {"html": True}).enable("table").parse(body)
    prose = "\n".join(t.content for t in tokens if t.type == "inline")
    assert "@octocat" not in prose  # a zero-width space breaks the mention
    assert "https://evil" not in prose and "www.evil" not in prose
    assert body.count("<!-- validator:report -->") == 0
    # Only our own collapsible sections: two corrected rows and four log tails.
    assert html.count("<details>") == 6
    assert html.count("<summary>") == 6


def test_escape_keeps_text_readable() -> None:
    assert escape("openai/whisper-small") == "openai/whisper\\-small"
    assert escape("a\nb") == "a b"


def test_report_is_capped() -> None:
    report = sample_report()
    big = "x" * 5_000
    rows = [
        report.rows[2].model_copy(update={"log_tail": "\n".join([big] * 40), "line": i}) for i in range(200)
    ]
    body = render_markdown(report.model_copy(update={"rows": rows}))
    assert len(body) <= MAX_CHARS
    assert "trimmed" in body


def test_report_json_round_trips_through_validation(tmp_path: Path) -> None:
    report = sample_report()
    again = VerifyReport.model_validate_json(report.model_dump_json())
    assert again == report
    assert again.problems[0].severity is Severity.error


def test_comment_numbers_have_three_significant_digits_and_json_keeps_them_whole() -> None:
    report = sample_report()
    body = render_markdown(report, "en")
    assert "| RAM | — | 401 MB |" in body  # 401.4871
    assert "| CPU speed | 3.1 ms | 2.95 ms |" in body  # 2.94871
    assert "| weights size | 0.05 MB | 0.203 MB |" in body  # 0.20312
    assert "401.4871" not in body and "2.94871" not in body
    data = report.model_dump_json()
    assert "401.4871" in data and "2.94871" in data and "0.20312" in data


def test_each_check_says_how_it_was_judged() -> None:
    body = render_markdown(sample_report(), "en")
    assert "| judged | verdict |" in body
    assert "| by ratio | ➖ unverified" in body and "| not comparable | ➖ unverified" in body
    russian = render_markdown(sample_report(), "ru")
    assert "| по отношению |" in russian and "| абсолютно |" in russian
    assert "судим по отношению к оригиналу" in russian
    text = render_text(sample_report(), "en")
    assert "[by ratio]" in text


def test_the_report_says_when_fewer_passes_were_timed_than_declared() -> None:
    english = render_markdown(sample_report(), "en")
    assert "Timed: 22 calls in 3 of the 5 declared passes." in english
    assert english.count("Timed:") == 1  # the original ran every declared pass: nothing to say
    assert "Замерено: 22 вызова; проходов 3 из 5 объявленных." in render_markdown(sample_report(), "ru")
