"""The files and commands a GitHub Actions step talks to the runner through.

- `$GITHUB_STEP_SUMMARY`: Markdown shown on the run's page. GitHub refuses a step summary over
  1 MiB, so we cap what we append and say so when we cut.
- `$GITHUB_OUTPUT`: step outputs. Values go in a heredoc with a random delimiter, so a value (a path,
  a title) cannot end the heredoc early and set outputs of its own.
- `::stop-commands::<token>`: while it is on, the runner ignores workflow commands in the log, so
  student output we echo (benchmark logs, cell text) cannot add annotations, mask values or set
  outputs. The token is random per use, so the student cannot print it to turn commands back on.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

#: GitHub's limit for one step's summary is 1 MiB; stay clearly below it.
SUMMARY_LIMIT_BYTES = 1024 * 1024 - 16 * 1024

_CUT_NOTE = "\n\n> [!NOTE]\n> The report was cut here: a step summary is limited to 1 MiB.\n"


def _env_path(name: str, path: Path | None) -> Path | None:
    if path is not None:
        return path
    value = os.environ.get(name)
    return Path(value) if value else None


def cut_to_bytes(text: str, limit: int) -> str:
    """The longest prefix of text whose UTF-8 encoding fits in limit bytes (never half a character)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: max(limit, 0)].decode("utf-8", errors="ignore")


def write_summary(markdown: str, path: Path | None = None) -> bool:
    """Append markdown to the step summary; False when there is none (not on GitHub Actions).

    What the summary already holds counts against the limit, since GitHub measures the whole file.
    """
    target = _env_path("GITHUB_STEP_SUMMARY", path)
    if target is None:
        return False
    try:
        used = target.stat().st_size
    except FileNotFoundError:
        used = 0
    room = SUMMARY_LIMIT_BYTES - used
    if room <= len(_CUT_NOTE.encode()):
        return True
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    if len(text.encode("utf-8")) > room:
        text = cut_to_bytes(text, room - len(_CUT_NOTE.encode())) + _CUT_NOTE
    with target.open("a", encoding="utf-8") as stream:
        stream.write(text)
    return True


def output_block(name: str, value: str) -> str:
    """One `$GITHUB_OUTPUT` entry: `name<<DELIM`, the value, `DELIM`, with a delimiter not in the value."""
    if not name or any(c in name for c in "\r\n=<"):
        raise ValueError(f"not a valid output name: {name!r}")
    while True:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter not in value:
            break
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def set_outputs(values: Mapping[str, str], path: Path | None = None) -> bool:
    """Append step outputs to `$GITHUB_OUTPUT`; False when there is none."""
    target = _env_path("GITHUB_OUTPUT", path)
    if target is None:
        return False
    with target.open("a", encoding="utf-8") as stream:
        for name, value in values.items():
            stream.write(output_block(name, value))
    return True


@contextmanager
def commands_stopped(stream: TextIO | None = None) -> Iterator[str]:
    """Stop workflow commands in the log for the duration; yields the random token.

    Everything printed inside is shown as plain text on GitHub Actions.
    """
    out = stream or sys.stdout
    token = secrets.token_hex(16)
    out.write(f"::stop-commands::{token}\n")
    out.flush()
    try:
        yield token
    finally:
        out.flush()
        # A student line without a final newline would swallow our resume command.
        out.write(f"\n::{token}::\n")
        out.flush()


def echo_untrusted(text: str, stream: TextIO | None = None) -> None:
    """Print text that may contain student output, with workflow commands stopped around it."""
    out = stream or sys.stdout
    with commands_stopped(out):
        out.write(text if text.endswith("\n") else text + "\n")
