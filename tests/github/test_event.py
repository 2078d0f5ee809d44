"""Event payloads as GitHub sends them (shapes from the pull_request webhook documentation)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from validator.event import CannotReadEvent, load_event, parse_event

EVENTS = Path(__file__).parent / "events"
BASE = "1" * 40
HEAD = "2" * 40


def test_opened_same_repo() -> None:
    event = load_event(EVENTS / "opened_same_repo.json")
    assert (event.action, event.number, event.base_sha, event.head_sha) == ("opened", 42, BASE, HEAD)
    assert event.title == "team-rocket HW3: int8 quantization of TinyLM"
    assert event.author == "student-anna"
    assert event.repository == event.head_repository == "mlcourse/compression-hw"
    assert not event.is_fork
    assert event.label is None


def test_opened_fork() -> None:
    event = load_event(EVENTS / "opened_fork.json")
    assert event.head_repository == "student-anna/compression-hw"
    assert event.is_fork


def test_synchronize_fork() -> None:
    event = load_event(EVENTS / "synchronize_fork.json")
    assert event.action == "synchronize"
    assert event.head_sha == HEAD
    assert event.is_fork


def test_labeled() -> None:
    event = load_event(EVENTS / "labeled_gpu_fork.json")
    assert event.action == "labeled"
    assert event.label == "gpu-rerun"
    assert event.labels == ("gpu-rerun",)
    # The author is the PR's, not whoever added the label.
    assert event.author == "student-anna"


def test_deleted_fork_has_no_head_repository() -> None:
    data = json.loads((EVENTS / "opened_fork.json").read_text())
    data["pull_request"]["head"]["repo"] = None
    event = parse_event(json.dumps(data).encode())
    assert event.head_repository is None
    assert event.is_fork


def test_env_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(EVENTS / "opened_fork.json"))
    assert load_event().number == 42


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b'{"action": "created", "ref": "refs/heads/main"}', "pull_request"),
        (b"not json", "payload"),
        (b"\xff\xfe", "payload"),
    ],
)
def test_not_a_pull_request_event(payload: bytes, message: str) -> None:
    with pytest.raises(CannotReadEvent, match=message):
        parse_event(payload)


def test_sha_must_be_a_full_commit() -> None:
    data = json.loads((EVENTS / "opened_fork.json").read_text())
    data["pull_request"]["head"]["sha"] = "main; rm -rf /"
    with pytest.raises(CannotReadEvent, match=r"head\.sha"):
        parse_event(json.dumps(data).encode())


def test_missing_file_and_missing_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CannotReadEvent, match="cannot read"):
        load_event(tmp_path / "nope.json")
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    with pytest.raises(CannotReadEvent, match="GITHUB_EVENT_PATH"):
        load_event()
