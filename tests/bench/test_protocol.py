"""The parent <-> child protocol on real pipes: a scripted child answers the parent's requests."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bench.child import failure
from bench.runner import MAX_MESSAGE_BYTES, Conversation, Plan, RunEnded, Watch, _first_pass_only
from bench.trackers.latency import Call
from bench.trackers.memory import TreeMemory

#: The child's side, by hand: reads one request a line and answers as `reply(request)` says.
CHILD = """
import json, os, sys, time
def reply(request):
{body}
for line in sys.stdin:
    for message in reply(json.loads(line)):
        data = (message if isinstance(message, str) else json.dumps(message) + "\\n").encode()
        for start in range(0, len(data), 65536):  # packets the parent reads whole, as bench.child writes
            os.write(1, data[start : start + 65536])
"""


def _conversation(body: str, *, stamped: bool = False) -> Iterator[Conversation]:
    """A scripted child; `stamped`: its replies go over a packet socket the kernel stamps, as in a run."""
    replies, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) if stamped else (None, None)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(body=textwrap.indent(textwrap.dedent(body), "    "))],
        stdin=subprocess.PIPE,
        stdout=child_end.fileno() if child_end else subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    if child_end is not None:
        child_end.close()
    watch = Watch(
        child=child,
        tree=TreeMemory(child.pid),
        cap_bytes=1 << 40,
        deadline=time.monotonic() + 60,
        timeout_s=60,
        memory_limit_mb=1 << 20,
        started_wall=time.time(),
    )
    try:
        yield Conversation(child, watch, lambda phase: None, replies)
    finally:
        child.kill()
        child.wait()
        if replies is not None:
            replies.close()


@pytest.fixture
def echo() -> Iterator[Conversation]:
    yield from _conversation(
        """
        if request["op"] == "call":
            time.sleep(0.05)
            return [{"event": "output", "id": request["id"], "outputs": request["inputs"]}]
        return [{"event": "settled"}]
        """
    )


def test_a_call_is_timed_by_the_parent_around_the_exchange(echo: Conversation) -> None:
    outputs, seconds, cpu = echo.call([1, "two"])
    assert outputs == [1, "two"]
    assert seconds >= 0.05  # the child's sleep is inside the parent's window
    assert cpu is None  # no child pid given: no CPU time
    echo.send({"op": "settle"})
    assert echo.expect("settled") == {"event": "settled"}


def test_a_call_ends_when_the_reply_left_the_child_not_when_the_parent_read_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = """
    if request["op"] == "call":
        time.sleep(0.05)
        return [{"event": "output", "id": request["id"], "outputs": request["inputs"]}]
    """
    for conversation in _conversation(body, stamped=True):
        wait = conversation.watch.wait

        def late(fd: int, wait: Any = wait, **kwargs: Any) -> None:
            wait(fd, **kwargs)
            time.sleep(0.5)  # a busy machine wakes the parent late

        monkeypatch.setattr(conversation.watch, "wait", late)
        outputs, seconds, _ = conversation.call([7])
        assert outputs == [7]
        assert conversation.last_stamp is not None
        assert 0.05 <= seconds < 0.5  # the kernel's send stamp, not the parent's late read


@pytest.mark.parametrize("stamped", [False, True])
def test_long_replies_arrive_whole(stamped: bool) -> None:
    body = """
    if request["op"] == "call":
        return [{"event": "output", "id": request["id"], "outputs": ["x" * 300_000]}]
    """
    for conversation in _conversation(body, stamped=stamped):
        outputs, _, _ = conversation.call([1])
        assert outputs == ["x" * 300_000]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('return [{"event": "output", "id": "guessed", "outputs": request["inputs"]}]', "answers no request"),
        ('return ["hello from a print\\n"]', "not JSON"),
        ('return [{"no": "event"}]', "without an event"),
        ('return [{"event": "output", "id": request["id"], "outputs": [1, 2, 3, 4]}]', "malformed reply"),
        ('return [{"event": "output", "id": request["id"], "outputs": "x"}]', "malformed reply"),
        ("os._exit(3)", "died before reporting (exit code 3)"),
        ('return [{"event": "error", "kind": "oom", "message": "MemoryError: m"}]', "MemoryError"),
        ('return ["x" * (' + str(MAX_MESSAGE_BYTES + 10) + ")]", "too large to report"),
    ],
)
def test_a_bad_reply_ends_the_run(body: str, words: str) -> None:
    for conversation in _conversation(body):
        with pytest.raises(RunEnded) as ended:
            conversation.call([1])
        assert words in ended.value.message


def test_a_reply_written_before_the_request_ends_the_run() -> None:
    body = """
    if request["op"] == "settle":
        return [{"event": "settled"}, {"event": "output", "id": "early", "outputs": [1]}]
    return [{"event": "output", "id": request["id"], "outputs": request["inputs"]}]
    """
    for conversation in _conversation(body):
        conversation.send({"op": "settle"})
        conversation.expect("settled")
        time.sleep(0.2)  # the unrequested reply is in the pipe by now
        with pytest.raises(RunEnded) as ended:
            conversation.call([1])
        assert "a reply before the request" in ended.value.message


def test_an_unexpected_message_ends_the_run() -> None:
    for conversation in _conversation('return [{"event": "result"}]'):
        conversation.send({"op": "settle"})
        with pytest.raises(RunEnded) as ended:
            conversation.expect("settled")
        assert "'result' where 'settled' was expected" in ended.value.message


def test_the_warm_up_and_the_timed_calls_use_different_inputs() -> None:
    plan = Plan.of(list(range(10)), batch_size=2, warmup=4)
    assert plan.warmup == [0, 1]
    assert plan.timed == [2, 3, 4]
    assert not set(plan.warmup) & set(plan.timed)
    assert Plan.of([1, 2, 3], 1, warmup=1).warmup == [0]
    single = Plan.of([1], 1, warmup=2)
    assert single.warmup == single.timed == [0]  # nothing else to warm up with
    assert Plan.of([1, 2], 1, warmup=0).warmup == []


def test_repeats_answered_from_a_memo_are_not_believed() -> None:
    first = [Call(1, 0.2), Call(1, 0.2)]
    memo = [*first, Call(1, 0.0001), Call(1, 0.0001)]
    assert _first_pass_only(memo, per_pass=2) == first
    honest = [*first, Call(1, 0.19), Call(1, 0.21)]
    assert _first_pass_only(honest, per_pass=2) is honest
    tiny = [Call(1, 0.0005), Call(1, 0.00001)]  # a 0.5 ms saving is noise, not a memo
    assert _first_pass_only(tiny, per_pass=1) is tiny


def test_failure_message_kinds() -> None:
    try:
        raise ValueError("bad")
    except ValueError as exc:
        message = failure(exc)
    assert message["kind"] == "error"
    assert message["message"] == "ValueError: bad"
    assert "raise ValueError" in message["traceback"]
    assert failure(MemoryError())["kind"] == "oom"
    json.dumps(message)
