"""A small GitHub REST API on 127.0.0.1 for PyGithub to talk to.

It implements only the endpoints the validator uses, with GitHub's response shapes: issue comments
(listed with `Link` pagination, created, edited), a pull request, and `GET /user` refused to an
installation token the way GitHub refuses it. Failures are scripted per request: a 5xx, a secondary
rate limit with `retry-after`, a read-only token's 403, a body-too-long 422.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

PREFIX = "/api/v3"
BOT = "github-actions[bot]"


@dataclass
class Failure:
    method: str
    path: str  # a regex matched against the path without the prefix
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    #: Do the request's work, then answer with the failure anyway (a gateway timing out late).
    applied: bool = False


@dataclass
class FakeGitHub:
    url: str = ""
    #: token -> login of whoever it authenticates
    tokens: dict[str, str] = field(default_factory=lambda: {"bot-token": BOT})
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: dict[int, str] = field(default_factory=dict)
    page_size: int = 100
    max_body: int = 65536
    read_only: bool = False
    failures: list[Failure] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1000

    @property
    def api(self) -> str:
        return self.url + PREFIX

    def add_comment(self, pr: int, login: str, body: str) -> dict[str, Any]:
        self.next_id += 1
        comment_id = self.next_id
        repo_url = f"{self.api}/repos/course/hw"
        comment = {
            "id": comment_id,
            "node_id": f"IC_{comment_id}",
            "url": f"{repo_url}/issues/comments/{comment_id}",
            "html_url": f"https://github.com/course/hw/pull/{pr}#issuecomment-{comment_id}",
            "issue_url": f"{repo_url}/issues/{pr}",
            "body": body,
            "user": {
                "login": login,
                "id": 41898282 if login == BOT else 5000 + comment_id,
                "type": "Bot" if login.endswith("[bot]") else "User",
            },
            "author_association": "NONE",
            "created_at": "2026-11-28T00:00:00Z",
            "updated_at": "2026-11-28T00:00:00Z",
        }
        self.comments.setdefault(pr, []).append(comment)
        return comment

    def find(self, comment_id: int) -> dict[str, Any] | None:
        for thread in self.comments.values():
            for comment in thread:
                if comment["id"] == comment_id:
                    return comment
        return None

    def count(self, method: str, pattern: str) -> int:
        return sum(1 for m, p in self.requests if m == method and re.fullmatch(pattern, p))


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            parsed = urlparse(self.path)
            assert parsed.path.startswith(PREFIX), parsed.path
            path = parsed.path[len(PREFIX) :]
            query = parse_qs(parsed.query)
            fake.requests.append((method, path))
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length) or b"null") if length else None

            token = (self.headers.get("Authorization") or "").removeprefix("token ").removeprefix("Bearer ")
            login = fake.tokens.get(token)
            if login is None:
                self._send(
                    401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
                )
                return
            for failure in fake.failures:
                if failure.times > 0 and failure.method == method and re.fullmatch(failure.path, path):
                    failure.times -= 1
                    if failure.applied and method == "POST" and path.endswith("/comments"):
                        fake.add_comment(int(path.split("/")[-2]), login, payload["body"])
                    self._send(failure.status, failure.body, failure.headers)
                    return

            if method == "GET" and path == "/user":
                self._send(403, {"message": "Resource not accessible by integration", "status": "403"})
                return
            if match := re.fullmatch(r"/repos/course/hw/issues/(\d+)/comments", path):
                pr = int(match[1])
                if method == "GET":
                    self._list(pr, query)
                    return
                if method == "POST":
                    if fake.read_only:
                        self._forbidden()
                        return
                    if len(payload["body"]) > fake.max_body:
                        self._too_long()
                        return
                    self._send(201, fake.add_comment(pr, login, payload["body"]))
                    return
            if (match := re.fullmatch(r"/repos/course/hw/issues/comments/(\d+)", path)) and method == "PATCH":
                comment = fake.find(int(match[1]))
                if comment is None:
                    self._send(404, {"message": "Not Found"})
                    return
                if fake.read_only or comment["user"]["login"] != login:
                    self._forbidden()
                    return
                if len(payload["body"]) > fake.max_body:
                    self._too_long()
                    return
                comment["body"] = payload["body"]
                comment["updated_at"] = "2026-11-28T01:00:00Z"
                self._send(200, comment)
                return
            if (match := re.fullmatch(r"/repos/course/hw/pulls/(\d+)", path)) and method == "GET":
                number = int(match[1])
                if number not in fake.pulls:
                    self._send(404, {"message": "Not Found"})
                    return
                self._send(
                    200,
                    {
                        "url": f"{fake.api}/repos/course/hw/pulls/{number}",
                        "number": number,
                        "state": "open",
                        "head": {"sha": fake.pulls[number], "ref": "team-hw3"},
                        "base": {"sha": "b" * 40, "ref": "main"},
                    },
                )
                return
            self._send(404, {"message": "Not Found"})

        def _list(self, pr: int, query: dict[str, list[str]]) -> None:
            thread = fake.comments.get(pr, [])
            per_page = min(int(query.get("per_page", ["30"])[0]), fake.page_size)
            page = int(query.get("page", ["1"])[0])
            last = max((len(thread) + per_page - 1) // per_page, 1)
            items = thread[(page - 1) * per_page : page * per_page]
            base = f"{fake.api}/repos/course/hw/issues/{pr}/comments?per_page={per_page}"
            links = []
            if page < last:
                links.append(f'<{base}&page={page + 1}>; rel="next"')
                links.append(f'<{base}&page={last}>; rel="last"')
            if page > 1:
                links.append(f'<{base}&page=1>; rel="first"')
                links.append(f'<{base}&page={page - 1}>; rel="prev"')
            self._send(200, items, {"Link": ", ".join(links)} if links else None)

        def _forbidden(self) -> None:
            self._send(
                403,
                {
                    "message": "Resource not accessible by integration",
                    "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
                    "status": "403",
                },
            )

        def _too_long(self) -> None:
            self._send(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "IssueComment",
                            "code": "custom",
                            "field": "body",
                            "message": "body is too long (maximum is 65536 characters)",
                        }
                    ],
                    "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
                    "status": "422",
                },
            )

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

    return Handler


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def github_env(fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> FakeGitHub:
    """The environment a workflow step has: token, API URL, a step summary and an output file."""
    monkeypatch.setenv("GITHUB_TOKEN", "bot-token")
    monkeypatch.setenv("GITHUB_API_URL", fake_github.api)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output.txt"))
    return fake_github
