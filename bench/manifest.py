"""Reading a team's declared submission: `submissions/<team>/bench.toml`, with tomllib and pydantic.

The types (`Manifest`, `RunSpec`, `ManifestError`) are in `validator.model`; this module reads the file
and points every error at its line.

```toml
team = "ml_masters"
[[run]]                           # one per table row the team claims
model = "openai/whisper-small"    # equals the row's model cell
method = "Оригинал"               # equals the row's method cell
entry = "bench.py:Submission"     # file:class, relative to this folder
task = "speech-recognition"       # see the tasks below (bench/tasks): speech-recognition,
                                  # text-to-speech, text-classification, token-classification,
                                  # image-classification, language-modeling, text-generation, generic
data = "data/eval.jsonl"          # one JSON object a line: {"input": ..., "reference": ...}
weights = "weights/"              # optional: files or folder whose bytes are the weights size
batch_size = 1                    # optional
hub = [                           # optional: hub repositories the code loads, pinned to a commit
  { repo = "openai/whisper-small", revision = "<40 hex digits>", files = ["*.json", "*.safetensors"] },
]                                 # fetched by the judge; `from_pretrained(repo)` works offline
```

Every path must stay inside the team's folder: the manifest is student input.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

# The types are the shared model's: the diff rules read manifests too, and sit below the harness.
from validator.model import MANIFEST_NAME, Manifest, ManifestError, RunSpec, Task

__all__ = [
    "MANIFEST_NAME",
    "Manifest",
    "ManifestError",
    "RunSpec",
    "Task",
    "decode_manifest",
    "load_manifest",
    "parse_manifest",
]


def _run_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), start=1) if re.match(r"\s*\[\[\s*run\s*\]\]", line)]


def _key_line(text: str, key: str, after: int) -> int | None:
    for n, line in enumerate(
        text.splitlines()[after - 1 :] if after else text.splitlines(), start=after or 1
    ):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return n
    return None


def _value_position(text: str, key: str, value: str, start: int, end: int | None) -> tuple[int, int] | None:
    """Line and column of `key = "value"` between lines `start` and `end` (inline tables included)."""
    pattern = re.compile(rf"""\b{re.escape(key)}\s*=\s*(["']){re.escape(value)}\1""")
    for number, line in enumerate(text.splitlines()[start - 1 : end and end - 1], start=start):
        match = pattern.search(line)
        if match is not None:
            return number, match.start(1) + 1
    return None


#: A manifest is a few dozen lines; anything this big is not one (and would be slow to parse).
MAX_MANIFEST_BYTES = 256 * 1024
#: Arrays and inline tables nested deeper than this are refused before parsing (tomllib recurses).
MAX_NESTING = 32
#: Python refuses to convert longer digit strings to int (a ValueError without a position).
MAX_DIGITS = 4000


def decode_manifest(data: bytes, path: Path) -> str:
    """bench.toml's bytes as text: UTF-8 (a byte-order mark is dropped), at most `MAX_MANIFEST_BYTES`."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(
            path, f"too large ({len(data)} bytes; a manifest is at most {MAX_MANIFEST_BYTES})"
        )
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ManifestError(path, f"not UTF-8 ({exc.reason})", line, column) from None


def _too_deep(text: str, path: Path) -> None:
    """Refuse values nested deeper than `MAX_NESTING` (outside strings and comments), with their place."""
    depth, quote, line, column = 0, "", 1, 0
    index = 0
    while index < len(text):
        char = text[index]
        column += 1
        if char == "\n":
            line, column = line + 1, 0
            if quote in ('"', "'"):
                quote = ""
        elif quote:
            if char == "\\" and quote in ('"', '"""'):
                index += 1
                column += 1
            elif text.startswith(quote, index):
                index += len(quote) - 1
                quote = ""
        elif char == "#":
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
            continue
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, index) else char
            index += len(quote) - 1
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise ManifestError(path, f"values nested more than {MAX_NESTING} deep", line, column)
        elif char in "]}":
            depth = max(depth - 1, 0)
        index += 1


def _huge_number(text: str, path: Path) -> None:
    match = re.search(rf"[0-9_]{{{MAX_DIGITS},}}", text)
    if match is not None:
        line = text.count("\n", 0, match.start()) + 1
        start = text.rfind("\n", 0, match.start()) + 1
        key = text[start : match.start()].split("=", 1)[0].strip() or "a value"
        raise ManifestError(path, f"`{key}`: a number with more than {MAX_DIGITS} digits", line)


def parse_manifest(text: str, path: Path) -> Manifest:
    """Parse bench.toml text; `path` is used for the folder and for error messages.

    Every failure is a `ManifestError` with the line: nothing a team writes makes this raise
    anything else (deep nesting, huge numbers and wrong types included).
    """
    if len(text) > MAX_MANIFEST_BYTES:
        raise ManifestError(
            path, f"too large ({len(text)} characters; a manifest is at most {MAX_MANIFEST_BYTES})"
        )
    _too_deep(text, path)
    _huge_number(text, path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+), column (\d+)", str(exc))
        raise ManifestError(
            path, f"not valid TOML: {exc}", int(match[1]) if match else None, int(match[2]) if match else None
        ) from None
    except (RecursionError, ValueError) as exc:  # what the checks above should already have caught
        raise ManifestError(path, f"cannot be read: {type(exc).__name__}") from None
    if isinstance(data.get("run"), dict):
        line = next((n for n, t in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\s*run\s*\]", t)), None)
        raise ManifestError(path, "`run` must be an array of tables: write `[[run]]`, not `[run]`", line)
    run_lines = _run_lines(text)
    runs = data.get("run")
    if isinstance(runs, list):
        for index, run in enumerate(runs):
            if isinstance(run, dict) and index < len(run_lines):
                run["line"] = run_lines[index]
    try:
        return Manifest.model_validate({**data, "folder": path.parent})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        line = None
        column = None
        if len(loc) >= 2 and loc[0] == "run" and loc[1].isdigit() and int(loc[1]) < len(run_lines):
            start = run_lines[int(loc[1])]
            line = _key_line(text, loc[2], start) if len(loc) > 2 else start
            inner = ".".join(p if not p.isdigit() else f"[{p}]" for p in loc[2:]).replace(".[", "[")
            where = f"[[run]] #{int(loc[1]) + 1}" + (f", `{inner}`" if len(loc) > 2 else "")
            if len(loc) > 3 and isinstance(first.get("input"), str):
                # A nested value (`hub[1].revision`): the line and column where that value is written.
                end = run_lines[int(loc[1]) + 1] if int(loc[1]) + 1 < len(run_lines) else None
                found = _value_position(text, loc[-1], first["input"], start, end)
                if found is not None:
                    line, column = found
        else:
            line = _key_line(text, loc[0], 0) if loc else None
            where = f"`{'.'.join(loc)}`" if loc else "manifest"
        message = first["msg"].removeprefix("Value error, ")
        raise ManifestError(path, f"{where}: {message}", line, column) from None


def load_manifest(path: Path) -> Manifest:
    """Read `submissions/<team>/bench.toml` (or the folder holding it)."""
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ManifestError(path, f"too large (a manifest is at most {MAX_MANIFEST_BYTES} bytes)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError(path, "no such file") from None
    except OSError as exc:
        raise ManifestError(path, f"cannot read ({exc.strerror})") from None
    return parse_manifest(decode_manifest(data, path), path)
