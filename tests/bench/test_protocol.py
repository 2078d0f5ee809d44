"""The child -> parent JSON protocol, on real pipes."""

from __future__ import annotations

import io
import json
import os
import threading

from bench.child import failure
from bench.runner import CLOCK_ABSOLUTE_S, Channel, clock_problem
from bench.trackers.latency import Call


def _feed(lines: list[bytes], channel: Channel) -> None:
    read_fd, write_fd = os.pipe()
    reader = threading.Thread(target=channel.feed, args=(os.fdopen(read_fd, "rb", buffering=0),))
    reader.start()
    for line in lines:
        os.write(write_fd, line)
    os.close(write_fd)
    reader.join(5)
    assert not reader.is_alive()


def test_messages_are_read_and_stamped() -> None:
    seen: list[str] = []
    channel = Channel(on_event=lambda message: seen.append(message["event"]))
    messages = [
        {"event": "phase", "phase": "load"},
        {"event": "timed", "edge": "start"},
        {"event": "timed", "edge": "end"},
        {"event": "result", "calls": [[1, 0.01, 0]], "outputs": [1]},
    ]
    data = b"".join(json.dumps(m).encode() + b"\n" for m in messages)
    _feed([data[:7], data[7:40], data[40:]], channel)  # split anywhere, even inside a message
    assert seen == ["phase", "timed", "timed", "result"]
    assert channel.problem is None
    final = channel.final()
    assert final is not None
    assert final["outputs"] == [1]
    span = channel.timed_span()
    assert span is not None
    assert span >= 0


def test_garbage_and_missing_messages() -> None:
    channel = Channel()
    _feed([b"hello from a print\n"], channel)
    assert channel.problem == "the child sent a message that is not JSON"
    assert channel.final() is None
    assert channel.timed_span() is None
    silent = Channel()
    _feed([], silent)  # a child that dies before replying: the pipe closes empty
    assert silent.final() is None
    assert silent.problem is None


def test_too_much_is_refused_without_blocking_the_writer() -> None:
    channel = Channel(limit=1000)
    _feed([b'{"event": "progress"}\n' * 500], channel)
    assert channel.problem is not None
    assert "more than 1000 bytes" in channel.problem


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


def test_clock_check() -> None:
    calls = [Call(1, 0.1, 0) for _ in range(10)]
    assert clock_problem(calls, 1.01) is None  # 1.0 s timed, the parent saw a little more
    assert clock_problem(calls, None) is not None
    tampered = clock_problem(calls, 2.0)  # the child claims half the time the parent measured
    assert tampered is not None
    assert "1000.0 ms" in tampered
    assert "2000.0 ms" in tampered
    assert clock_problem(calls, 1.0 - CLOCK_ABSOLUTE_S) is None  # a reader woken late: tolerated
    assert clock_problem(calls, 0.5) is not None  # the child timed more than really passed


def test_channel_stream_interface() -> None:
    channel = Channel()
    channel.feed(io.BytesIO(b'{"event": "error", "kind": "oom", "message": "m"}\n'))
    final = channel.final()
    assert final is not None
    assert final["kind"] == "oom"


def test_a_bad_progress_message_does_not_stop_the_reader() -> None:
    def show(message: dict[str, object]) -> None:
        int(str(message.get("total")))

    channel = Channel(on_event=show)
    _feed([b'{"event": "progress", "total": "lots"}\n{"event": "result", "outputs": []}\n'], channel)
    final = channel.final()
    assert final is not None
    assert final["event"] == "result"
