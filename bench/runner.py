"""The parent side: one child process per run, watched from outside, and its measurements.

The parent waits on the child with a blocking call (a pidfd in `select`, not a busy loop: a busy
parent slowed a 2-thread CPU run about 18x on 2 cores), samples the RSS of the child's whole process
tree with psutil, stops it at the timeout or the memory cap, keeps only the tail of its stdout and
stderr, and kills every process of the run when it ends. It is a child subreaper, so descendants that
leave the child's session are re-parented to it and stay findable.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

import psutil  # type: ignore[import-untyped]

from bench.manifest import Manifest, ManifestError, RunSpec
from bench.trackers.environment import resolve_threads
from bench.trackers.latency import Call, sample_latency, token_rate
from bench.trackers.memory import GpuMemory, TreeMemory, load_pynvml
from bench.trackers.quality import CannotScoreOutputs, compute_quality
from validator.config import BenchConfig
from validator.model import Device, Quantity, RunResult, RunStatus
from validator.units import BYTES_PER_MB, mb

#: Environment variables never passed to the child (matched on the upper-cased name).
SECRET_PATTERNS = (
    r".*_TOKEN",
    r".*_SECRET.*",
    r".*SECRET_.*",
    r".*_KEY",
    r".*PASSWORD.*",
    r"GITHUB_TOKEN",
    r".*_PAT",
    r"ACTIONS_.*",
    r"AWS_.*",
    r".*CREDENTIALS.*",
)
#: Set in the child: nothing is ever fetched from a model hub.
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
}
SAMPLE_INTERVAL_S = 0.05
#: Re-scan /proc for new descendants every this many samples (0.5 s): a scan reads every process,
#: the RSS of the known ones is cheap.
SCAN_EVERY = 10
#: Clock check: the child's summed timings may trail the parent's span by this much plus per-call slack
#: (the parent stamps messages when its reader thread wakes, which a loaded machine delays).
CLOCK_RELATIVE = 0.05
CLOCK_ABSOLUTE_S = 0.1
CLOCK_PER_CALL_S = 0.0005
#: ... and exceed it by at most this much: claiming to be slower gains nothing, so be lenient.
CLOCK_SLOWER_S = 0.25

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


def scrubbed_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The parent's environment without secrets, set offline."""
    source = dict(os.environ if base is None else base)
    pattern = re.compile("|".join(f"(?:{p})" for p in SECRET_PATTERNS))
    env = {k: v for k, v in source.items() if not pattern.fullmatch(k.upper())}
    env.update(OFFLINE)
    return env


@cache
def network_isolation() -> list[str]:
    """`unshare -rn` when this machine allows an unprivileged network namespace, else nothing."""
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
                except json.JSONDecodeError as exc:
                    raise CannotReadData(f"{label}:{number}: not JSON ({exc.msg})") from None
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


def declared_weights_bytes(manifest: Manifest, run: RunSpec) -> int | None:
    if run.weights is None:
        return None
    path = manifest.resolve(run.weights)
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        raise CannotReadData(f"weights {run.weights!r} do not exist")
    root = manifest.folder.resolve()
    total = 0
    for file in path.rglob("*"):
        # A symlink out of the team's folder would count someone else's bytes.
        if file.is_file() and file.resolve().is_relative_to(root):
            total += file.stat().st_size
    return total


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
class Channel:
    """The child's JSON lines on the dedicated pipe, each stamped with the parent's monotonic clock."""

    limit: int = 32 * 1024 * 1024
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    problem: str | None = None
    on_event: Callable[[dict[str, Any]], None] | None = None

    def feed(self, stream: IO[bytes]) -> None:
        """Read until the pipe closes; `stream` is unbuffered, so each read returns what is there."""
        received = 0
        pending = b""
        while chunk := stream.read(65536):
            received += len(chunk)
            if received > self.limit:
                self.problem = f"the child sent more than {self.limit} bytes of results"
                while stream.read(65536):
                    pass  # drain so the child never blocks
                break
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                self._line(line, time.monotonic())
        stream.close()

    def _line(self, line: bytes, now: float) -> None:
        try:
            message = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            self.problem = "the child sent a message that is not JSON"
            return
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            self.problem = "the child sent a message without an event"
            return
        self.events.append((now, message))
        if self.on_event is not None:
            # A malformed progress message must not stop the reading (the child would block on the pipe).
            with contextlib.suppress(Exception):
                self.on_event(message)

    def final(self) -> dict[str, Any] | None:
        """The one `result` or `error` message, if the child got that far."""
        for _, message in reversed(self.events):
            if message["event"] in ("result", "error"):
                final: dict[str, Any] = message
                return final
        return None

    def timed_span(self) -> float | None:
        """Seconds between the child's `timed` start and end, on the parent's clock."""
        edges = {m.get("edge"): t for t, m in self.events if m["event"] == "timed"}
        if "start" in edges and "end" in edges:
            return edges["end"] - edges["start"]
        return None


def clock_problem(calls: list[Call], parent_span: float | None) -> str | None:
    """A message when the child's own timings disagree with the parent's clock for the timed phase."""
    if parent_span is None:
        return "the child did not report the start and end of its timed phase"
    child = sum(c.seconds for c in calls)
    slack = CLOCK_RELATIVE * parent_span + CLOCK_ABSOLUTE_S + CLOCK_PER_CALL_S * len(calls)
    if (
        child > parent_span * (1 + CLOCK_RELATIVE) + CLOCK_SLOWER_S
        or child < parent_span - slack
        or any(not math.isfinite(c.seconds) or c.seconds < 0 for c in calls)
    ):
        return (
            f"timings disagree with the harness's clock: the child timed {child * 1000:.1f} ms of predict() "
            f"calls, the parent measured {parent_span * 1000:.1f} ms for the same phase; the submission "
            "may have tampered with the clock"
        )
    return None


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
        if not left:
            break
        time.sleep(0.05)


def _wait(process: subprocess.Popen[bytes], pidfd: int | None, seconds: float) -> bool:
    """Block until the child exits or `seconds` pass; True when it exited."""
    if pidfd is not None:
        readable, _, _ = select.select([pidfd], [], [], seconds)
        return bool(readable) and process.poll() is not None
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


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
) -> RunResult:
    """Re-run one declared run in a child process and measure it. Never raises for a bad submission."""
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', not {device!r}")
    return _run(manifest, run, "cuda" if device == "cuda" else "cpu", config, progress, index, count)


def _run(
    manifest: Manifest,
    run: RunSpec,
    device: Device,
    config: BenchConfig,
    progress: ProgressCallback | None,
    index: int,
    count: int,
) -> RunResult:
    base = {"team": manifest.team}

    def show(phase: str, done: int = 0, total: int = 0) -> None:
        if progress is not None:
            progress(Progress(run.model, run.method, phase, done, total, index, count))

    try:
        inputs, references = read_data(manifest.resolve(run.data), run.data)
        declared = declared_weights_bytes(manifest, run)
        entry = manifest.resolve(run.entry_file)
    except (CannotReadData, ManifestError) as exc:
        return _failed(run, "error", getattr(exc, "message", str(exc)), device, **base)

    threads = resolve_threads(config.threads)
    isolation = network_isolation() if config.isolate_network else []
    become_subreaper()
    with tempfile.TemporaryDirectory(prefix="validator-bench-") as scratch:
        spec_path = Path(scratch, "spec.json")
        spec_path.write_text(
            json.dumps(
                {
                    "folder": str(manifest.folder.resolve()),
                    "entry_file": str(entry.relative_to(manifest.folder.resolve())),
                    "entry_class": run.entry_class,
                    "device": device,
                    "task": run.task,
                    "inputs": inputs,
                    "batch_size": run.batch_size,
                    "warmup": config.warmup,
                    "repeats": config.repeats,
                    "threads": threads,
                    "weights_declared": declared is not None,
                }
            ),
            encoding="utf-8",
        )
        env = scrubbed_environment()
        env.update({"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "TMPDIR": scratch})
        read_fd, write_fd = os.pipe()
        command = [*isolation, sys.executable, "-P", "-m", "bench.child", str(spec_path), str(write_fd)]
        own_children = {p.pid for p in psutil.Process().children(recursive=True)}
        show("start")
        started, started_wall = time.monotonic(), time.time()
        try:
            child = subprocess.Popen(
                command,
                cwd=manifest.folder.resolve(),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
        except OSError as exc:
            os.close(read_fd)
            os.close(write_fd)
            return _failed(run, "error", f"cannot start the child process: {exc}", device, **base)
        os.close(write_fd)
        assert child.stdout is not None
        assert child.stderr is not None
        stdout = CappedBuffer(child.stdout, config.output_limit_bytes)
        stderr = CappedBuffer(child.stderr, config.output_limit_bytes)

        def on_event(message: dict[str, Any]) -> None:
            if message["event"] == "phase":
                show(str(message.get("phase")), 0, int(message.get("total") or 0))
            elif message["event"] == "progress":
                show("predict", int(message.get("done") or 0), int(message.get("total") or 0))

        channel = Channel(on_event=on_event)
        pipe = os.fdopen(read_fd, "rb", buffering=0)
        reader = threading.Thread(target=channel.feed, args=(pipe,), daemon=True)
        reader.start()

        tree = TreeMemory(child.pid, foreign=own_children)
        nvml = load_pynvml() if device == "cuda" else None
        gpu = GpuMemory(nvml) if nvml is not None else None
        cap = config.memory_limit_mb * BYTES_PER_MB
        deadline = started + config.timeout_s
        try:
            pidfd: int | None = os.pidfd_open(child.pid)
        except (AttributeError, OSError):
            pidfd = None
        status: RunStatus = "ok"
        message = ""
        ticks = 0
        try:
            while True:
                if ticks % SCAN_EVERY == 0:
                    tree.processes()
                    _reap_orphans(tree, child.pid, started_wall)
                ticks += 1
                used = _sample(tree)
                if gpu is not None:
                    gpu.sample(tree.seen)
                if used > cap:
                    status = "oom"
                    message = (
                        f"the run used {mb(used):.0f} MB, over the {config.memory_limit_mb} MB memory "
                        "limit, and was stopped"
                    )
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    status, message = "timeout", f"the run did not finish within {config.timeout_s:g} s"
                    break
                if _wait(child, pidfd, min(SAMPLE_INTERVAL_S, remaining)):
                    break
        finally:
            _kill_tree(tree, child)
            _reap_orphans(tree, child.pid, started_wall, final=True)
            if pidfd is not None:
                os.close(pidfd)
        wall = time.monotonic() - started
        reader.join(5)
        stdout.join(2)
        stderr.join(2)
    show("done")
    logs = _log_tail(stdout, stderr)
    extra: dict[str, Any] = {
        **base,
        "wall_s": round(wall, 3),
        "network_isolated": bool(isolation),
        "log_tail": logs or None,
        "ram_sampled": _mb(tree.peak_bytes),
    }
    if status != "ok":
        return _failed(run, status, message, device, **extra)
    final = channel.final()
    if channel.problem is not None:
        return _failed(run, "error", channel.problem, device, **extra)
    if final is None:
        code = child.returncode
        why = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        return _failed(run, "error", f"the child process died before reporting ({why})", device, **extra)
    if final["event"] == "error":
        kind: RunStatus = "oom" if final.get("kind") == "oom" else "error"
        tb = str(final.get("traceback") or "")
        extra["log_tail"] = "\n".join(part for part in (tb, logs) if part) or None
        return _failed(run, kind, str(final.get("message") or "the submission failed"), device, **extra)
    return _measured(run, final, channel, device, inputs, references, declared, tree, gpu, extra)


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


def _log_tail(stdout: CappedBuffer, stderr: CappedBuffer) -> str:
    parts = []
    for name, buffer in (("stdout", stdout), ("stderr", stderr)):
        text = buffer.text().strip()
        if text:
            parts.append(f"--- {name} ---\n{text}")
    return "\n".join(parts)


def _measured(
    run: RunSpec,
    result: dict[str, Any],
    channel: Channel,
    device: Device,
    inputs: list[Any],
    references: list[Any],
    declared: int | None,
    tree: TreeMemory,
    gpu: GpuMemory | None,
    extra: dict[str, Any],
) -> RunResult:
    try:
        calls = [
            Call(
                batch=int(c[0]),
                seconds=float(c[1]),
                tokens=int(c[2]),
                cpu_seconds=float(c[3]) if len(c) > 3 else None,
            )
            for c in result["calls"]
        ]
        outputs = result["outputs"]
        if not isinstance(outputs, list) or len(outputs) != len(inputs):
            raise ValueError(f"{len(outputs) if isinstance(outputs, list) else 'no'} outputs")
    except (KeyError, TypeError, ValueError) as exc:
        return _failed(run, "error", f"the child's report is malformed ({exc})", device, **extra)
    if not calls:
        return _failed(run, "error", "no predict() call was timed (repeats = 0?)", device, **extra)
    problem = clock_problem(calls, channel.timed_span())
    if problem is not None:
        return _failed(run, "error", problem, device, **extra)
    try:
        quality = compute_quality(run.task, outputs, references)
        cpu_calls = [c.on_cpu_clock() for c in calls if c.cpu_seconds]
        if run.task == "text-generation":
            speed, per_token, summary = token_rate(calls)
            extra["ms_per_token"] = per_token
            if len(cpu_calls) == len(calls):
                extra["speed_cpu_time"] = token_rate(cpu_calls)[0]
        else:
            speed, summary = sample_latency(calls)
            if len(cpu_calls) == len(calls):
                extra["speed_cpu_time"] = sample_latency(cpu_calls)[0]
    except (CannotScoreOutputs, ValueError) as exc:
        return _failed(run, "error", str(exc), device, **extra)
    baseline = int(result.get("baseline_rss") or 0)
    peak = max(tree.peak_bytes, int(result.get("max_rss") or 0))
    if declared is not None:
        weights, source = declared, "files"
    elif result.get("weights_bytes") is not None:
        weights, source = int(result["weights_bytes"]), "parameters"
    else:
        weights, source = None, None
    vram = None
    if device == "cuda":
        allocated = int(result.get("cuda_max_allocated") or 0)
        extra["vram_allocated"] = _mb(allocated)
        vram = _mb(max(gpu.peak_bytes if gpu else 0, allocated))
    speed_field = "gpu_speed" if device == "cuda" else "cpu_speed"
    return RunResult(
        model=run.model,
        method=run.method,
        status="ok",
        device=device,
        weights_size=_mb(weights) if weights is not None else None,
        ram=_mb(peak),
        vram=vram,
        quality=quality,
        samples=len(inputs),
        repeats=len(calls) // max(math.ceil(len(inputs) / run.batch_size), 1),
        weights_source=source,
        ram_baseline=_mb(baseline) if baseline else None,
        ram_over_baseline=_mb(max(peak - baseline, 0)) if baseline else None,
        ram_ru_maxrss=_mb(int(result.get("max_rss") or 0)),
        p50=summary.p50,
        p90=summary.p90,
        threads=result.get("threads"),
        interop_threads=result.get("interop_threads"),
        **{speed_field: speed},
        **extra,
    )
