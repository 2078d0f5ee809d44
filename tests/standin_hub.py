"""A stand-in for the Hugging Face hub on 127.0.0.1: the endpoints `snapshot_download` uses, nothing more.

Served (for models; data sets under `/api/datasets/...` and `/datasets/...`):
  GET  /api/models/<repo>/revision/<rev>       repository info (sha, siblings)
  GET  /api/models/<repo>/tree/<rev>[?recursive] the file listing of a commit (oid, size, lfs)
  HEAD /<repo>/resolve/<rev>/<path>             ETag, X-Repo-Commit, Content-Length
  GET  /<repo>/resolve/<rev>/<path>             the file
Errors carry `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound) as the hub's do, so the
client raises its own typed errors. Files whose name ends like weights are served as LFS files (the
ETag is their sha256), others as git blobs (the ETag is the git blob sha1). Every request is logged
with the Authorization header it carried, so a test can see which token reached the hub.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx", ".gguf")
#: `main` of every repository points at its first commit, unless a test says otherwise.
DEFAULT_BRANCH = "main"


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass
class Repo:
    kind: str
    name: str
    #: commit sha -> path -> bytes
    commits: dict[str, dict[str, bytes]]
    refs: dict[str, str] = field(default_factory=dict)


@dataclass
class StandinHub:
    url: str
    repos: dict[tuple[str, str], Repo]
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)

    def add(self, name: str, sha: str, files: dict[str, bytes], kind: str = "model") -> None:
        repo = self.repos.setdefault((kind, name), Repo(kind, name, {}))
        repo.commits[sha] = files
        repo.refs.setdefault(DEFAULT_BRANCH, sha)

    def add_folder(self, name: str, sha: str, folder: Path, kind: str = "model") -> None:
        files = {
            p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
        }
        self.add(name, sha, files, kind)


class _Handler(BaseHTTPRequestHandler):
    hub: StandinHub

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the test log is for failures

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        self._send(
            status,
            body,
            {"X-Error-Code": code, "X-Error-Message": message, "Content-Type": "application/json"},
        )

    def _find(self, kind: str, name: str, revision: str) -> tuple[Repo, str, dict[str, bytes]] | None:
        repo = self.hub.repos.get((kind, name))
        if repo is None:
            self._error(404, "RepoNotFound", f"Repository Not Found for url: {self.path}")
            return None
        sha = repo.refs.get(revision, revision)
        if sha not in repo.commits:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return None
        return repo, sha, repo.commits[sha]

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self.hub.requests.append((self.command, self.path, self.headers.get("Authorization")))
        path = unquote(urlsplit(self.path).path)
        parts = path.strip("/").split("/")
        try:
            if parts[0] == "api" and len(parts) >= 6 and parts[1] in ("models", "datasets"):
                self._api(parts[1][:-1], parts[2:])
            elif len(parts) >= 5:
                kind = "model"
                if parts[0] == "datasets":
                    kind, parts = "dataset", parts[1:]
                self._resolve(kind, parts)
            else:
                self._error(404, "RepoNotFound", "not found")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _api(self, kind: str, parts: list[str]) -> None:
        name, what, revision = "/".join(parts[:2]), parts[2], parts[3]
        found = self._find(kind, name, revision)
        if found is None:
            return
        _, sha, files = found
        if what == "revision":
            body = {"id": name, "sha": sha, "siblings": [{"rfilename": p} for p in sorted(files)]}
        elif what == "tree":
            body = []  # type: ignore[assignment]
            for file, data in sorted(files.items()):
                entry: dict[str, object] = {
                    "type": "file",
                    "path": file,
                    "size": len(data),
                    "oid": git_blob_sha(data),
                }
                if file.endswith(LFS_SUFFIXES):
                    entry["lfs"] = {
                        "oid": hashlib.sha256(data).hexdigest(),
                        "size": len(data),
                        "pointerSize": 134,
                    }
                body.append(entry)  # type: ignore[attr-defined]
        else:
            self._error(404, "EntryNotFound", f"no API {what}")
            return
        self._send(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def _resolve(self, kind: str, parts: list[str]) -> None:
        if parts[2] != "resolve":
            self._error(404, "EntryNotFound", "not found")
            return
        name, revision, file = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
        found = self._find(kind, name, revision)
        if found is None:
            return
        _, sha, files = found
        if file not in files:
            self._error(404, "EntryNotFound", f"{file} does not exist at {revision}")
            return
        data = files[file]
        etag = hashlib.sha256(data).hexdigest() if file.endswith(LFS_SUFFIXES) else git_blob_sha(data)
        self._send(
            200, data, {"ETag": f'"{etag}"', "X-Repo-Commit": sha, "Content-Type": "application/octet-stream"}
        )


@contextmanager
def standin_hub() -> Iterator[StandinHub]:
    """A running stand-in hub on a free port of 127.0.0.1 (stopped on exit)."""
    hub = StandinHub(url="", repos={})
    handler = type("Handler", (_Handler,), {"hub": hub})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def tiny_gpt2(folder: Path) -> Path:
    """A random-weight GPT-2 of a few hundred kB saved with `save_pretrained` (safetensors)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(
        n_layer=2, n_head=2, n_embd=32, n_positions=64, vocab_size=128, bos_token_id=0, eos_token_id=0
    )
    GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


def greedy_submission(name: str, repo: str) -> str:
    """A team's class that loads `repo` by name (offline, from the hub cache) and generates greedily
    `new_tokens` ids after each prompt `{"ids": [...], "new_tokens": n}`."""
    return f"""
class {name}:
    def load(self, device):
        self.model = AutoModelForCausalLM.from_pretrained("{repo}").eval()

    def predict(self, inputs):
        out = []
        with torch.no_grad():
            for item in inputs:
                ids = torch.tensor([item["ids"]])
                n = item["new_tokens"]
                g = self.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=n,
                                        min_new_tokens=n, do_sample=False, pad_token_id=0)
                out.append(g[0, ids.shape[1]:].tolist())
        return out
"""
