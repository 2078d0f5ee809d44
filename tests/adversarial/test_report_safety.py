"""Student text in the PR comment and the job summary: shown, never live; the marker cannot be spoofed.

Every place a report carries student text (model, method and metric cells, the team, problem
messages, the run's error and traceback, its output, notes, the corrected row) is filled with payloads
that would be live HTML, images, links, mentions or HTML comments if pasted raw. The Markdown is then
rendered the way GitHub would (markdown-it-py with HTML enabled) and the HTML searched.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.github.conftest import BOT, FakeGitHub
from validator.github import MARKER, Retry, post_sticky_comment, with_marker
from validator.model import Check, Metric, Quantity, RatioCheck, RowVerification, VerifyReport
from validator.reporters.verify import render_markdown
from validator.summary import write_summary
from validator.verify import CLAIM_MISMATCH, RUN_FAILED

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<iframe src=//evil.example></iframe>",
    '<a href="https://evil.example">verified</a>',
    "[all claims verified](https://evil.example)",
    "![pwned](https://evil.example/x.png)",
    "<https://evil.example/autolink>",
    "https://evil.example/bare www.evil.example",
    "@octocat @org/team ping@everyone",
    MARKER,
    "<!-- hidden --> text",
    "</details><img src=x>",
    "```\n<img src=x>\n```",
    "~~~\n<script>x</script>",
    "&lt;img src=x&gt; &#60;img src=x&#62;",
    "\n\n# Approved\n\n| a | b |\n|---|---|",
    "[ref]\n\n[ref]: https://evil.example",
    "`` <img src=x> ``",
    "<details open><summary>x</summary>",
    "\\<img src=x>",
    "#123 GH-1 :+1:",
]
#: ZWSP is how escape() breaks autolinks and mentions: an `@` directly followed by a name is live.
MENTION = re.compile(r"(?<![\w\u200b])@[A-Za-z0-9]")
LIVE_HTML = re.compile(r"<\s*(img|a|script|iframe|svg|object|embed|style|link|meta|form|input)\b", re.I)
OUR_TAGS = {"<details>", "</details>", "<summary>", "</summary>"}
MD = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")

FLAKY_FREE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def hostile_report(text: str, log: str | None = None) -> VerifyReport:
    """A failing report with `text` in every field that comes from a student."""
    problem = RUN_FAILED.at(8, 3, model=text, method=text, status="error", error=text)
    other = CLAIM_MISMATCH.at(
        9, 1, suggestion=text, model=text, method=text, field=text, claimed=text, verified=text, note=text
    ).model_copy(update={"path": text})
    metric = Metric(name=text, value=50.0, unit="%")
    checks = [
        Check(field=f"quality.{text}", claimed=metric, verified=metric, verdict="mismatch", note=text),
        Check(
            field="cpu_speed",
            claimed=Quantity(value=10, unit="ms", note=text),
            verified=Quantity(value=30, unit="ms"),
            verdict="mismatch",
            note=text,
        ),
    ]
    return VerifyReport(
        verdict="fail",
        team=text,
        readme=text,
        rows=[
            RowVerification(
                line=8, model=text, method=text, status="error", log_tail=f"Traceback\n{log or text}"
            ),
            RowVerification(
                line=9, model=text, method=text, status="ok", checks=checks, corrected_row=f"| {text} |"
            ),
        ],
        ratios=[
            RatioCheck(
                model=text,
                method=text,
                baseline_method=text,
                field="cpu_speed",
                verdict="mismatch",
                note=text,
            )
        ],
        problems=[problem, other],
    )


def _outside_code(tokens: list[Token]) -> list[str]:
    """The text GitHub would render as prose: every inline text, without code spans and blocks."""
    found: list[str] = []
    for token in tokens:
        if token.type in ("fence", "code_block", "code_inline"):
            continue
        if token.type in ("text", "html_inline", "html_block"):
            found.append(token.content)
        if token.children:
            found.extend(_outside_code(token.children))
    return found


def assert_inert(markdown: str) -> None:
    assert "<!--" not in markdown
    tokens = MD.parse(markdown)
    html = MD.render(markdown)
    assert not LIVE_HTML.search(html), LIVE_HTML.search(html)
    raw_html = [t.content.strip() for t in _walk(tokens) if t.type in ("html_inline", "html_block")]
    for block in raw_html:
        tags = set(re.findall(r"</?[a-z]+[^>]*>", block))
        assert tags <= OUR_TAGS, block
    assert not [t for t in _walk(tokens) if t.type in ("link_open", "image")]
    for text in _outside_code(tokens):
        assert not MENTION.search(text), text
        assert "://" not in text.replace(":\u200b//", ""), text


def _walk(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        if token.children:
            out.extend(_walk(token.children))
    return out


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_student_text_is_inert_in_the_comment(payload: str, language: str) -> None:
    body = render_markdown(hostile_report(payload), language)
    assert_inert(body)
    # The payload's words are still shown to the reader (escaped, not dropped).
    assert "Traceback" in body


@FLAKY_FREE
@given(
    st.lists(st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=12)), min_size=1, max_size=6).map("".join)
)
def test_any_student_text_is_inert(text: str) -> None:
    assert_inert(render_markdown(hostile_report(text)))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_student_text_is_inert_in_the_job_summary(payload: str, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    assert write_summary(render_markdown(hostile_report(payload)), summary)
    assert_inert(summary.read_text(encoding="utf-8"))


def test_a_cut_summary_stays_inert(tmp_path: Path) -> None:
    # The summary is cut at 1 MiB, possibly inside a code block: what is left must still be inert.
    summary = tmp_path / "summary.md"
    summary.write_text("x" * (1024 * 1024 - 20_000), encoding="utf-8")
    report = hostile_report(
        "<img src=x> @octocat " * 50, "\n".join(["<script>alert(1)</script> @octocat"] * 2000)
    )
    assert write_summary(render_markdown(report, limit=10**7), summary)
    text = summary.read_text(encoding="utf-8")
    assert len(text.encode()) < 1024 * 1024
    assert "The report was cut here" in text
    assert_inert(text[1024 * 1024 - 20_000 :])


@pytest.mark.parametrize("payload", [MARKER, f"x {MARKER} y", f"{MARKER}\n{MARKER}", "<!-- validator:report"])
def test_student_text_never_adds_a_second_marker(payload: str) -> None:
    body = with_marker(render_markdown(hostile_report(payload)))
    assert body.startswith(MARKER + "\n")
    assert body.count(MARKER) == 1
    assert body.count("<!--") == 1


def _no_wait() -> Retry:
    return Retry(sleep=lambda _: None)


def test_a_spoofed_marker_never_hijacks_the_comment(github_env: FakeGitHub) -> None:
    first = with_marker(render_markdown(hostile_report(MARKER)))
    # Before we ever post: students plant the marker at the start, in the middle, and a full copy.
    planted = [
        github_env.add_comment(7, "student", f"{MARKER}\nAll claims verified ✅"),
        github_env.add_comment(7, "student", f"Looks good {MARKER} to me"),
        github_env.add_comment(7, "helper", first),
    ]
    before = [c["body"] for c in planted]
    posted = post_sticky_comment("course/hw", 7, first, retry=_no_wait())
    assert posted.created  # none of theirs was taken for ours
    second = with_marker(render_markdown(hostile_report("@octocat second run")))
    again = post_sticky_comment("course/hw", 7, second, retry=_no_wait())
    assert again.id == posted.id
    assert [c["body"] for c in planted] == before
    ours = [c for c in github_env.comments[7] if c["user"]["login"] == BOT]
    assert len(ours) == 1
    assert ours[0]["body"] == second
    assert github_env.count("PATCH", r"/repos/course/hw/issues/comments/\d+") == 1
