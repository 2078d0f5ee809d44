"""Read files as they were at a revision, straight from git's objects.

Nothing here switches the checkout or writes to the repository: `validator diff` must work in a CI job's
shallow clone that merely holds both commits. Every call runs `git` with a list argv (no shell), and a
revision or path never reaches git in a place where it could be read as an option.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from validator.errors import ValidatorError

#: A README or manifest larger than this is refused rather than read into memory (student input).
MAX_BLOB_BYTES = 8 * 1024 * 1024
_TIMEOUT_S = 60


class CannotReadRevision(ValidatorError):
    """A revision, or a file at a revision, cannot be read from git (the CLI exits 2)."""


class GitIsNotInstalled(CannotReadRevision):
    pass


class NotAGitRepository(CannotReadRevision):
    pass


class RevisionIsMissing(CannotReadRevision):
    """The revision is unknown here; in a shallow clone it may simply not have been fetched."""


class FileIsTooLarge(CannotReadRevision):
    pass


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    # No pager, no prompt, no system config: the same answer on a laptop and in CI.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "GIT_CONFIG_NOSYSTEM": "1"}
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    try:
        return subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            env=env,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise GitIsNotInstalled("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise CannotReadRevision(f"git {args[0]} took longer than {_TIMEOUT_S} s in {repo}") from None


def _stderr(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:][0] if result.stderr else ""


def resolve(repo: Path, rev: str) -> str:
    """The full commit sha a revision names (`main`, `HEAD~1`, a short sha...)."""
    if not repo.is_dir():
        raise NotAGitRepository(f"{repo}: no such directory")
    if not rev or rev.startswith("-") or "\x00" in rev:
        raise RevisionIsMissing(f"{rev!r} is not a revision")
    inside = _git(repo, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0:
        # Git's own reason: "not a git repository", or "detected dubious ownership" in a CI container.
        reason = _stderr(inside).removeprefix("fatal: ") or "not a git repository"
        raise NotAGitRepository(f"{repo}: {reason}")
    result = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if result.returncode != 0:
        shallow = _git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true"
        hint = (
            f"; this is a shallow clone: fetch it first (git fetch --depth=50 origin {rev})"
            if shallow
            else ""
        )
        raise RevisionIsMissing(f"{repo}: no commit {rev!r}{hint}")
    return result.stdout.decode("ascii").strip()


def read_blob(repo: Path, sha: str, path: str) -> bytes | None:
    """The bytes of `path` (relative to the repository root) at commit `sha`; None when it has no such file.

    `sha` must be a full sha from `resolve`, so `sha:path` is a single argument that cannot start with `-`.
    """
    path = path.replace("\\", "/").lstrip("/")
    if path.startswith("./"):
        path = path[2:]
    if not path or "\x00" in path or ".." in path.split("/"):
        raise CannotReadRevision(f"{path!r} is not a path inside the repository")
    spec = f"{sha}:{path}"
    kind = _git(repo, "cat-file", "-t", spec)
    if kind.returncode != 0:
        return None
    if kind.stdout.strip() != b"blob":
        return None  # a folder (or a submodule) where a file was expected
    size = _git(repo, "cat-file", "-s", spec)
    if size.returncode == 0 and int(size.stdout.strip() or 0) > MAX_BLOB_BYTES:
        raise FileIsTooLarge(f"{path} at {sha[:12]} is larger than {MAX_BLOB_BYTES // 1024 // 1024} MiB")
    blob = _git(repo, "cat-file", "blob", spec)
    if blob.returncode != 0:
        raise CannotReadRevision(f"{path} at {sha[:12]}: {_stderr(blob)}")
    return blob.stdout


def changed_files(repo: Path, base_sha: str, head_sha: str) -> list[tuple[str, str]]:
    """(status, path) of every file that differs between two commits: `A`dded, `M`odified, `D`eleted...

    Compares the two trees, so a shallow clone holding both commits is enough; renames are a deletion
    and an addition (each side is judged on its own).
    """
    result = _git(
        repo, "diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", "--name-status", base_sha, head_sha
    )
    if result.returncode != 0:
        raise CannotReadRevision(f"git diff-tree {base_sha[:12]} {head_sha[:12]}: {_stderr(result)}")
    fields = result.stdout.decode("utf-8", "replace").split("\0")
    pairs: list[tuple[str, str]] = []
    for status, path in zip(fields[0::2], fields[1::2], strict=False):
        if status and path:
            pairs.append((status[0], path))
    return pairs


def list_folder(repo: Path, sha: str, folder: str) -> list[str]:
    """The names of the entries (files and folders) directly inside `folder` at commit `sha`."""
    folder = folder.replace("\\", "/").strip("/")
    if not folder or "\x00" in folder or ".." in folder.split("/"):
        raise CannotReadRevision(f"{folder!r} is not a folder inside the repository")
    result = _git(repo, "ls-tree", "-z", "--name-only", sha, "--", f"{folder}/")
    if result.returncode != 0:
        raise CannotReadRevision(f"git ls-tree {sha[:12]} {folder}: {_stderr(result)}")
    names = result.stdout.decode("utf-8", "replace").split("\0")
    return [name.rsplit("/", 1)[-1] for name in names if name]


def list_files(repo: Path, sha: str, folder: str) -> list[str]:
    """Every file under `folder` (relative to the repository root) at commit `sha`."""
    folder = folder.replace("\\", "/").strip("/")
    if not folder or "\x00" in folder or ".." in folder.split("/"):
        raise CannotReadRevision(f"{folder!r} is not a folder inside the repository")
    result = _git(repo, "ls-tree", "-r", "-z", "--name-only", sha, "--", f"{folder}/")
    if result.returncode != 0:
        raise CannotReadRevision(f"git ls-tree {sha[:12]} {folder}: {_stderr(result)}")
    return [name for name in result.stdout.decode("utf-8", "replace").split("\0") if name]
