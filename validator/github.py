"""The GitHub API boundary: the sticky report comment on a pull request, through PyGithub.

One comment per pull request, found by BOTH a hidden marker at the very start of its body AND our own
author login, and edited in place. A student can paste the marker into a comment of their own, but not
post as `github-actions[bot]` (a login with brackets cannot be registered), so such a copy is never
taken for ours; and since the report renderer escapes student text, student text inside our own
comment cannot start it with a raw `<!--`.

The token comes from `GITHUB_TOKEN` and the API from `GITHUB_API_URL` (GitHub Enterprise Server works).
We never call `GET /user`: GITHUB_TOKEN is refused there, so the author we match is configured
instead of discovered. Server errors and secondary rate limits are retried, honouring `retry-after`
and `x-ratelimit-reset`, with an injectable sleep so tests do not wait.

Every failure is a `CannotPostComment`; the CLI turns it into a message and an exit code.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from validator.errors import ValidatorError

if TYPE_CHECKING:
    from github import Github

#: The hidden first line of our comment.
MARKER = "<!-- validator:report -->"
#: Who posts with the workflow's GITHUB_TOKEN.
GITHUB_ACTIONS_LOGIN = "github-actions[bot]"
DEFAULT_API_URL = "https://api.github.com"
#: GitHub refuses an issue comment longer than this (characters).
MAX_COMMENT_CHARS = 65536

T = TypeVar("T")


class CannotPostComment(ValidatorError):
    """The report could not be posted on the pull request."""


class TokenIsMissing(CannotPostComment):
    """No token: GITHUB_TOKEN is not set."""


class TokenCannotWrite(CannotPostComment):
    """The token may not comment (403): a fork's pull request, or a read-only token."""


class CommentIsTooLong(CannotPostComment):
    """GitHub refused the body as too long (422)."""


class PullRequestNotFound(CannotPostComment):
    """No such pull request in the repository (404)."""


class PullRequestHasMoved(CannotPostComment):
    """The pull request's head is no longer the commit the report is for: a newer run will report."""


class GitHubIsUnavailable(CannotPostComment):
    """GitHub kept answering with server errors or rate limits, or could not be reached."""


@dataclass(frozen=True)
class PostedComment:
    id: int
    url: str
    created: bool


@dataclass(frozen=True)
class Retry:
    """How hard to try: attempts per request and the longest total wait, with the clock and sleep to use."""

    attempts: int = 5
    max_wait_s: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    #: First back-off for a server error without `retry-after`; doubles each time.
    backoff_s: float = 2.0
    waited: list[float] = field(default_factory=list)


class _Comment(Protocol):
    id: int
    body: str | None
    html_url: str

    @property
    def user(self) -> Any: ...


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if key.lower() == name:
            return str(value)
    return None


def _message(exc: Exception) -> str:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        return str(data.get("message") or "")
    return str(data or "")


def _seconds(text: str | None) -> float | None:
    """A header's number of seconds; None when absent or not a finite number (`nan`, `inf`, garbage)."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return max(value, 0.0) if math.isfinite(value) else None


def retry_after(exc: Exception, attempt: int, retry: Retry) -> float | None:
    """Seconds to wait before trying again, or None when retrying would not help."""
    from github import GithubException

    if not isinstance(exc, GithubException):
        # A connection reset or timeout (requests' exceptions): back off and retry.
        return retry.backoff_s * 2.0 ** (attempt - 1)
    status, headers = exc.status, exc.headers
    after = _header(headers, "retry-after")
    if status >= 500 or status in (403, 429):
        seconds = _seconds(after)
        if seconds is not None:
            return seconds
        reset = _seconds(_header(headers, "x-ratelimit-reset"))
        if _header(headers, "x-ratelimit-remaining") == "0" and reset is not None:
            return max(reset - retry.clock(), 0.0) + 1.0
        if status >= 500:
            return retry.backoff_s * 2.0 ** (attempt - 1)
        if "rate limit" in _message(exc).lower() or status == 429:
            # GitHub's advice for a secondary limit without headers: wait at least a minute.
            return 60.0
    return None


def _retrying(call: Callable[[], T], retry: Retry) -> T:
    import requests
    from github import GithubException

    waited = 0.0
    attempt = 1
    while True:
        try:
            return call()
        except (GithubException, requests.RequestException) as exc:
            wait = retry_after(exc, attempt, retry)
            if wait is None:
                raise _translated(exc) from exc
            if attempt >= retry.attempts or waited + wait > retry.max_wait_s:
                raise GitHubIsUnavailable(
                    f"GitHub is unavailable after {attempt} attempt(s): {_describe(exc)}"
                ) from exc
        retry.sleep(wait)
        retry.waited.append(wait)
        waited += wait
        attempt += 1


def _describe(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    message = _message(exc)
    if status is None:
        return type(exc).__name__
    return f"HTTP {status}" + (f" {message}" if message else "")


def _translated(exc: Exception) -> CannotPostComment:
    status = getattr(exc, "status", None)
    what = _describe(exc)
    if status == 401:
        return CannotPostComment(f"the token was refused ({what})")
    if status == 403:
        return TokenCannotWrite(
            f"the token may not comment on this pull request ({what}); a pull request from a fork "
            "gets a read-only token, which is why the course posts from a separate workflow_run job"
        )
    if status == 404:
        return PullRequestNotFound(f"no such repository or pull request, or the token cannot see it ({what})")
    if status == 422 and "too long" in str(getattr(exc, "data", "")).lower():
        return CommentIsTooLong(f"GitHub refused the comment as too long ({what})")
    return CannotPostComment(f"GitHub refused the request ({what})")


def client(token: str | None = None, api_url: str | None = None, timeout: int = 30) -> Github:
    """A PyGithub client from GITHUB_TOKEN and GITHUB_API_URL; PyGithub's own retries are off (ours apply)."""
    from github import Auth, Github

    token = token if token is not None else os.environ.get("GITHUB_TOKEN", "")
    if not token:
        raise TokenIsMissing("GITHUB_TOKEN is not set: pass the workflow's token in the step's env")
    base = api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    return Github(
        auth=Auth.Token(token),
        base_url=base.rstrip("/"),
        timeout=timeout,
        retry=None,
        per_page=100,
        # Lazy: get_repo() and get_issue() make no request of their own.
        lazy=True,
        # We make a handful of calls per run; PyGithub's default throttle would only add seconds.
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def is_ours(comment: _Comment, author: str, marker: str) -> bool:
    """A comment is ours only if WE wrote it and it starts with the marker."""
    login = getattr(comment.user, "login", None) if comment.user is not None else None
    return login == author and (comment.body or "").startswith(marker)


def newest_of_ours(comments: Iterable[T], author: str, marker: str) -> T | None:
    """The last of our comments in the thread (the API lists the oldest first)."""
    found: T | None = None
    for comment in comments:
        if is_ours(comment, author, marker):  # type: ignore[arg-type]
            found = comment
    return found


def with_marker(body: str, marker: str = MARKER) -> str:
    return body if body.startswith(marker) else f"{marker}\n{body}"


#: The comment holds one section per kind of re-run, in this order; each is replaced on its own.
SECTIONS = ("cpu", "cuda")
_SECTION = re.compile(r"^<!-- validator:section (cpu|cuda) -->$", re.MULTILINE)


def sections_of(body: str) -> dict[str, str]:
    """The sections of one of our comments (a comment from before sections were kept has none).

    Student text inside our comment is escaped and cannot hold a raw `<!--`, so only we start a section.
    """
    parts = _SECTION.split(body)
    return {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}


def merged_body(existing: str | None, section: str, text: str, marker: str = MARKER) -> str:
    """Our comment with `section` replaced by `text`, the other sections kept as they were."""
    sections = sections_of(existing or "")
    sections[section] = text.strip("\n")
    parts = [f"<!-- validator:section {name} -->\n{sections[name]}" for name in SECTIONS if name in sections]
    return f"{marker}\n" + "\n\n".join(parts) + "\n"


def post_sticky_comment(
    repo: str,
    pr: int,
    body: str,
    *,
    author: str = GITHUB_ACTIONS_LOGIN,
    marker: str = MARKER,
    github: Github | None = None,
    retry: Retry | None = None,
    section: str | None = None,
) -> PostedComment:
    """Create our report comment on the pull request, or edit the newest one we made before.

    With `section` (`cpu` or `cuda`), `body` replaces only that section of our comment: the CPU and
    the GPU re-runs of a pull request share the one comment, and neither drops the other.
    """

    def compose(existing: str | None) -> str:
        text = merged_body(existing, section, body, marker) if section else with_marker(body, marker)
        if len(text) > MAX_COMMENT_CHARS:
            raise CommentIsTooLong(
                f"the comment has {len(text)} characters; GitHub takes at most {MAX_COMMENT_CHARS}"
            )
        return text

    compose(None)  # too long on its own: refused before any request
    gh = github or client()
    retry = retry or Retry()
    issue = gh.get_repo(repo).get_issue(pr)

    def attempt() -> PostedComment:
        # Each attempt lists again: a create that GitHub applied but answered with a 5xx is found
        # here and edited, instead of being created a second time.
        ours = newest_of_ours(issue.get_comments(), author, marker)
        if ours is not None:
            ours.edit(compose(ours.body))
            return PostedComment(id=ours.id, url=ours.html_url, created=False)
        created = issue.create_comment(compose(None))
        return PostedComment(id=created.id, url=created.html_url, created=True)

    return _retrying(attempt, retry)


def pull_request_head(repo: str, pr: int, *, github: Github | None = None, retry: Retry | None = None) -> str:
    """The commit the pull request's head is at now."""
    gh = github or client()
    retry = retry or Retry()
    pull = gh.get_repo(repo).get_pull(pr)
    return str(_retrying(lambda: pull.head.sha, retry))


def check_head(
    repo: str, pr: int, head_sha: str, *, github: Github | None = None, retry: Retry | None = None
) -> None:
    """Refuse to report on a pull request whose head is not head_sha (PullRequestHasMoved).

    The pull request number comes from an artifact that untrusted code wrote; the head SHA from the
    workflow_run event, which GitHub wrote. Both must name the same pull request as it is now.
    """
    current = pull_request_head(repo, pr, github=github, retry=retry)
    if current != head_sha:
        raise PullRequestHasMoved(
            f"pull request #{pr} is at {current[:12]}, not at {head_sha[:12]} the report is for; not posting"
        )


@dataclass(frozen=True)
class Publication:
    """What became of a report: posted, or left in the job summary and why."""

    posted: PostedComment | None
    in_summary: bool
    reason: str | None
    exit_code: int
    #: The pull request moved on: the report is stale and shown nowhere.
    stale: bool = False


def publish(
    repo: str,
    pr: int,
    body: str,
    *,
    author: str = GITHUB_ACTIONS_LOGIN,
    marker: str = MARKER,
    head_sha: str | None = None,
    summary_only: bool = False,
    github: Github | None = None,
    retry: Retry | None = None,
    section: str | None = None,
) -> Publication:
    """Post the report as the sticky comment; when that is not allowed, leave it in the job summary.

    A 403 (a fork's pull request, a read-only token) is expected and does not fail the check; the
    summary says why there is no comment. A moved head means a newer run will report: nothing to do.
    Any other refusal also leaves the summary, and exits 2 so that a maintainer looks.
    """
    from validator.summary import write_summary

    shown = with_marker(body, marker)
    if summary_only:
        return Publication(None, write_summary(shown), "asked for the job summary only", 0)
    try:
        if head_sha is not None:
            check_head(repo, pr, head_sha, github=github, retry=retry)
        posted = post_sticky_comment(
            repo, pr, body, author=author, marker=marker, github=github, retry=retry, section=section
        )
    except PullRequestHasMoved as exc:
        return Publication(None, False, str(exc), 0, stale=True)
    except TokenCannotWrite as exc:
        note = f"> [!NOTE]\n> This report was not posted on the pull request: {exc}.\n\n"
        return Publication(None, write_summary(note + shown), str(exc), 0)
    except CannotPostComment as exc:
        note = f"> [!WARNING]\n> This report could not be posted on the pull request: {exc}.\n\n"
        return Publication(None, write_summary(note + shown), str(exc), 2)
    return Publication(posted, False, None, 0)
