"""The pull request a workflow runs for, read from the event payload at `GITHUB_EVENT_PATH`.

The payload is written by GitHub, but most of it (title, labels, branch names) is typed by the
student, so it is validated like any other input: a size cap, a schema, and only the fields we use.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from validator.errors import ValidatorError

#: The largest event payload we read; GitHub's webhook payloads are capped at 25 MB.
MAX_EVENT_BYTES = 25 * 1024 * 1024

#: The pull request actions the validator runs for.
ACTIONS = ("opened", "synchronize", "reopened", "labeled", "edited")


class CannotReadEvent(ValidatorError):
    """The workflow's event payload is missing, unreadable or not a pull request event."""


class _Payload(BaseModel):
    # GitHub adds fields over time; we keep only the ones we use.
    model_config = ConfigDict(extra="ignore")


class _User(_Payload):
    login: str


class _Label(_Payload):
    name: str


class _Repo(_Payload):
    full_name: str
    fork: bool = False


class _Ref(_Payload):
    sha: str = Field(pattern=r"^[0-9a-f]{40}$")
    ref: str = ""
    # A fork that was deleted since the PR was opened has no repository.
    repo: _Repo | None = None


class _PullRequest(_Payload):
    number: int = Field(gt=0)
    title: str = ""
    user: _User
    labels: list[_Label] = Field(default_factory=list)
    head: _Ref
    base: _Ref


class _Event(_Payload):
    action: str
    number: int | None = None
    pull_request: _PullRequest
    label: _Label | None = None
    repository: _Repo


class PullRequestEvent(BaseModel):
    """What `validator ci` needs to know about the pull request, flattened."""

    model_config = ConfigDict(frozen=True)

    action: str
    number: int
    title: str
    author: str
    base_sha: str
    head_sha: str
    labels: tuple[str, ...] = ()
    #: The repository the workflow runs in (the course).
    repository: str
    #: The repository the PR's head lives in; None when the fork was deleted.
    head_repository: str | None = None
    #: The label just added (`labeled` events only).
    label: str | None = None

    @property
    def is_fork(self) -> bool:
        return self.head_repository != self.repository


def parse_event(data: bytes) -> PullRequestEvent:
    """A pull request event from the payload's bytes; CannotReadEvent when it is not one."""
    try:
        event = _Event.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise CannotReadEvent(f"not a pull request event: {where}: {first['msg']}") from None
    pr = event.pull_request
    return PullRequestEvent(
        action=event.action,
        number=pr.number,
        title=pr.title,
        author=pr.user.login,
        base_sha=pr.base.sha,
        head_sha=pr.head.sha,
        labels=tuple(label.name for label in pr.labels),
        repository=event.repository.full_name,
        head_repository=pr.head.repo.full_name if pr.head.repo else None,
        label=event.label.name if event.label else None,
    )


def load_event(path: Path | None = None) -> PullRequestEvent:
    """The event of the running workflow (`GITHUB_EVENT_PATH` unless a path is given)."""
    if path is None:
        env = os.environ.get("GITHUB_EVENT_PATH")
        if not env:
            raise CannotReadEvent("GITHUB_EVENT_PATH is not set: run this inside a GitHub Actions workflow")
        path = Path(env)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_EVENT_BYTES + 1)
    except OSError as exc:
        raise CannotReadEvent(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_EVENT_BYTES:
        raise CannotReadEvent(f"{path}: larger than {MAX_EVENT_BYTES} bytes")
    return parse_event(data)
