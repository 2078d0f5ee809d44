"""The GitHub REST API the course workflows talk to, on 127.0.0.1: pull requests, comments, labels.

Only what the workflows call, with GitHub's shapes: a pull request's head, issue comments (listed,
created, edited), a label removed. `GET /user` is refused the way GitHub refuses it to a GITHUB_TOKEN.
Each token authenticates one login and is either write-capable or read-only (a fork's token), and
every request is recorded with the token it came with, so a test can tell which workflow made it.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlparse

BOT = "github-actions[bot]"


@dataclass
class Request:
    method: str
    path: str
    token: str


@dataclass
class FakeGitHub:
    repo: str
    url: str = ""
    #: token -> (login, may write)
    tokens: dict[str, tuple[str, bool]] = field(default_factory=dict)
    #: pull request number -> head sha
    heads: dict[int, str] = field(default_factory=dict)
    labels: dict[int, list[str]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    next_id: int = 5000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ours(self, pr: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.get(pr, []) if c["user"]["login"] == BOT]

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method in ("POST", "PATCH", "DELETE", "PUT")]

    def add_comment(self, pr: int, login: str, body: str) -> dict[str, Any]:
        self.next_id += 1
        number = self.next_id
        comment = {
            "id": number,
            "node_id": f"IC_{number}",
            "url": f"{self.url}/repos/{self.repo}/issues/comments/{number}",
            "html_url": f"https://github.com/{self.repo}/pull/{pr}#issuecomment-{number}",
            "issue_url": f"{self.url}/repos/{self.repo}/issues/{pr}",
            "body": body,
            "user": {"login": login, "id": 41898282 if login == BOT else number, "type": "Bot"},
            "created_at": "2026-12-01T00:00:00Z",
            "updated_at": "2026-12-01T00:00:00Z",
            "edits": 0,
        }
        self.comments.setdefault(pr, []).append(comment)
        return comment


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    repo = re.escape(fake.repo)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            path = urlparse(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length)) if length else None
            auth = self.headers.get("Authorization") or ""
            token = auth.split(" ", 1)[1] if " " in auth else ""
            with fake.lock:
                fake.requests.append(Request(method, path, token))
                self._route(method, path, payload, token)

        def _route(self, method: str, path: str, payload: Any, token: str) -> None:
            if token not in fake.tokens:
                self._send(401, {"message": "Bad credentials"})
                return
            login, may_write = fake.tokens[token]
            if method == "GET" and path == "/user":
                self._send(403, {"message": "Resource not accessible by integration"})
                return
            if method != "GET" and not may_write:
                self._send(403, {"message": "Resource not accessible by integration"})
                return
            if (m := re.fullmatch(rf"/repos/{repo}/pulls/(\d+)", path)) and method == "GET":
                number = int(m[1])
                if number not in fake.heads:
                    self._send(404, {"message": "Not Found"})
                    return
                self._send(200, {"number": number, "state": "open", "head": {"sha": fake.heads[number]}})
                return
            if m := re.fullmatch(rf"/repos/{repo}/issues/(\d+)/comments", path):
                pr = int(m[1])
                if method == "GET":
                    self._send(200, fake.comments.get(pr, []))
                    return
                if method == "POST":
                    self._send(201, fake.add_comment(pr, login, payload["body"]))
                    return
            if (m := re.fullmatch(rf"/repos/{repo}/issues/comments/(\d+)", path)) and method == "PATCH":
                found = [c for thread in fake.comments.values() for c in thread if c["id"] == int(m[1])]
                if not found or found[0]["user"]["login"] != login:
                    self._send(404 if not found else 403, {"message": "Not Found"})
                    return
                found[0]["body"] = payload["body"]
                found[0]["edits"] += 1
                self._send(200, found[0])
                return
            if (m := re.fullmatch(rf"/repos/{repo}/issues/(\d+)/labels/(.+)", path)) and method == "DELETE":
                pr, name = int(m[1]), unquote(m[2])
                if name not in fake.labels.get(pr, []):
                    self._send(404, {"message": "Label does not exist"})
                    return
                fake.labels[pr].remove(name)
                self._send(200, [{"name": label} for label in fake.labels[pr]])
                return
            self._send(404, {"message": "Not Found"})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    return Handler


class GitHubServer:
    """The fake API served on an ephemeral port of 127.0.0.1 for as long as the context lasts."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
        fake.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.daemon = True

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
