"""Local stand-ins for the GitHub-hosted actions the course workflows use, for runs under nektos/act.

The real actions talk to github.com (checkout clones, the artifact actions call the results service,
setup-python downloads an interpreter); this machine has no such network. Each stand-in keeps the
real action's inputs, outputs and on-disk results, so the workflows run unchanged:

- `checkout`: clones the prepared course repository (`STANDIN_ORIGIN`, holding the base branch and
  `refs/pull/<n>/head`) at the requested ref, with the requested depth; `persist-credentials: true`
  leaves the token in `.git/config` exactly as actions/checkout does, so a test can see that ours
  keep nothing.
- `upload` / `download`: actions/upload-artifact@v4 and actions/download-artifact@v4 over a folder
  store `STANDIN_ARTIFACTS/<run id>/<name>/`, which outlives a run, so `comment.yml` can fetch a
  `validate` run's report by `run-id`. The layout rules are v4's: an artifact's root is the least
  common ancestor of its files; `name` extracts into `path`; several artifacts extract into
  `path/<name>/` unless `merge-multiple`. `STANDIN_SINGLE_MATCH=flat` reproduces the releases that
  extract a `pattern` matching exactly one artifact straight into `path`.
- `setup-python`: the running interpreter (`STANDIN_PYTHON`), as `python-path`.
- `cache/restore` / `cache/save`: actions/cache@v4's halves over a folder store (`STANDIN_CACHE`):
  an exact key is a hit, else the newest entry whose key starts with a restore key; a key is saved
  once and never overwritten; `~` is the runner's home.

Every stand-in prints what it did, and fails with the real action's message where the real one fails.
"""

from __future__ import annotations

import base64
import fnmatch
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _fail(message: str) -> None:
    print(f"::error::{message}")
    raise SystemExit(1)


def _output(name: str, value: str) -> None:
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as stream:
        stream.write(f"{name}={value}\n")


def _git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        _fail(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


# --- actions/checkout ---------------------------------------------------------------------------


def checkout() -> None:
    origin = _env("STANDIN_ORIGIN")
    if not origin:
        _fail("STANDIN_ORIGIN is not set: the test names the repository to clone")
    repository = _env("INPUT_REPOSITORY") or _env("GITHUB_REPOSITORY")
    if repository != _env("GITHUB_REPOSITORY"):
        _fail(f"the stand-in checks out only {_env('GITHUB_REPOSITORY')}, not {repository}")
    workspace = Path(_env("GITHUB_WORKSPACE"))
    target = (workspace / _env("INPUT_PATH")).resolve() if _env("INPUT_PATH") else workspace
    ref = _env("INPUT_REF") or _env("GITHUB_SHA")
    depth = int(_env("INPUT_FETCH_DEPTH", "1") or "1")
    if target.exists():
        # actions/checkout empties the folder it checks out into.
        for child in target.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    target.mkdir(parents=True, exist_ok=True)
    _git("init", "-q", str(target))
    _git("remote", "add", "origin", origin, cwd=target)
    sha = _git("rev-parse", "--verify", f"{ref}^{{commit}}", cwd=Path(origin))
    refspecs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/pull/*:refs/remotes/pull/*"]
    if depth == 0:
        _git("fetch", "-q", "--no-tags", "origin", *refspecs, sha, cwd=target)
    else:
        _git("fetch", "-q", "--no-tags", f"--depth={depth}", f"file://{origin}", sha, cwd=target)
    _git("checkout", "-q", "--detach", sha, cwd=target)
    _git("remote", "set-url", "origin", f"https://github.com/{repository}", cwd=target)
    if _env("INPUT_PERSIST_CREDENTIALS", "true") == "true":
        token = _env("INPUT_TOKEN")
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        _git(
            "config",
            "--local",
            "http.https://github.com/.extraheader",
            f"AUTHORIZATION: basic {basic}",
            cwd=target,
        )
    print(f"stand-in checkout: {repository} at {sha} into {target} (fetch-depth {depth})")


# --- actions/setup-python -----------------------------------------------------------------------


def setup_python() -> None:
    python = _env("STANDIN_PYTHON") or sys.executable
    version = ".".join(map(str, sys.version_info[:3]))
    wanted = _env("INPUT_PYTHON_VERSION")
    if wanted and not version.startswith(wanted.strip()):
        print(f"stand-in setup-python: {wanted} asked, {version} is what this machine runs")
    _output("python-version", version)
    _output("python-path", python)
    _output("cache-hit", "false")
    if _env("INPUT_UPDATE_ENVIRONMENT", "true") == "true":
        with open(os.environ["GITHUB_PATH"], "a", encoding="utf-8") as stream:
            stream.write(str(Path(python).parent) + "\n")
    print(f"stand-in setup-python: {python} ({version})")


# --- actions/upload-artifact@v4 and actions/download-artifact@v4 --------------------------------


def _store() -> Path:
    store = _env("STANDIN_ARTIFACTS")
    if not store:
        _fail("STANDIN_ARTIFACTS is not set: the test names the artifact store")
    return Path(store)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _search(lines: list[str], include_hidden: bool) -> tuple[list[Path], Path | None]:
    """The files the path input names, and the root they are stored relative to (@actions/glob's rules)."""
    includes = [line for line in lines if not line.startswith("!")]
    excludes = [line[1:] for line in lines if line.startswith("!")]
    files: set[Path] = set()
    roots: list[Path] = []
    for pattern in includes:
        pattern = os.path.expanduser(pattern)
        literal = Path(pattern.split("*")[0].split("?")[0].split("[")[0])
        matches = [Path(p) for p in glob.glob(pattern, recursive=True)]
        for match in matches:
            found = [match] if match.is_file() else [p for p in match.rglob("*") if p.is_file()]
            base = match if match.is_dir() else match.parent
            files.update(p for p in found if include_hidden or not _hidden(p, base))
        if matches:
            # A file on its own is stored under its name; a folder's or a glob's files under their folder.
            roots.append(
                literal.parent if literal.is_file() else literal if literal.is_dir() else literal.parent
            )
    files = {f for f in files if not any(fnmatch.fnmatch(str(f), ex) for ex in excludes)}
    if not files:
        return [], None
    root = Path(os.path.commonpath([str(r.resolve()) for r in roots]))
    return sorted(files), root


def upload() -> None:
    name = _env("INPUT_NAME") or "artifact"
    if any(c in name for c in '":<>|*?\r\n\\/'):
        _fail(f"The artifact name is not valid: {name}")
    lines = [line.strip() for line in _env("INPUT_PATH").splitlines() if line.strip()]
    files, root = _search(lines, _env("INPUT_INCLUDE_HIDDEN_FILES", "false") == "true")
    if not files or root is None:
        mode = _env("INPUT_IF_NO_FILES_FOUND", "warn")
        message = (
            f"No files were found with the provided path: {chr(10).join(lines)}. "
            "No artifacts will be uploaded."
        )
        if mode == "error":
            _fail(message)
        print(("::warning::" if mode == "warn" else "") + message)
        return
    run = _store() / _env("GITHUB_RUN_ID")
    destination = run / name
    if destination.exists():
        if _env("INPUT_OVERWRITE", "false") != "true":
            _fail(
                "Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: "
                "an artifact with this name already exists on the workflow run"
            )
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for file in files:
        relative = file.resolve().relative_to(root)
        (destination / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, destination / relative)
    artifact_id = str(sum(1 for _ in _store().glob("*/*")) + 1000)
    (run / f"{name}.id").write_text(artifact_id)
    _output("artifact-id", artifact_id)
    _output(
        "artifact-url",
        f"https://github.com/{_env('GITHUB_REPOSITORY')}/actions/runs/{run.name}/artifacts/{artifact_id}",
    )
    print(f"stand-in upload-artifact: {name} ({len(files)} file(s) from {root}) in run {run.name}")


def _copy_tree(source: Path, destination: Path) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, destination, dirs_exist_ok=True)


def download() -> None:
    name = _env("INPUT_NAME")
    pattern = _env("INPUT_PATTERN")
    run_id = _env("INPUT_RUN_ID") or _env("GITHUB_RUN_ID")
    if _env("INPUT_RUN_ID") and not _env("INPUT_GITHUB_TOKEN"):
        _fail("Inputs 'github-token' and 'run-id' must be given together (another run's artifacts)")
    path = Path(os.path.expanduser(_env("INPUT_PATH") or _env("GITHUB_WORKSPACE")))
    run = _store() / run_id
    available = sorted(p.name for p in run.iterdir() if p.is_dir()) if run.is_dir() else []
    if name:
        if name not in available:
            _fail(
                f"Unable to download artifact(s): Artifact not found for name: {name}\n"
                "        Please ensure that your artifact is not expired and the artifact was uploaded "
                "using a compatible version of toolkit/upload-artifact.\n"
                "        For more information, visit the GitHub Artifacts FAQ: "
                "https://github.com/actions/toolkit/blob/main/packages/artifact/docs/faq.md"
            )
        _copy_tree(run / name, path)
        print(f"stand-in download-artifact: {name} from run {run_id} into {path}")
    else:
        chosen = [a for a in available if not pattern or fnmatch.fnmatchcase(a, pattern)]
        print(f"Found {len(available)} artifact(s); {len(chosen)} match the pattern {pattern!r}")
        flat = _env("INPUT_MERGE_MULTIPLE", "false") == "true" or (
            len(chosen) == 1 and _env("STANDIN_SINGLE_MATCH") == "flat"
        )
        for artifact in chosen:
            _copy_tree(run / artifact, path if flat else path / artifact)
        layout = "flat" if flat else "nested"
        print(f"stand-in download-artifact: {chosen} from run {run_id} into {path} ({layout})")
    _output("download-path", str(path))


# --- actions/cache/restore and actions/cache/save -------------------------------------------------


def _cache_store() -> Path:
    store = Path(_env("STANDIN_CACHE") or Path(_env("STANDIN_ARTIFACTS")).parent / "actions-cache")
    store.mkdir(parents=True, exist_ok=True)
    return store


def _cache_paths() -> list[Path]:
    home = Path(_env("HOME") or str(Path.home()))
    paths = []
    for line in _env("INPUT_PATH").splitlines():
        line = line.strip()
        if line:
            paths.append(home / line[2:] if line == "~" or line.startswith("~/") else Path(line))
    return paths


def _cache_entries() -> list[tuple[float, str, Path]]:
    """(saved at, key, folder) of every saved cache, newest first."""
    entries = []
    for folder in _cache_store().iterdir():
        key_file = folder / "key"
        if key_file.is_file():
            entries.append((key_file.stat().st_mtime, key_file.read_text(encoding="utf-8"), folder))
    return sorted(entries, reverse=True)


def cache_restore() -> None:
    key = _env("INPUT_KEY")
    _output("cache-primary-key", key)
    entries = _cache_entries()
    found = next((e for e in entries if e[1] == key), None)
    if found is None:
        for prefix in (line.strip() for line in _env("INPUT_RESTORE_KEYS").splitlines()):
            found = next((e for e in entries if prefix and e[1].startswith(prefix)), None)
            if found is not None:
                break
    if found is None:
        if _env("INPUT_FAIL_ON_CACHE_MISS", "false") == "true":
            _fail(f"Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: {key}")
        _output("cache-hit", "false")
        print(f"Cache not found for input keys: {key}")
        return
    _, matched, folder = found
    for index, path in enumerate(_cache_paths()):
        stored = folder / str(index)
        if stored.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            _copy_tree(stored, path)
    _output("cache-hit", "true" if matched == key else "false")
    _output("cache-matched-key", matched)
    print(f"Cache restored from key: {matched}")


def cache_save() -> None:
    key = _env("INPUT_KEY")
    if not key:
        _fail("Input required and not supplied: key")
    paths = [p for p in _cache_paths() if p.exists()]
    if not paths:
        print(
            "::warning::Path Validation Error: Path(s) specified in the action for caching do(es) not "
            "exist, hence no cache is being saved."
        )
        return
    if any(entry[1] == key for entry in _cache_entries()):
        print(
            f"::warning::Failed to save: Unable to reserve cache with key {key}, another job may be "
            "creating this cache."
        )
        return
    folder = _cache_store() / f"{len(list(_cache_store().iterdir()))}-{os.getpid()}"
    for index, path in enumerate(_cache_paths()):
        if path.is_dir():
            _copy_tree(path, folder / str(index))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "key").write_text(key, encoding="utf-8")
    print(f"Cache saved with key: {key}")


if __name__ == "__main__":
    commands = {
        "checkout": checkout,
        "setup-python": setup_python,
        "upload": upload,
        "download": download,
        "cache-restore": cache_restore,
        "cache-save": cache_save,
    }
    commands[sys.argv[1]]()
