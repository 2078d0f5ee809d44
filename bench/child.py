"""Runs inside the child process: imports the team's entry, loads it, warms up, times `predict`.

Started by `bench.runner` as `python -P -m bench.child SPEC_JSON FD`. Everything it reports goes back
as JSON lines over the dedicated pipe FD, never over stdout, which the team's code may fill with
anything. Messages: `{"event": "phase", "phase": ...}`, `{"event": "progress", "done", "total"}`,
`{"event": "timed", "edge": "start"|"end"}` (the parent times the timed phase with its own clock),
then exactly one `{"event": "result", ...}` or `{"event": "error", "kind": "oom"|"error", ...}`.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Bound before the team's code is imported, so rebinding `time.perf_counter` there does not reach us.
_clock = time.perf_counter
_cpu_clock = time.process_time

Send = Callable[[dict[str, Any]], None]
#: A bigger result means outputs no report should carry.
MAX_RESULT_BYTES = 16 * 1024 * 1024
TRACEBACK_LINES = 30


@dataclass(frozen=True)
class ChildSpec:
    """What the parent asks for; read from the spec file the parent writes outside the team's folder."""

    folder: str
    entry_file: str
    entry_class: str
    device: str
    task: str
    inputs: list[Any]
    batch_size: int = 1
    warmup: int = 2
    repeats: int = 5
    threads: int = 1
    #: Declared weights (files): the parent counts them, the child need not look at the model.
    weights_declared: bool = False

    @classmethod
    def from_file(cls, path: str) -> ChildSpec:
        with open(path, encoding="utf-8") as handle:
            return cls(**json.load(handle))


class SubmissionFailed(Exception):
    """The submission broke the contract (wrong outputs, no such class); message is for the team."""


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _max_rss_bytes() -> int:
    # ru_maxrss is KiB on Linux; this process plus the children it has waited for.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * 1024


def load_entry(folder: str, entry_file: str, entry_class: str) -> type:
    path = Path(folder, entry_file)
    if not path.is_file():
        raise SubmissionFailed(f"entry file {entry_file!r} does not exist")
    # Appended, not prepended: a team module called `json` must not shadow the standard library.
    sys.path.append(folder)
    spec = importlib.util.spec_from_file_location("submission_entry", path)
    if spec is None or spec.loader is None:
        raise SubmissionFailed(f"cannot import {entry_file!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["submission_entry"] = module
    spec.loader.exec_module(module)
    cls = getattr(module, entry_class, None)
    if not isinstance(cls, type):
        raise SubmissionFailed(f"{entry_file!r} has no class {entry_class!r}")
    for method in ("load", "predict"):
        if not callable(getattr(cls, method, None)):
            raise SubmissionFailed(f"class {entry_class!r} has no method {method}()")
    return cls


def weights_bytes(submission: object, torch: Any) -> int:
    """Bytes of the torch parameters and buffers reachable from the submission's attributes.

    The state_dict counts what a quantized module packs outside `parameters()` too; tensors shared
    by several modules (tied embeddings) are counted once.
    """
    modules: list[Any] = []
    pending: list[tuple[object, int]] = [(submission, 0)]
    visited: set[int] = set()
    while pending:
        obj, depth = pending.pop()
        if id(obj) in visited or depth > 3:
            continue
        visited.add(id(obj))
        if isinstance(obj, torch.nn.Module):
            modules.append(obj)
            continue
        if isinstance(obj, dict):
            children: list[object] = list(obj.values())
        elif isinstance(obj, list | tuple):
            children = list(obj)
        else:
            children = list(getattr(obj, "__dict__", {}).values())
        pending.extend((child, depth + 1) for child in children)
    seen: set[tuple[int, int]] = set()
    total = 0

    def count(value: Any) -> None:
        nonlocal total
        if isinstance(value, torch.Tensor):
            size = value.numel() * value.element_size()
            try:
                key = (value.data_ptr(), size)
            except RuntimeError:
                key = (id(value), size)
            if key not in seen:
                seen.add(key)
                total += size
        elif isinstance(value, list | tuple):
            for item in value:
                count(item)

    for module in modules:
        for value in module.state_dict(keep_vars=False).values():
            count(value)
    return total


def _check_outputs(outputs: object, batch: list[Any]) -> list[Any]:
    if not isinstance(outputs, list | tuple):
        raise SubmissionFailed(f"predict() must return a list, it returned {type(outputs).__name__}")
    if len(outputs) != len(batch):
        raise SubmissionFailed(f"predict() returned {len(outputs)} outputs for {len(batch)} inputs")
    return list(outputs)


def _tokens(outputs: list[Any]) -> int:
    total = 0
    for output in outputs:
        if not isinstance(output, list) or not all(isinstance(t, int) for t in output):
            raise SubmissionFailed("text-generation outputs must be lists of generated token ids (int)")
        total += len(output)
    return total


def run_child(spec: ChildSpec, send: Send) -> None:
    """Everything the child does; raises on failure (the caller turns it into an error message)."""
    send({"event": "phase", "phase": "import"})
    cls = load_entry(spec.folder, spec.entry_file, spec.entry_class)
    torch = sys.modules.get("torch")
    threads: dict[str, int] = {}
    if torch is not None:
        # Set explicitly: tools default differently, and the number changes the speed.
        torch.set_num_threads(spec.threads)
        threads = {"threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads()}
    cuda = spec.device == "cuda"
    if cuda:
        if torch is None or not torch.cuda.is_available():
            raise SubmissionFailed("--device cuda, but torch cannot see a CUDA device in the child")
        torch.cuda.reset_peak_memory_stats()
    baseline = _rss_bytes()

    send({"event": "phase", "phase": "load"})
    submission = cls()
    submission.load(spec.device)
    torch = sys.modules.get("torch")
    if torch is not None and not threads:
        torch.set_num_threads(spec.threads)
        threads = {"threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads()}

    def sync() -> None:
        if cuda and torch is not None:
            torch.cuda.synchronize()

    inputs = spec.inputs
    batches = [inputs[i : i + spec.batch_size] for i in range(0, len(inputs), spec.batch_size)]
    send({"event": "phase", "phase": "warmup"})
    for index in range(spec.warmup):
        batch = batches[index % len(batches)]
        _check_outputs(submission.predict(list(batch)), batch)
    sync()

    send({"event": "phase", "phase": "predict", "total": len(inputs) * spec.repeats})
    # A full collection (~100 ms) inside a timed call triples the spread; frozen objects are not scanned.
    gc.collect()
    gc.freeze()
    calls: list[list[float]] = []
    kept: list[Any] = []
    clock, cpu_clock = _clock, _cpu_clock
    send({"event": "timed", "edge": "start"})
    try:
        for repeat in range(spec.repeats):
            for batch in batches:
                sync()
                start, cpu_start = clock(), cpu_clock()
                outputs = submission.predict(list(batch))
                sync()
                seconds, cpu_seconds = clock() - start, cpu_clock() - cpu_start
                outputs = _check_outputs(outputs, batch)
                calls.append([len(batch), seconds, 0, cpu_seconds])
                if repeat == 0:
                    kept.extend(outputs)
            done = len(inputs) * (repeat + 1)
            send({"event": "progress", "done": done, "total": len(inputs) * spec.repeats})
    finally:
        send({"event": "timed", "edge": "end"})
        gc.unfreeze()
    if spec.task == "text-generation":
        # Outputs are the same every repeat (greedy); count each call's tokens from the kept ones.
        per_batch = [_tokens(kept[i : i + spec.batch_size]) for i in range(0, len(kept), spec.batch_size)]
        for index, call in enumerate(calls):
            call[2] = per_batch[index % len(per_batch)]

    send({"event": "phase", "phase": "report"})
    result: dict[str, Any] = {
        "event": "result",
        "calls": calls,
        "outputs": kept,
        "baseline_rss": baseline,
        "max_rss": _max_rss_bytes(),
        **threads,
    }
    torch = sys.modules.get("torch")
    if not spec.weights_declared and torch is not None:
        result["weights_bytes"] = weights_bytes(submission, torch)
    if cuda and torch is not None:
        result["cuda_max_allocated"] = int(torch.cuda.max_memory_allocated())
    send(result)


def _writer(fd: int) -> Send:
    def send(message: dict[str, Any]) -> None:
        try:
            data = json.dumps(message, ensure_ascii=False, allow_nan=False).encode() + b"\n"
        except (TypeError, ValueError) as exc:
            raise SubmissionFailed(f"outputs are not JSON-serializable: {exc}") from None
        if len(data) > MAX_RESULT_BYTES:
            raise SubmissionFailed(
                f"outputs are too large to report ({len(data)} bytes; the limit is {MAX_RESULT_BYTES})"
            )
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    return send


def failure(exc: BaseException) -> dict[str, Any]:
    """The error message for a failed child, with the traceback tail."""
    if isinstance(exc, MemoryError):
        kind, message = "oom", "MemoryError: the submission ran out of memory"
    elif isinstance(exc, SubmissionFailed):
        kind, message = "error", str(exc)
    elif isinstance(exc, SystemExit):
        kind, message = "error", f"the submission called exit({exc.code!r})"
    else:
        kind, message = "error", f"{type(exc).__name__}: {exc}"
    lines = traceback.format_exception(exc)
    tail = "".join(lines)[-4000:].splitlines()[-TRACEBACK_LINES:]
    return {"event": "error", "kind": kind, "message": message[:2000], "traceback": "\n".join(tail)}


def main(argv: list[str]) -> int:
    spec_path, fd_text = argv
    fd = int(fd_text)
    send = _writer(fd)
    try:
        spec = ChildSpec.from_file(spec_path)
        os.chdir(spec.folder)
        run_child(spec, send)
    except BaseException as exc:
        gc.unfreeze()
        try:
            send(failure(exc))
        except BaseException as again:
            send(failure(again))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
