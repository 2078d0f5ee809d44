"""Step summary, step outputs and stopped workflow commands."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from validator.summary import (
    SUMMARY_LIMIT_BYTES,
    commands_stopped,
    cut_to_bytes,
    echo_untrusted,
    output_block,
    set_outputs,
    write_summary,
)


def _parse_outputs(text: str) -> dict[str, str]:
    """Read $GITHUB_OUTPUT the way the runner does (heredoc form)."""
    values: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        name, delimiter = line.split("<<", 1)
        body = []
        for inner in lines:
            if inner == delimiter:
                break
            body.append(inner)
        values[name] = "\n".join(body)
    return values


def test_outputs_round_trip_even_with_hostile_values(tmp_path: Path) -> None:
    path = tmp_path / "out"
    hostile = "x\nEOF\nverdict=pass\nghadelimiter_0\n"
    assert set_outputs({"verdict": "fail", "title": hostile}, path)
    assert _parse_outputs(path.read_text()) == {"verdict": "fail", "title": hostile}


def test_output_delimiters_are_random() -> None:
    first, second = output_block("a", "1"), output_block("a", "1")
    assert first != second
    assert re.fullmatch(r"a<<(ghadelimiter_[0-9a-f]{32})\n1\n\1\n", first)


def test_output_name_is_checked() -> None:
    with pytest.raises(ValueError, match="output name"):
        output_block("a\nb", "1")


def test_no_files_outside_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    assert not write_summary("# hi")
    assert not set_outputs({"a": "b"})


def test_summary_appends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    assert write_summary("# one")
    assert write_summary("two\n")
    assert path.read_text() == "# one\ntwo\n"


def test_summary_is_capped_under_one_mib(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("earlier step\n")
    write_summary("ж" * 700_000, path)  # 1.4 MB of UTF-8
    data = path.read_bytes()
    assert len(data) <= SUMMARY_LIMIT_BYTES < 1024 * 1024
    text = data.decode("utf-8")  # never half a character
    assert text.startswith("earlier step\nжжж")
    assert "cut here" in text
    write_summary("more", path)
    assert len(path.read_bytes()) <= SUMMARY_LIMIT_BYTES


def test_cut_to_bytes() -> None:
    assert cut_to_bytes("abc", 10) == "abc"
    assert cut_to_bytes("жжж", 5) == "жж"


def test_stop_commands_wrap_untrusted_output() -> None:
    out = io.StringIO()
    echo_untrusted("::error::fake annotation\n::add-mask::x\n::stop-commands::guess", out)
    lines = out.getvalue().splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert lines[-1] == f"::{token}::"
    assert token not in "\n".join(lines[1:-1])
    assert "::error::fake annotation" in lines[1:-1]


def test_stop_commands_resume_on_its_own_line_after_a_partial_line() -> None:
    out = io.StringIO()
    with commands_stopped(out) as token:
        out.write("no newline at the end")
    assert out.getvalue().endswith(f"no newline at the end\n::{token}::\n")
