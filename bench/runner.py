"""The parent side: one sandboxed child per run, driven one request at a time and measured from outside.

The parent is the only clock. It starts the child (`bench.sandbox`), which imports and loads the
team's entry, then sends it one batch of inputs per request and times each call around the exchange
with its own `perf_counter`: the inputs reach the child one call at a time, a reply must carry the
nonce of the request it answers, and anything else on the pipe ends the run. The warm-up uses other
inputs than the timed calls, and repeats that answer many times faster than the first sight of the
same inputs (a memo) are not believed. Quality is computed here from the outputs, against references
the child never receives.

While it waits for a reply the parent samples the RSS of the child's whole process tree with psutil
(a blocking `select` with a timeout, not a busy loop: a busy parent slowed a 2-thread CPU run about
18x on 2 cores), stops the run at the timeout or the memory cap, keeps only the tail of the child's
stderr (where the team's prints go), and kills every process of the run when it ends. It is a child
subreaper, so descendants that leave the child's session are re-parented to it and stay findable.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import math
import os
import secrets
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any, NoReturn

import psutil  # type: ignore[import-untyped]

from bench.budget import (
    CannotFitBudget,
    TimedPlan,
    estimate_call,
    finish_margin,
    memory_cap_mb,
    plan_timed_calls,
)
from bench.hub import fetch_all, pin_main, run_folders, weight_files
from bench.manifest import Manifest, ManifestError, RunSpec
from bench.reference import reference_environment
from bench.sandbox import (
    CHILD_PATH,
    REFERENCE_PATH,
    REFERENCE_SOURCE,
    SANDBOX_HUB_CACHE,
    SANDBOX_TMP,
    CannotMakeSandbox,
    child_command,
    child_environment,
    find_sandbox,
)
from bench.tasks import (
    CannotPrepareTask,
    CannotScoreOutputs,
    Context,
    Counted,
    compute_quality,
    prepare_scoring,
    task_named,
)
from bench.trackers.environment import resolve_threads
from bench.trackers.files import OpenedFiles, large_files
from bench.trackers.latency import Call, sample_latency, token_rate
from bench.trackers.memory import GpuMemory, TreeMemory, load_pynvml
from validator.config import BenchConfig
from validator.model import Device, Quantity, RunResult, RunStatus
from validator.units import BYTES_PER_MB, mb

SAMPLE_INTERVAL_S = 0.05
#: Re-scan /proc for new descendants every this many samples (0.5 s): a scan reads every process,
#: the RSS of the known ones is cheap.
SCAN_EVERY = 10
#: One reply of the child may be at most this big, and so may the outputs kept for scoring.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
#: Timed repeats this many times faster than the first timed pass over the same inputs answer from a
#: memo: only the first pass is believed.
MEMO_FACTOR = 5.0
#: ... when they save at least this much per call (a 10 us call that becomes 1 us is noise).
MEMO_MIN_SAVING_S = 0.002
#: The child writes its replies in packets of at most this many bytes (SOCK_SEQPACKET keeps them whole).
PACKET_BYTES = 65536
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)

ProgressCallback = Callable[["Progress"], None]


@dataclass(frozen=True)
class Progress:
    """What the display shows: which run, which phase, samples done."""

    model: str
    method: str
    phase: str
    done: int = 0
    total: int = 0
    index: int = 0
    count: int = 1


class CannotReadData(Exception):
    """The run's data file is missing or not one JSON object a line with an `input`."""


class RunEnded(Exception):
    """The run is over before its result: the child failed, broke the protocol, or was stopped."""

    def __init__(
        self,
        status: RunStatus,
        message: str,
        traceback: str | None = None,
        detail: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.traceback = status, message, traceback
        #: Fields of the result that say why (a skipped run's estimate).
        self.detail = detail or {}


@cache
def network_isolation() -> list[str]:
    """`unshare -rn` where the machine allows it: the network cut for an unprotected (unsandboxed) run."""
    tool = shutil.which("unshare")
    if tool is None or not sys.platform.startswith("linux"):
        return []
    try:
        probe = subprocess.run([tool, "-rn", "true"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return [tool, "-rn"] if probe.returncode == 0 else []


@cache
def become_subreaper() -> bool:
    """PR_SET_CHILD_SUBREAPER: orphans of the run are re-parented to us instead of init."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(36, 1, 0, 0, 0) == 0)  # 36 = PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


@cache
def prepare_judge() -> None:
    """Import (and exercise) everything the parent needs after a child ran, before the first one starts.

    Where a run is unprotected, the team's code could rewrite a module the judge has not imported
    yet; a module already in memory is out of its reach.
    """
    prepare_scoring()
    _cpu_seconds(os.getpid())
    speed, _ = sample_latency([Call(1, 0.001, 0, 0.001)])
    token_rate([Call(1, 0.001, 1)])
    RunResult(
        model="m", method="m", status="ok", cpu_speed=speed, ram=speed.model_copy(update={"unit": "MB"})
    )
    RunResult.model_validate_json(RunResult(model="m", method="m", status="error").model_dump_json())


def read_data(path: Path, name: str | None = None) -> tuple[list[Any], list[Any]]:
    """Inputs and references of `data` (one JSON object a line); `name` is how messages call the file."""
    inputs, references = [], []
    label = name or path.name
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except (json.JSONDecodeError, RecursionError, ValueError) as exc:
                    reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
                    raise CannotReadData(f"{label}:{number}: not JSON ({reason})") from None
                if not isinstance(record, dict) or "input" not in record:
                    raise CannotReadData(f'{label}:{number}: expected an object with an "input" key')
                inputs.append(record["input"])
                references.append(record.get("reference"))
    except FileNotFoundError:
        raise CannotReadData(f"data file {label!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CannotReadData(f"cannot read data file {label!r}: {exc}") from None
    if not inputs:
        raise CannotReadData(f"data file {label!r} has no samples")
    return inputs, references


def course_root(manifest: Manifest, config: BenchConfig) -> Path:
    """Where the course's own files are: `eval_root` (verify's copy of the base revision's), else the
    folder two above the team's."""
    return Path(config.eval_root) if config.eval_root else manifest.folder.resolve().parent.parent


def eval_data(manifest: Manifest, run: RunSpec, config: BenchConfig) -> tuple[list[Any], list[Any]]:
    """The inputs and references a run is measured on: the course's eval set for its task, if the
    course declares one, else the team's own data file."""
    course_file = config.eval_sets.get(run.task)
    if course_file is None:
        return read_data(manifest.resolve(run.data), run.data)
    root = course_root(manifest, config)
    path = (root / course_file).resolve()
    if not path.is_relative_to(root.resolve()):
        raise CannotReadData(f"the course's eval set {course_file!r} leaves the course's folder")
    return read_data(path, course_file)


def declared_weights_files(manifest: Manifest, run: RunSpec) -> list[Path] | None:
    """The declared weights: the file, or every file of the folder (symlinks out of the team's folder
    ignored, they would count someone else's bytes); None when the run declares none."""
    if run.weights is None:
        return None
    path = manifest.resolve(run.weights)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CannotReadData(f"weights {run.weights!r} do not exist")
    root = manifest.folder.resolve()
    return sorted(f for f in path.rglob("*") if f.is_file() and f.resolve().is_relative_to(root))


class CappedBuffer:
    """Keeps the last `limit` bytes of a stream, reading it all so the writer never blocks."""

    def __init__(self, stream: IO[bytes], limit: int):
        self.limit, self.total = limit, 0
        self._data = bytearray()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        while chunk := stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536):
            self.total += len(chunk)
            self._data += chunk
            if len(self._data) > 2 * self.limit:
                del self._data[: len(self._data) - self.limit]
        stream.close()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def text(self) -> str:
        data = bytes(self._data[-self.limit :]) if self.limit else b""
        text = data.decode("utf-8", errors="replace")
        if self.total > len(data):
            text = f"[... {self.total - len(data)} earlier bytes dropped ...]\n" + text
        return text


@dataclass
class Watch:
    """The run watched from outside while the parent waits: memory, GPU memory, time, file opens."""

    child: subprocess.Popen[bytes]
    tree: TreeMemory
    cap_bytes: int
    deadline: float
    timeout_s: float
    memory_limit_mb: int
    started_wall: float
    gpu: GpuMemory | None = None
    files: OpenedFiles = field(default_factory=OpenedFiles)
    pidfd: int | None = None
    ticks: int = 0
    next_tick: float = 0.0
    last_scan: float = 0.0

    def tick(self, scan: bool = True) -> None:
        """One sample; raises `RunEnded` at the memory cap or the timeout.

        `scan=False` inside a timed call: the cheap sample of known processes only, unless the call
        has gone on for a while (a scan reads every process of the machine).
        """
        now = time.monotonic()
        if (
            scan and self.ticks % SCAN_EVERY == 0
        ) or now - self.last_scan > SCAN_EVERY * SAMPLE_INTERVAL_S * 2:
            self.tree.processes()
            _reap_orphans(self.tree, self.child.pid, self.started_wall)
            self.last_scan = now
        self.ticks += 1
        used = _sample(self.tree)
        if self.gpu is not None:
            self.gpu.sample(self.tree.seen)
        self.files.drain()
        if used > self.cap_bytes:
            raise RunEnded(
                "oom",
                f"the run used {mb(used):.0f} MB, over the {self.memory_limit_mb} MB memory limit, "
                "and was stopped",
            )
        if time.monotonic() >= self.deadline:
            raise RunEnded("timeout", f"the run did not finish within {self.timeout_s:g} s")
        self.next_tick = time.monotonic() + SAMPLE_INTERVAL_S

    def wait(self, fd: int, *, write: bool = False, scan: bool = True) -> None:
        """Block until `fd` is ready (or the child exited), sampling on the way."""
        while True:
            now = time.monotonic()
            if now >= self.next_tick:
                self.tick(scan)
            timeout = max(0.0, min(self.next_tick, self.deadline) - time.monotonic())
            watched = [self.pidfd] if self.pidfd is not None else []
            readable, writable, _ = select.select(
                watched if write else [fd, *watched], [fd] if write else [], [], timeout
            )
            if (fd in writable) if write else (fd in readable):
                return
            if self.pidfd is not None and self.pidfd in readable:
                return  # the child exited: the caller's read or write says how


class Conversation:
    """The parent's end of the protocol: one request at a time, each reply checked against it.

    Replies arrive on `replies`, the parent's end of an AF_UNIX SOCK_SEQPACKET pair with
    SO_TIMESTAMPNS set: the kernel stamps every packet when the child sends it, so a call's end is
    when its reply left the child, not when a busy machine got round to waking the parent. (A plain
    pipe, without stamps, is accepted too: the parent's clock then ends the call when it reads.)
    """

    def __init__(
        self,
        child: subprocess.Popen[bytes],
        watch: Watch,
        show: Callable[[str], None],
        replies: socket.socket | None = None,
    ):
        assert child.stdin is not None
        self.child, self.watch, self.show = child, watch, show
        self._socket = replies
        if replies is not None:
            replies.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            self._in = replies.fileno()
        else:
            assert child.stdout is not None
            self._in = child.stdout.fileno()
        self._out = child.stdin.fileno()
        for fd in (self._out, self._in):
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        self._pending = bytearray()
        #: For each newline in `_pending`: its offset and the kernel's send stamp of its packet (ns).
        self._ends: list[tuple[int, int | None]] = []
        self.last_stamp: int | None = None
        self.child_pid: int | None = None

    def send(self, message: dict[str, Any], *, scan: bool = True) -> None:
        data = memoryview(json.dumps(message, ensure_ascii=False).encode() + b"\n")
        while data:
            try:
                data = data[os.write(self._out, data) :]
            except BlockingIOError:
                self.watch.wait(self._out, write=True, scan=scan)
            except (BrokenPipeError, OSError):
                self._ended()

    def _read(self) -> bytes:
        """What the child sent next (raises BlockingIOError when nothing is there)."""
        if self._socket is None:
            chunk = os.read(self._in, 1 << 20)
            stamp = None
        else:
            chunk, ancillary, flags, _ = self._socket.recvmsg(PACKET_BYTES, socket.CMSG_SPACE(16))
            if flags & socket.MSG_TRUNC:
                raise RunEnded("error", "the child broke the harness's protocol: a packet too large")
            stamp = next(
                (
                    int.from_bytes(data[:8], sys.byteorder, signed=True) * 1_000_000_000
                    + int.from_bytes(data[8:16], sys.byteorder, signed=True)
                    for level, kind, data in ancillary
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16
                ),
                None,
            )
        base = len(self._pending)
        start = 0
        while (found := chunk.find(b"\n", start)) >= 0:
            self._ends.append((base + found, stamp))
            start = found + 1
        return chunk

    def _line(self, scan: bool) -> bytes:
        while True:
            if self._ends:
                end, self.last_stamp = self._ends.pop(0)
                line = bytes(self._pending[:end])
                del self._pending[: end + 1]
                self._ends = [(offset - end - 1, stamp) for offset, stamp in self._ends]
                return line
            if len(self._pending) > MAX_MESSAGE_BYTES:
                raise RunEnded(
                    "error",
                    f"outputs are too large to report (more than {MAX_MESSAGE_BYTES} bytes in one reply)",
                )
            try:
                chunk = self._read()
            except BlockingIOError:
                self.watch.wait(self._in, scan=scan)
                continue
            except OSError:
                self._ended()
            if not chunk:
                self._ended()
            self._pending += chunk

    def receive(self, scan: bool = True) -> dict[str, Any]:
        """The next message; an error message from the child ends the run."""
        return self._message(self._line(scan))

    def _message(self, line: bytes) -> dict[str, Any]:
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            raise RunEnded(
                "error", "the child broke the harness's protocol: a message that is not JSON"
            ) from None
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            raise RunEnded("error", "the child broke the harness's protocol: a message without an event")
        if message["event"] == "error":
            kind: RunStatus = "oom" if message.get("kind") == "oom" else "error"
            raise RunEnded(
                kind,
                str(message.get("message") or "the submission failed")[:2000],
                str(message.get("traceback") or ""),
            )
        return message

    def expect(self, event: str) -> dict[str, Any]:
        """The reply `event`; before the child is ready, its phase messages go to the display."""
        while True:
            message = self.receive()
            if message["event"] == event:
                return message
            if message["event"] == "phase" and event == "ready":
                self.show(str(message.get("phase")))
                continue
            raise RunEnded(
                "error",
                f"the child broke the harness's protocol: {message['event']!r} where {event!r} was expected",
            )

    def call(self, inputs: list[Any]) -> tuple[list[Any], float, float | None]:
        """One request, timed by the parent's clock; the outputs, seconds, and the child's CPU seconds."""
        nonce = secrets.token_hex(8)
        request = {"op": "call", "id": nonce, "inputs": inputs}
        if self._pending or self._waiting():  # bytes nobody asked for: answers ahead of the request
            raise RunEnded("error", "the child broke the harness's protocol: a reply before the request")
        cpu_before = _cpu_seconds(self.child_pid)
        start_ns, start = time.time_ns(), time.perf_counter()
        self.send(request, scan=False)
        line = self._line(scan=False)
        seconds = time.perf_counter() - start
        cpu_after = _cpu_seconds(self.child_pid)
        if self.last_stamp is not None:
            # The kernel's stamp of the reply's last packet, on the same (realtime) clock as start_ns.
            # It cannot be later than our read; outside that range the wall clock was stepped.
            stamped = (self.last_stamp - start_ns) / 1e9
            if 0 <= stamped <= seconds:
                seconds = stamped
        reply = self._message(line)
        if reply.get("event") != "output" or reply.get("id") != nonce:
            raise RunEnded("error", "the child broke the harness's protocol: a reply that answers no request")
        outputs = reply.get("outputs")
        if not isinstance(outputs, list) or len(outputs) != len(inputs):
            raise RunEnded("error", f"predict() returned a malformed reply for {len(inputs)} inputs")
        cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
        return outputs, seconds, cpu

    def _waiting(self) -> bool:
        """Whether the child has written something we have not read (its exit ends the run)."""
        readable, _, _ = select.select([self._in], [], [], 0)
        if not readable:
            return False
        try:
            chunk = self._read()
        except BlockingIOError:
            return False
        except OSError:
            self._ended()
        if not chunk:
            self._ended()
        self._pending += chunk
        return True

    def _ended(self) -> NoReturn:
        """The pipe closed: the child is gone before replying."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.child.wait(timeout=2)
        code = self.child.returncode
        why = (
            "still running"
            if code is None
            else f"killed by signal {-code}"
            if code < 0
            else f"exit code {code}"
        )
        raise RunEnded("error", f"the child process died before reporting ({why})")


def _cpu_seconds(pid: int | None) -> float | None:
    """CPU time of every thread of `pid` so far, in ns resolution (schedstat), or None."""
    if pid is None:
        return None
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with (
                contextlib.suppress(OSError, ValueError, IndexError),
                open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as handle,
            ):
                total += int(handle.read().split()[0])
    except OSError:
        return None
    return total / 1e9


def _python_of(tree: TreeMemory, root: int) -> int | None:
    """The host pid of the child's Python process (under bwrap it is not the process we started)."""
    candidates = []
    for process in tree.processes():
        with contextlib.suppress(psutil.Error):
            command = process.cmdline()
            if command and "python" in os.path.basename(command[0]) and CHILD_PATH in command:
                candidates.append((process.create_time(), process.pid))
    return min(candidates)[1] if candidates else root


def _kill_tree(tree: TreeMemory, root: subprocess.Popen[bytes]) -> None:
    """SIGKILL every process of the run, then reap those that are our children."""
    killed: set[int] = set()
    for _ in range(3):  # a spawner may fork while we kill: look again
        processes = tree.processes()
        killed.update(p.pid for p in processes)
        if not processes:
            break
        for process in processes:
            with contextlib.suppress(psutil.Error):
                process.send_signal(signal.SIGKILL)
        psutil.wait_procs(processes, timeout=2)
    with contextlib.suppress(OSError):
        os.killpg(root.pid, signal.SIGKILL)
    root.wait()
    for pid in killed - {root.pid}:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # orphans re-parented to us (subreaper)


def _reap_orphans(tree: TreeMemory, root_pid: int, since: float, *, final: bool = False) -> None:
    """Reap the run's orphans that ended on their own: as the subreaper we are their parent now.

    Without this each of them stays a zombie until the harness exits: a submission that forks and
    exits in a loop would fill the process table of a long `validator bench`. Only children created
    since the run started and not ours before it are touched (runs are one at a time). `final`, after
    the tree was killed: a child still running is SIGKILLed, and we wait until none is left, since
    processes killed a moment ago are re-parented to us only once they die.
    """
    for _ in range(40 if final else 1):
        left = []
        with contextlib.suppress(psutil.Error):
            for process in psutil.Process().children():
                with contextlib.suppress(psutil.Error, ChildProcessError):
                    if (
                        process.pid in tree.foreign
                        or process.pid == root_pid
                        or process.create_time() < since - 1
                    ):
                        continue
                    if process.status() == psutil.STATUS_ZOMBIE:
                        os.waitpid(process.pid, os.WNOHANG)
                    elif final:
                        process.send_signal(signal.SIGKILL)
                        left.append(process)
        # A killed process of the tree may still be on its way to us (its parent dying first, as the
        # sandbox's own init does): wait until every one is gone or reaped.
        pending = [p for p in tree.known.values() if final and p.pid != root_pid and _exists(p)]
        if not left and not pending:
            break
        time.sleep(0.05)


def _exists(process: psutil.Process) -> bool:
    """Whether the process still exists (a zombie counts: nobody has reaped it yet)."""
    try:
        return bool(process.is_running())
    except psutil.Error:
        return False


def _weights_over_cap(
    declared: list[Path] | None, cap_mb: int, config: BenchConfig
) -> tuple[str, dict[str, Any]] | None:
    """Why the declared weights cannot fit the memory cap (a message and the result's fields), or None."""
    if not declared:
        return None
    size_mb = mb(sum(f.stat().st_size for f in declared))
    needed = size_mb * config.weights_memory_factor
    if needed <= cap_mb:
        return None
    message = (
        f"the declared weights ({size_mb:.4g} MB) need about {needed:.4g} MB to load, over this "
        f"runner's {cap_mb} MB memory cap: not started; re-run it on a larger runner or a GPU"
    )
    return message, {"needed_mb": round(needed, 1), "skip_reason": "memory"}


def _failed(run: RunSpec, status: RunStatus, message: str, device: Device, **extra: Any) -> RunResult:
    return RunResult(model=run.model, method=run.method, status=status, device=device, error=message, **extra)


def run_submission(
    manifest: Manifest,
    run: RunSpec,
    *,
    device: str,
    config: BenchConfig,
    progress: ProgressCallback | None = None,
    index: int = 0,
    count: int = 1,
    reference: bool = False,
) -> RunResult:
    """Re-run one declared run in a sandboxed child and measure it. Never raises for a bad submission.

    `reference`: run the declared hub model with the validator's reference loader (`bench.reference`)
    instead of the team's entry (an original row under `[bench] reference_original`).
    """
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', not {device!r}")
    target: Device = "cuda" if device == "cuda" else "cpu"
    return _run(manifest, run, target, config, progress, index, count, reference)


@dataclass
class Plan:
    """Which batches warm the model up and which are timed: never the same ones, where there are two."""

    batches: list[list[Any]]
    warmup: list[int]
    timed: list[int]

    @classmethod
    def of(cls, inputs: list[Any], batch_size: int, warmup: int) -> Plan:
        batches = [inputs[i : i + batch_size] for i in range(0, len(inputs), batch_size)]
        count = len(batches)
        if warmup <= 0:
            return cls(batches, [], list(range(count)))
        if count == 1:
            return cls(batches, [0], [0])  # one batch: the warm-up cannot use another
        held = max(1, min(warmup, count // 2))
        return cls(batches, list(range(held)), list(range(held, count)))


def _hidden_files(manifest: Manifest) -> list[Path]:
    """Every data file the manifest declares: the child sees none of them."""
    hidden = []
    for spec in manifest.runs:
        with contextlib.suppress(ManifestError, OSError, ValueError):
            hidden.append(manifest.resolve(spec.data))
    return hidden


def _declared_weights(manifest: Manifest) -> list[Path]:
    """Every run's declared weights (file or folder): a file one row declares is not undeclared for
    the team's other rows."""
    paths = []
    for spec in manifest.runs:
        if spec.weights is not None:
            with contextlib.suppress(ManifestError, OSError, ValueError):
                paths.append(manifest.resolve(spec.weights))
    return paths


def _run(
    manifest: Manifest,
    run: RunSpec,
    device: Device,
    config: BenchConfig,
    progress: ProgressCallback | None,
    index: int,
    count: int,
    reference: bool = False,
) -> RunResult:
    base: dict[str, Any] = {"team": manifest.team}

    def show(phase: str, done: int = 0, total: int = 0) -> None:
        if progress is not None:
            progress(Progress(run.model, run.method, phase, done, total, index, count))

    prepare_judge()
    try:
        inputs, references = eval_data(manifest, run, config)
        declared = declared_weights_files(manifest, run)
        entry = manifest.resolve(run.entry_file)
        sandbox = find_sandbox(config.sandbox)
        # The task's judge (a course model) is ready before any student code runs.
        task = task_named(run.task)
        context = Context(config=config, course_root=course_root(manifest, config))
        task.prepare(context)
        given = task.child_inputs(inputs, manifest.folder)
    except (
        CannotReadData,
        ManifestError,
        CannotMakeSandbox,
        CannotPrepareTask,
        CannotScoreOutputs,
        ValueError,
    ) as exc:
        return _failed(run, "error", getattr(exc, "message", str(exc)), device, **base)
    # The job fetched every run's hub artifacts before the first child (`fetch_all` remembers them).
    hub = fetch_all([run], config.hub_cache)
    if (problem := hub.error(run)) is not None:
        return _failed(run, "error", problem, device, **base)
    pin_main(hub.cache, run)
    model = next((a for a in run.hub if a.kind == "model"), None)
    if reference:
        # The course runs this original row with its own loader, not the team's code.
        if model is None:
            return _failed(run, "error", "the reference loader needs the run's hub model", device, **base)
        base["reference_loader"] = f"{model.repo}@{model.revision}"
    hub_folders = run_folders(hub.cache, run)
    # An unmodified hub model's weights are its files (`_result` decides whether it was modified).
    hub_weights = weight_files(hub.cache, run) if run.weights is None else []
    cap_mb = memory_cap_mb(config.memory_limit_mb)
    base["memory_limit_mb"] = cap_mb
    too_big = _weights_over_cap([*(declared or []), *hub_weights], cap_mb, config)
    if too_big is not None:  # before any of the team's code is loaded
        return _failed(run, "skipped", too_big[0], device, **base, **too_big[1])
    folder = manifest.folder.resolve()
    known = [*(declared or []), *_hidden_files(manifest), *_declared_weights(manifest)]
    base["data_source"] = "course" if run.task in config.eval_sets else "team"
    base["undeclared_files"] = large_files(folder, int(config.undeclared_file_mb * BYTES_PER_MB), known)
    base["sandbox"] = sandbox.kind
    threads = resolve_threads(config.threads)
    become_subreaper()
    with tempfile.TemporaryDirectory(prefix="validator-bench-") as scratch:
        home = SANDBOX_TMP if sandbox.protected else scratch
        hub_env = (SANDBOX_HUB_CACHE if sandbox.protected else str(hub.cache)) if run.hub else None
        env = child_environment(extra_names=config.pass_env, home=home, threads=threads, hub_cache=hub_env)
        if reference and model is not None:
            env.update(reference_environment(model.repo, model.revision, run.task))
        command = child_command(
            sandbox,
            folder=folder,
            hidden=_hidden_files(manifest),
            env=env,
            scratch_mb=config.scratch_mb,
            device=device,
            hub_folders=hub_folders,
        )
        isolation: list[str] = []
        if not sandbox.protected and config.isolate_network:
            isolation = network_isolation()
        base["network_isolated"] = sandbox.protected or bool(isolation)
        files = OpenedFiles.watch(declared or hub_weights)
        own_children = {p.pid for p in psutil.Process().children(recursive=True)}
        show("start")
        started, started_wall = time.monotonic(), time.time()
        replies, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            child = subprocess.Popen(
                [*isolation, *command],
                cwd=folder,
                env=env,
                stdin=subprocess.PIPE,
                stdout=child_end.fileno(),
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            files.close()
            replies.close()
            return _failed(run, "error", f"cannot start the child process: {exc}", device, **base)
        finally:
            child_end.close()
        assert child.stderr is not None
        logs = CappedBuffer(child.stderr, config.output_limit_bytes)
        tree = TreeMemory(child.pid, foreign=own_children)
        nvml = load_pynvml() if device == "cuda" else None
        try:
            pidfd: int | None = os.pidfd_open(child.pid)
        except (AttributeError, OSError):
            pidfd = None
        watch = Watch(
            child=child,
            tree=tree,
            cap_bytes=cap_mb * BYTES_PER_MB,
            deadline=started + config.timeout_s,
            timeout_s=config.timeout_s,
            memory_limit_mb=cap_mb,
            started_wall=started_wall,
            gpu=GpuMemory(nvml) if nvml is not None else None,
            files=files,
            pidfd=pidfd,
        )
        conversation = Conversation(child, watch, show, replies)
        measured: Measured | None = None
        ended: RunEnded | None = None
        try:
            entry_file = entry.relative_to(folder).as_posix()
            if reference:
                entry_file = REFERENCE_PATH if sandbox.protected else str(REFERENCE_SOURCE)
            measured = _converse(
                conversation,
                run.model_copy(update={"entry": f"{entry_file}:Reference"}) if reference else run,
                entry_file,
                folder,
                device,
                threads,
                declared is not None,
                given,
                config,
                show,
            )
        except RunEnded as exc:
            ended = exc
        finally:
            _kill_tree(tree, child)
            _reap_orphans(tree, child.pid, started_wall, final=True)
            if pidfd is not None:
                os.close(pidfd)
            files.close()
            replies.close()
            with contextlib.suppress(OSError):
                if child.stdin is not None:
                    child.stdin.close()
        wall = time.monotonic() - started
        logs.join(2)
    show("done")
    log_text = logs.text().strip()
    extra: dict[str, Any] = {
        **base,
        "wall_s": round(wall, 3),
        "log_tail": log_text or None,
        "ram_sampled": _mb(tree.peak_bytes),
    }
    if declared is not None:
        extra["weights_unopened"] = _unopened(manifest, run, declared, files)
    if ended is not None:
        if ended.traceback:
            extra["log_tail"] = "\n".join(part for part in (ended.traceback, log_text) if part) or None
        return _failed(run, ended.status, ended.message, device, **extra, **ended.detail)
    assert measured is not None
    return _result(
        run,
        measured,
        device,
        references,
        declared,
        files,
        tree,
        watch.gpu,
        extra,
        given=inputs,
        context=context,
        hub_weights=hub_weights,
    )


@dataclass
class Measured:
    """What the conversation brought back: outputs in data order, the timed calls, the child's report."""

    outputs: list[Any]
    calls: list[Call]
    ready: dict[str, Any]
    final: dict[str, Any]
    passes: int = 0
    notes: list[str] = field(default_factory=list)
    #: One call's estimated cost from the warm-up (the budget's basis), when there was a warm-up.
    estimate_s: float | None = None


def _converse(
    conversation: Conversation,
    run: RunSpec,
    entry_file: str,
    folder: Path,
    device: Device,
    threads: int,
    weights_declared: bool,
    inputs: list[Any],
    config: BenchConfig,
    show: Callable[[str, int, int], None],
) -> Measured:
    conversation.send(
        {
            "op": "start",
            "folder": str(folder),
            "entry_file": entry_file,
            "entry_class": run.entry_class,
            "device": device,
            "threads": threads,
            "weights_declared": weights_declared,
        }
    )
    show("import", 0, 0)
    ready = conversation.expect("ready")
    conversation.child_pid = _python_of(conversation.watch.tree, conversation.child.pid)
    plan = Plan.of(inputs, run.batch_size, config.warmup)
    outputs: dict[int, list[Any]] = {}
    kept_bytes = 0

    def keep(index: int, batch_outputs: list[Any]) -> None:
        nonlocal kept_bytes
        if index in outputs:
            return
        kept_bytes += len(json.dumps(batch_outputs))
        if kept_bytes > MAX_MESSAGE_BYTES:
            raise RunEnded(
                "error", f"outputs are too large to report (over {MAX_MESSAGE_BYTES} bytes in all; the limit)"
            )
        outputs[index] = batch_outputs

    show("warmup", 0, 0)
    warm: list[float] = []
    if plan.warmup:
        conversation.send({"op": "count_weights", "on": True})
        conversation.expect("counting")
        for call in range(config.warmup):
            index = plan.warmup[call % len(plan.warmup)]
            began = time.monotonic()
            try:
                batch_outputs, seconds, _ = conversation.call(plan.batches[index])
            except RunEnded as exc:
                if exc.status == "timeout":  # a hang and a model too slow for the runner look alike
                    exc.message += (
                        f": a warm-up predict() call ran {time.monotonic() - began:.3g} s without an "
                        "answer (a model this slow needs a GPU or a smaller input)"
                    )
                raise
            keep(index, batch_outputs)
            warm.append(seconds)
            _plan_or_skip(plan, warm, conversation.watch, config)  # a call too slow ends it here
        conversation.send({"op": "count_weights", "on": False})
        conversation.expect("counting")
    conversation.send({"op": "settle"})
    conversation.expect("settled")
    timing = _plan_or_skip(plan, warm, conversation.watch, config)
    per_pass = len(plan.timed)
    passes = [plan.timed if n == 0 else plan.timed[: timing.later_calls] for n in range(timing.passes)]
    total = sum(len(plan.batches[i]) for indices in passes for i in indices)
    show("predict", 0, total)
    calls: list[Call] = []
    done = 0
    floor = min(config.min_passes, config.repeats)
    for completed, indices in enumerate(passes):
        if completed >= floor and not _pass_fits(indices, calls, warm, conversation.watch, config):
            timing = TimedPlan(
                completed,
                timing.later_calls,
                f"the timed calls ran slower than the warm-up promised: timing stopped after {completed} "
                f"of the {config.repeats} declared passes, to finish within the timeout",
            )
            break
        for index in indices:
            batch = plan.batches[index]
            batch_outputs, seconds, cpu = conversation.call(batch)
            keep(index, batch_outputs)
            counted = _count(run, batch, batch_outputs, index)
            calls.append(Call(len(batch), seconds, counted.tokens, cpu, counted.audio_seconds))
            done += len(batch)
        show("predict", done, total)
    show("report", 0, 0)
    conversation.send({"op": "finish"})
    final = conversation.expect("result")
    ordered = [item for i in range(len(plan.batches)) for item in outputs.get(i, [])]
    if len(ordered) != len(inputs):
        raise RunEnded("error", "no predict() call was timed (repeats = 0?)")
    notes: list[str] = []
    if timing.reason:
        notes.append(timing.reason)
    believed = _first_pass_only(calls, per_pass)
    if believed is not calls:
        notes.append(
            "repeated inputs were answered many times faster than their first timed call (a memo): "
            "only the first timed pass counts"
        )
    if plan.warmup and plan.warmup == plan.timed:
        notes.append("the data has one batch: the warm-up used the same inputs as the timed calls")
    timed_passes = timing.passes if believed is calls else 1
    estimate = estimate_call(warm) if warm else None
    return Measured(ordered, believed, ready, final, timed_passes, notes, estimate)


def _pass_fits(
    indices: list[int], calls: list[Call], warm: list[float], watch: Watch, config: BenchConfig
) -> bool:
    """Whether one more timed pass still fits the time left, at the pace of the calls so far."""
    pace = estimate_call([*warm, statistics.median(c.seconds for c in calls)] if calls else warm)
    left = watch.deadline - time.monotonic() - finish_margin(config.finish_margin_s, config.timeout_s)
    return pace * len(indices) <= left


def _plan_or_skip(plan: Plan, warm: list[float], watch: Watch, config: BenchConfig) -> TimedPlan:
    """The timed passes that fit the time left after the warm-up calls so far; ends the run as
    `skipped` (with the estimate) when not even the statistical minimum fits."""
    estimate = estimate_call(warm)
    left = watch.deadline - time.monotonic() - finish_margin(config.finish_margin_s, config.timeout_s)
    # Warm-up calls still to come cost time too.
    left -= estimate * max(config.warmup - len(warm), 0) if plan.warmup else 0.0
    try:
        return plan_timed_calls(
            len(plan.timed),
            estimate_s=estimate,
            left_s=left,
            repeats=config.repeats,
            min_passes=config.min_passes,
            min_calls=config.min_calls,
        )
    except CannotFitBudget as exc:
        raise RunEnded(
            "skipped",
            f"one predict() call takes about {estimate:.3g} s (the warm-up's last call took "
            f"{warm[-1]:.3g} s): {exc.message} "
            f"of the {config.timeout_s:g} s timeout; re-run it on a GPU, or declare a smaller data set",
            detail={"estimate_s": round(estimate, 4), "needed_s": round(exc.needed_s, 3)}
            | {"skip_reason": "time"},
        ) from None


def _first_pass_only(calls: list[Call], per_pass: int) -> list[Call]:
    """The calls to believe: all, or only the first timed pass when later passes answer from a memo."""
    if per_pass == 0 or len(calls) <= per_pass:
        return calls
    first = statistics.median(c.seconds / c.batch for c in calls[:per_pass])
    later = statistics.median(c.seconds / c.batch for c in calls[per_pass:])
    if later * MEMO_FACTOR < first and first - later > MEMO_MIN_SAVING_S:
        return calls[:per_pass]
    return calls


def _count(run: RunSpec, batch: list[Any], outputs: list[Any], index: int) -> Counted:
    """One timed call's outputs validated and counted by the task (tokens, seconds of audio)."""
    try:
        return task_named(run.task).count(batch, outputs, index * run.batch_size)
    except CannotScoreOutputs as exc:
        raise RunEnded("error", str(exc)) from None


def _unopened(manifest: Manifest, run: RunSpec, declared: list[Path], files: OpenedFiles) -> list[str] | None:
    """Declared weights the run never opened: a file, or a folder none of whose files was opened."""
    if not files.available or files.overflow:
        return None  # cannot tell
    assert run.weights is not None
    root = manifest.folder.resolve()
    target = manifest.resolve(run.weights)
    opened = {p.resolve() for p in files.opened}
    if target.is_file():
        return [] if target in opened else [target.relative_to(root).as_posix()]
    return [] if any(f.resolve() in opened for f in declared) else [target.relative_to(root).as_posix()]


def _sample(tree: TreeMemory) -> int:
    total = 0
    for pid, process in list(tree.known.items()):
        try:
            total += process.memory_info().rss
        except psutil.Error:
            del tree.known[pid]
    tree.last_bytes = total
    tree.peak_bytes = max(tree.peak_bytes, total)
    return total


def _mb(num_bytes: float) -> Quantity:
    return Quantity(value=round(mb(num_bytes), 2), unit="MB")


def _result(
    run: RunSpec,
    measured: Measured,
    device: Device,
    references: list[Any],
    declared: list[Path] | None,
    files: OpenedFiles,
    tree: TreeMemory,
    gpu: GpuMemory | None,
    extra: dict[str, Any],
    *,
    given: list[Any] | None = None,
    context: Context | None = None,
    hub_weights: list[Path] | None = None,
) -> RunResult:
    """The run's result; `given`: the data's inputs (what the task scores the outputs against)."""
    calls, final, ready = measured.calls, measured.final, measured.ready
    if not calls:
        return _failed(run, "error", "no predict() call was timed (repeats = 0?)", device, **extra)
    try:
        quality = compute_quality(run.task, measured.outputs, references, given, context)
        cpu_calls = [c.on_cpu_clock() for c in calls if c.cpu_seconds]
        audio = sum(c.audio_seconds for c in calls)
        if audio > 0:
            extra["real_time_factor"] = sum(c.seconds for c in calls) / audio
        if task_named(run.task).speed == "tokens":
            speed, per_token, summary = token_rate(calls)
            extra["ms_per_token"] = per_token
            if len(cpu_calls) == len(calls):
                extra["speed_cpu_time"] = token_rate(cpu_calls)[0]
        else:
            speed, summary = sample_latency(calls)
            if len(cpu_calls) == len(calls):
                extra["speed_cpu_time"] = sample_latency(cpu_calls)[0]
    except (CannotScoreOutputs, CannotPrepareTask, ValueError) as exc:
        return _failed(run, "error", str(exc), device, **extra)

    def number(value: object) -> int:
        return int(value) if isinstance(value, int | float) and math.isfinite(value) and value >= 0 else 0

    baseline = number(ready.get("baseline_rss"))
    child_peak = number(final.get("max_rss"))
    peak = max(tree.peak_bytes, child_peak)
    weights: int | None
    if declared is not None:
        if files.available and not files.overflow:
            opened = {p.resolve() for p in files.opened}
            weights, source = sum(f.stat().st_size for f in declared if f.resolve() in opened), "files"
        else:
            weights, source = sum(f.stat().st_size for f in declared), "files"
        if weights == 0:
            weights = None
    elif (hub := _hub_weights(hub_weights or [], files, final)) is not None:
        weights, source = hub, "hub"
    elif final.get("weights_bytes") is not None:
        weights, source = number(final["weights_bytes"]), "parameters"
    else:
        weights, source = None, None
    vram = None
    if device == "cuda":
        allocated = number(final.get("cuda_max_allocated"))
        extra["vram_allocated"] = _mb(allocated)
        vram = _mb(max(gpu.peak_bytes if gpu else 0, allocated))
    speed_field = "gpu_speed" if device == "cuda" else "cpu_speed"
    threads = ready.get("threads")
    interop = ready.get("interop_threads")
    return RunResult(
        model=run.model,
        method=run.method,
        status="ok",
        device=device,
        weights_size=_mb(weights) if weights is not None else None,
        ram=_mb(peak),
        vram=vram,
        quality=quality,
        samples=len(measured.outputs),
        repeats=measured.passes,
        timed_calls=len(calls),
        estimate_s=round(measured.estimate_s, 4) if measured.estimate_s is not None else None,
        weights_source=source if weights is not None else None,
        ram_baseline=_mb(baseline) if baseline else None,
        ram_over_baseline=_mb(max(peak - baseline, 0)) if baseline else None,
        ram_ru_maxrss=_mb(child_peak),
        p50=summary.p50,
        p90=summary.p90,
        threads=threads if isinstance(threads, int) else None,
        interop_threads=interop if isinstance(interop, int) else None,
        notes=measured.notes or None,
        **{speed_field: speed},
        **extra,
    )


#: A model whose parameters hold less than this share of its hub files' bytes was compressed after
#: loading (quantized, pruned, cast to half): its size is what it holds, not what it was loaded from.
HUB_UNMODIFIED_SHARE = 0.8


def _hub_weights(paths: list[Path], files: OpenedFiles, final: dict[str, Any]) -> int | None:
    """Bytes of the hub weights files the run opened (all of them where opens cannot be watched), or
    None: no hub model, none opened, or a model modified after loading."""
    if not paths:
        return None
    if files.available and not files.overflow:
        opened = {p.resolve() for p in files.opened} | set(files.opened)
        paths = [p for p in paths if p in opened or p.resolve() in opened]
    total = sum(p.stat().st_size for p in paths)
    counted = final.get("weights_bytes")
    if total == 0:
        return None
    if isinstance(counted, int | float) and 0 < counted < HUB_UNMODIFIED_SHARE * total:
        return None
    return total
