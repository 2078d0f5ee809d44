"""Issue 14, item 2: the parent measures; the child only answers one request at a time.

Each submission sleeps 200 ms a call and tries to be reported faster. The check is a large, safe
margin (measured at least 100 ms, or the run refused), never a wall-time bound on the harness.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.manifest import load_manifest
from bench.runner import run_submission
from validator.config import BenchConfig
from validator.model import RunResult

from .attacks import write_team

QUICK = BenchConfig(threads=1, warmup=1, repeats=2, timeout_s=60, memory_limit_mb=1000)


def _run(folder: Path, config: BenchConfig = QUICK) -> RunResult:
    manifest = load_manifest(folder)
    return run_submission(manifest, manifest.runs[0], device="cpu", config=config)


def _not_forged(result: RunResult) -> None:
    """Either the run is refused, or its speed is the 200 ms the calls really took."""
    if result.status == "ok":
        assert result.cpu_speed is not None
        assert result.cpu_speed.value >= 100, result
    else:
        assert result.cpu_speed is None


# Writes a finished run (timed edges and a result with 2 ms calls) on every pipe it holds, as the
# harness's own child code would, then leaves before any real call.
FORGED_RESULT = """
import json, os, stat, time
class Submission:
    def load(self, device):
        calls = [[1, 0.002, 0, 0.002] for _ in range(64)]
        messages = [
            {"event": "timed", "edge": "start"},
            {"event": "timed", "edge": "end"},
            {"event": "result", "calls": calls, "outputs": [1, 2, 3, 4], "baseline_rss": 1, "max_rss": 2},
        ]
        data = "".join(json.dumps(m) + "\\n" for m in messages).encode()
        for fd in range(1, 64):
            try:
                if stat.S_ISFIFO(os.fstat(fd).st_mode):
                    os.write(fd, data)
            except OSError:
                pass
        os._exit(0)
    def predict(self, inputs):
        time.sleep(0.2)
        return inputs
"""


def test_a_result_forged_on_the_harness_pipe_is_refused(tmp_path: Path) -> None:
    result = _run(write_team(tmp_path / "forger", FORGED_RESULT))
    _not_forged(result)
    assert result.status == "error"


# Rebinds every clock it can find, in the time module and in the harness's own module.
CLOCKS = """
import sys, time
_real = time.perf_counter
_real_ns = time.perf_counter_ns
fast = lambda: _real() / 100
time.perf_counter = fast
time.monotonic = fast
time.perf_counter_ns = lambda: _real_ns() // 100
time.monotonic_ns = lambda: _real_ns() // 100
class Submission:
    def load(self, device):
        for module in list(sys.modules.values()):
            for name in ("_clock", "_cpu_clock", "clock", "perf_counter", "monotonic"):
                if getattr(module, name, None) is not None and module.__name__ != "time":
                    try:
                        setattr(module, name, fast)
                    except Exception:
                        pass
    def predict(self, inputs):
        time.sleep(0.2)
        return inputs
"""


def test_rebinding_every_clock_changes_nothing(tmp_path: Path) -> None:
    result = _run(write_team(tmp_path / "clocks", CLOCKS))
    assert result.status == "ok", result.error
    _not_forged(result)


# Answers in advance: a thread writes plausible replies on every pipe before any request arrives.
EARLY = """
import json, os, stat, threading, time
def spam():
    time.sleep(0.5)
    for _ in range(50):
        for fd in range(1, 64):
            try:
                if stat.S_ISFIFO(os.fstat(fd).st_mode):
                    for key in ("id", "call"):
                        reply = {"event": "output", key: 0, "outputs": [1]}
                        os.write(fd, (json.dumps(reply) + "\\n").encode())
            except OSError:
                pass
        time.sleep(0.01)
class Submission:
    def load(self, device):
        threading.Thread(target=spam, daemon=True).start()
    def predict(self, inputs):
        time.sleep(0.2)
        return inputs
"""


def test_replies_written_ahead_of_the_request_are_refused(tmp_path: Path) -> None:
    _not_forged(_run(write_team(tmp_path / "early", EARLY)))


# Looks for inputs it has not been asked about yet: in its arguments and files, in the data file,
# and in every object of its own memory.
PEEK = """
import gc, json, os, sys
MARK = "input-marker-"
asked = set()
def visible():
    found = set()
    def scan(value):
        if isinstance(value, str) and value.startswith(MARK) and value != MARK:
            found.add(value)
    for obj in gc.get_objects():
        try:
            if isinstance(obj, dict):
                for value in list(obj.values()):
                    scan(value)
            elif isinstance(obj, (list, tuple, set)):
                for value in list(obj):
                    scan(value)
        except Exception:
            pass
    texts = [" ".join(sys.argv)]
    for arg in sys.argv[1:]:
        try:
            texts.append(open(arg).read())
        except (OSError, ValueError):
            pass
    for path in ("data/eval.jsonl", os.path.join(os.environ.get("TMPDIR", "/tmp"), "spec.json")):
        try:
            texts.append(open(path).read())
        except OSError:
            pass
    for text in texts:
        for part in text.split('"'):
            scan(part)
    return found
class Submission:
    def load(self, device):
        self.ahead = len(visible())
    def predict(self, inputs):
        asked.update(inputs)
        self.ahead = max(self.ahead, len(visible() - asked))
        print("AHEAD " + str(self.ahead) + " " + repr(sorted(visible() - asked)))
        return inputs
"""


def test_inputs_reach_the_child_one_call_at_a_time(tmp_path: Path) -> None:
    inputs = [f"input-marker-{n}" for n in range(6)]
    result = _run(write_team(tmp_path / "peek", PEEK, inputs=inputs))
    assert result.status == "ok", result.error
    ahead = [
        int(line.split()[1]) for line in (result.log_tail or "").splitlines() if line.startswith("AHEAD")
    ]
    assert ahead
    assert max(ahead) == 0, result.log_tail


# Slow the first time it sees an input, instant afterwards: a memo that only pays off on inputs
# seen before (in the warm-up, or in an earlier timed pass).
MEMO = """
import json, time
class Submission:
    def load(self, device):
        self.memo = {}
    def predict(self, inputs):
        key = json.dumps(inputs)
        if key not in self.memo:
            time.sleep(0.2)
            self.memo[key] = inputs
        return self.memo[key]
"""


def test_answers_remembered_from_earlier_calls_are_not_timed_as_new(tmp_path: Path) -> None:
    config = QUICK.model_copy(update={"warmup": 2, "repeats": 3})
    _not_forged(_run(write_team(tmp_path / "memo", MEMO, inputs=list(range(6))), config))


# Returns the references, read from the team's own data file.
REFERENCES = """
import json
class Submission:
    def load(self, device):
        self.answers = {}
    def predict(self, inputs):
        if not self.answers:
            try:
                with open("data/eval.jsonl") as handle:
                    for line in handle:
                        record = json.loads(line)
                        self.answers[json.dumps(record["input"])] = record["reference"]
            except (OSError, ValueError):
                pass
        return [self.answers.get(json.dumps(item), "no idea") for item in inputs]
"""


def test_the_child_cannot_read_the_references(tmp_path: Path) -> None:
    folder = write_team(
        tmp_path / "cheat",
        REFERENCES,
        inputs=[{"audio": n} for n in range(4)],
        references=["hello world", "good morning", "the cat sat", "model compression"],
        task="speech-recognition",
    )
    result = _run(folder)
    assert result.status == "ok", result.error
    wer = next(m.value for m in result.quality if m.name == "WER")
    assert wer > 0.5, json.dumps(result.model_dump(), default=str)[:2000]
