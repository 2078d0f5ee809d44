"""Runs inside the sandbox: imports the team's entry, loads it, then answers the parent's requests.

Started as `python -P -B -u child.py` (standard library only: the validator's own code is not in the
sandbox). The protocol is JSON lines: requests on stdin, replies on stdout. Before the team's code is
imported both are moved to private descriptors and the team's stdout goes to stderr, which the parent
keeps a tail of.

Requests (parent -> child), one at a time:
  {"op": "start", "folder", "entry_file", "entry_class", "device", "threads", "weights_declared"}
  {"op": "call", "id": NONCE, "inputs": [...]}   -> {"event": "output", "id": NONCE, "outputs": [...]}
  {"op": "settle"}                                -> {"event": "settled"}
  {"op": "count_weights", "on": bool}             -> {"event": "counting"}
  {"op": "finish"}                                -> {"event": "result", "max_rss", ...}
Before the first call the child reports `{"event": "phase", "phase": "import"|"load"}`, then
`{"event": "ready", "baseline_rss", "threads", ...}`. Any failure ends the child with
`{"event": "error", "kind": "oom"|"error", "message", "traceback"}`.

Nothing here is trusted by the parent: the team's code shares this process and can rewrite all of it.
The parent takes the time of each call with its own clock around the exchange, computes the quality
from the outputs, and checks every reply against the request it answers.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import resource
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

Send = Callable[[dict[str, Any]], None]
#: A bigger reply means outputs no report should carry.
MAX_REPLY_BYTES = 16 * 1024 * 1024
#: Replies are written in packets of at most this many bytes (the parent reads them whole).
PACKET_BYTES = 65536
TRACEBACK_LINES = 30


class SubmissionFailed(Exception):
    """The submission broke the contract (wrong outputs, no such class); message is for the team."""


class ParentGone(Exception):
    """The request pipe closed: the parent is done with us (or gone)."""


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _max_rss_bytes() -> int:
    """Peak RSS of this process (VmHWM) and of the children it has waited for (ru_maxrss).

    Not this process's own ru_maxrss: Linux carries it over fork and exec, so a child started by a
    process that once held 3 GB would report 3 GB. VmHWM belongs to the address space, new at exec.
    """
    own = 0
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    own = int(line.split()[1]) * 1024  # kB
                    break
    except (OSError, ValueError, IndexError):
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    return max(own, children)


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


def _reachable_modules(submission: object, torch: Any) -> list[Any]:
    """torch modules reachable from the submission's attributes (a few levels deep)."""
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
    return modules


def weights_bytes(modules: list[Any], torch: Any) -> int:
    """Bytes of the parameters and buffers of `modules`, each tensor counted once.

    The state_dict counts what a quantized module packs outside `parameters()` too; tensors shared
    by several modules (tied embeddings) are counted once.
    """
    # Only the outermost modules: a quantized module unpacks its weights into new tensors on every
    # state_dict(), so counting a submodule again beside its parent would count them twice.
    inner = {id(sub) for module in modules for sub in list(module.modules())[1:]}
    roots = list({id(m): m for m in modules if id(m) not in inner}.values())
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

    for module in roots:
        try:
            state = module.state_dict(keep_vars=False)
        except Exception:  # noqa: S112 - a module whose state cannot be read counts nothing
            continue
        for value in state.values():
            count(value)
    return total


class ForwardWatch:
    """The torch modules whose forward ran while watching (a global hook; warm-up calls only).

    Counts the model the forward pass uses wherever the team keeps it (a module global, a closure),
    not only what hangs off the submission object.
    """

    def __init__(self) -> None:
        self.modules: dict[int, Any] = {}
        self._handle: Any = None

    def start(self, torch: Any) -> None:
        def seen(module: Any, args: Any) -> None:
            self.modules.setdefault(id(module), module)

        self._handle = torch.nn.modules.module.register_module_forward_pre_hook(seen)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None


def _check_outputs(outputs: object, batch: list[Any]) -> list[Any]:
    if not isinstance(outputs, list | tuple):
        raise SubmissionFailed(f"predict() must return a list, it returned {type(outputs).__name__}")
    if len(outputs) != len(batch):
        raise SubmissionFailed(f"predict() returned {len(outputs)} outputs for {len(batch)} inputs")
    return list(outputs)


def _encode(message: dict[str, Any]) -> bytes:
    try:
        data = json.dumps(message, ensure_ascii=False, allow_nan=False).encode() + b"\n"
    except (TypeError, ValueError) as exc:
        raise SubmissionFailed(f"outputs are not JSON-serializable: {exc}") from None
    if len(data) > MAX_REPLY_BYTES:
        raise SubmissionFailed(
            f"outputs are too large to report ({len(data)} bytes; the limit is {MAX_REPLY_BYTES})"
        )
    return data


class Channel:
    """The private ends of the protocol: requests in (a pipe), replies out (a packet socket).

    Replies go out in packets of at most `PACKET_BYTES`: the parent's socket keeps packet bounds and
    the kernel stamps each one when it is sent. (Spinning on the request pipe instead of blocking
    was tried: under load the scheduler then favours the child less, and calls got slower.)
    """

    def __init__(self, read_fd: int, write_fd: int):
        self._in = os.fdopen(read_fd, "rb", buffering=0)
        self._write_fd = write_fd
        self._pending = b""

    def send(self, message: dict[str, Any]) -> None:
        view = memoryview(_encode(message))
        while view:
            view = view[os.write(self._write_fd, view[:PACKET_BYTES]) :]

    def _chunk(self) -> bytes:
        chunk = self._in.read(1 << 20)
        if not chunk:
            raise ParentGone
        return chunk

    def receive(self) -> dict[str, Any]:
        while b"\n" not in self._pending:
            self._pending += self._chunk()
        line, self._pending = self._pending.split(b"\n", 1)
        request: dict[str, Any] = json.loads(line)
        return request


def serve(channel: Channel) -> None:
    """Everything the child does; raises on failure (the caller turns it into an error message)."""
    spec = channel.receive()
    if spec.get("op") != "start":
        raise SubmissionFailed("the harness did not start the child properly")
    os.chdir(spec["folder"])
    channel.send({"event": "phase", "phase": "import"})
    cls = load_entry(spec["folder"], spec["entry_file"], spec["entry_class"])
    threads = int(spec.get("threads") or 1)
    device = str(spec.get("device") or "cpu")
    info: dict[str, int] = {}

    def set_threads() -> None:
        torch = sys.modules.get("torch")
        if torch is not None and not info:
            # Set explicitly: tools default differently, and the number changes the speed.
            torch.set_num_threads(threads)
            info.update(threads=torch.get_num_threads(), interop_threads=torch.get_num_interop_threads())

    set_threads()
    cuda = device == "cuda"
    if cuda:
        torch = sys.modules.get("torch")
        if torch is None or not torch.cuda.is_available():
            raise SubmissionFailed("--device cuda, but torch cannot see a CUDA device in the child")
        torch.cuda.reset_peak_memory_stats()
    baseline = _rss_bytes()

    channel.send({"event": "phase", "phase": "load"})
    submission = cls()
    submission.load(device)
    set_threads()
    torch = sys.modules.get("torch")

    def sync() -> None:
        if cuda and torch is not None:
            torch.cuda.synchronize()

    sync()
    channel.send({"event": "ready", "baseline_rss": baseline, **info})
    watch = ForwardWatch()
    frozen = False
    while True:
        request = channel.receive()
        op = request.get("op")
        if op == "call":
            batch = list(request["inputs"])
            outputs = _check_outputs(submission.predict(list(batch)), batch)
            sync()
            channel.send({"event": "output", "id": request["id"], "outputs": outputs})
        elif op == "count_weights":
            torch = sys.modules.get("torch")
            if request.get("on") and torch is not None:
                watch.start(torch)
            else:
                watch.stop()
            channel.send({"event": "counting"})
        elif op == "settle":
            # A full collection (~100 ms) inside a timed call triples the spread; frozen objects are
            # not scanned.
            gc.collect()
            gc.freeze()
            frozen = True
            channel.send({"event": "settled"})
        elif op == "finish":
            watch.stop()
            if frozen:
                gc.unfreeze()
            result: dict[str, Any] = {"event": "result", "max_rss": _max_rss_bytes()}
            torch = sys.modules.get("torch")
            if torch is not None and not spec.get("weights_declared"):
                used = list(watch.modules.values())
                reachable = _reachable_modules(submission, torch)
                result["weights_bytes"] = weights_bytes([*used, *reachable], torch)
            if cuda and torch is not None:
                result["cuda_max_allocated"] = int(torch.cuda.max_memory_allocated())
            channel.send(result)
            return
        else:
            raise SubmissionFailed(f"unknown request {op!r}")


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


def private_channel() -> Channel:
    """Move the protocol off fds 0 and 1: the team's prints go to stderr, its reads see nothing."""
    read_fd, write_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return Channel(read_fd, write_fd)


def main() -> int:
    channel = private_channel()
    try:
        serve(channel)
    except ParentGone:
        return 0
    except BaseException as exc:
        gc.unfreeze()
        try:
            channel.send(failure(exc))
        except BaseException as again:
            channel.send(failure(again))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
