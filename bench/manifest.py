"""Reading a team's declared submission: `submissions/<team>/bench.toml`, with tomllib and pydantic.

The types (`Manifest`, `RunSpec`, `ManifestError`) are in `validator.model`; this module reads the file
and points every error at its line.

```toml
team = "ml_masters"
[[run]]                           # one per table row the team claims
model = "openai/whisper-small"    # equals the row's model cell
method = "Оригинал"               # equals the row's method cell
entry = "bench.py:Submission"     # file:class, relative to this folder
task = "speech-recognition"       # generic | text-generation | speech-recognition | classification
data = "data/eval.jsonl"          # one JSON object a line: {"input": ..., "reference": ...}
weights = "weights/"              # optional: files or folder whose bytes are the weights size
batch_size = 1                    # optional
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

__all__ = ["MANIFEST_NAME", "Manifest", "ManifestError", "RunSpec", "Task", "load_manifest", "parse_manifest"]


def _run_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), start=1) if re.match(r"\s*\[\[\s*run\s*\]\]", line)]


def _key_line(text: str, key: str, after: int) -> int | None:
    for n, line in enumerate(
        text.splitlines()[after - 1 :] if after else text.splitlines(), start=after or 1
    ):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return n
    return None


def parse_manifest(text: str, path: Path) -> Manifest:
    """Parse bench.toml text; `path` is used for the folder and for error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+), column (\d+)", str(exc))
        raise ManifestError(
            path, f"not valid TOML: {exc}", int(match[1]) if match else None, int(match[2]) if match else None
        ) from None
    if isinstance(data.get("run"), dict):
        raise ManifestError(path, "`run` must be an array of tables: write `[[run]]`, not `[run]`")
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
        if len(loc) >= 2 and loc[0] == "run" and loc[1].isdigit() and int(loc[1]) < len(run_lines):
            start = run_lines[int(loc[1])]
            line = _key_line(text, loc[2], start) if len(loc) > 2 else start
            where = f"[[run]] #{int(loc[1]) + 1}" + (f", `{loc[2]}`" if len(loc) > 2 else "")
        else:
            line = _key_line(text, loc[0], 0) if loc else None
            where = f"`{'.'.join(loc)}`" if loc else "manifest"
        message = first["msg"].removeprefix("Value error, ")
        raise ManifestError(path, f"{where}: {message}", line) from None


def load_manifest(path: Path) -> Manifest:
    """Read `submissions/<team>/bench.toml` (or the folder holding it)."""
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(path, "no such file") from None
    except UnicodeDecodeError as exc:
        raise ManifestError(path, f"not UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise ManifestError(path, f"cannot read ({exc.strerror})") from None
    return parse_manifest(text, path)
