"""Hub artifacts: the judge fetches the hub repositories a run declares, before any student code runs.

A run may declare `hub = [{repo, revision, files, kind}]` (`validator.model.HubArtifact`): a model or
data set of the Hugging Face hub pinned to a commit. The judge downloads each one with
`huggingface_hub.snapshot_download` into a cache in the hub's own layout
(`<cache>/models--owner--name/{blobs,snapshots/<sha>,refs/main}`), once per job for all runs. The
child then sees only its own run's repositories, read-only, with `HF_HUB_CACHE` pointing at them and
`HF_HUB_OFFLINE=1`, so `from_pretrained("owner/name")` and `from_pretrained("owner/name",
revision=sha)` both load the pinned files without any network: huggingface_hub resolves a commit sha
through `snapshots/<sha>` and the default `main` through `refs/main`, which the judge writes with the
run's sha just before the run starts.

The endpoint is `HF_ENDPOINT` (huggingface.co by default) and the token `HF_TOKEN`: the download uses
it, the child's environment never has it (`bench.sandbox.child_environment` refuses the name).
huggingface_hub is imported here only when a run declares an artifact: `validator check` never loads it.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.sandbox import HUB_TOKEN_NAMES, SANDBOX_HUB_CACHE
from validator.model import HubArtifact, RunSpec

__all__ = ["SANDBOX_HUB_CACHE", "CannotFetchArtifact", "HubFetch", "fetch", "fetch_all", "pin_main"]

#: Environment variable naming the cache when the course's `[bench] hub_cache` is unset.
CACHE_ENV = "VALIDATOR_HUB_CACHE"
#: Files whose bytes are a model's weights (what an unmodified hub model's size is made of).
WEIGHT_SUFFIXES = (
    ".safetensors",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".onnx",
    ".onnx_data",
    ".gguf",
    ".h5",
    ".msgpack",
)

ArtifactKey = tuple[str, str, str, tuple[str, ...]]


class CannotFetchArtifact(Exception):
    """A declared hub repository could not be brought to the cache; the message names repo and revision."""


def default_cache() -> Path:
    """`$VALIDATOR_HUB_CACHE`, else `~/.cache/validator/hub`."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "validator" / "hub"


def cache_root(setting: str | None) -> Path:
    """The cache of the course's `[bench] hub_cache` setting, or the default."""
    return Path(setting).expanduser().resolve() if setting else default_cache().resolve()


def key(artifact: HubArtifact) -> ArtifactKey:
    return (artifact.kind, artifact.repo, artifact.revision, tuple(artifact.files))


def label(artifact: HubArtifact) -> str:
    """How messages name an artifact: `owner/name@0123456789ab` (a data set says so)."""
    kind = "data set " if artifact.kind == "dataset" else ""
    return f"{kind}{artifact.repo}@{artifact.revision[:12]}"


def repo_folder_name(artifact: HubArtifact) -> str:
    """The hub cache's folder of a repository (`models--owner--name`), as huggingface_hub names it."""
    return f"{artifact.kind}s--{artifact.repo.replace('/', '--')}"


def snapshot(cache: Path, artifact: HubArtifact) -> Path:
    return cache / repo_folder_name(artifact) / "snapshots" / artifact.revision


def _files_of(folder: Path) -> list[str]:
    """Relative paths of the snapshot's files (its entries are symlinks into `blobs/`)."""
    if not folder.is_dir():
        return []
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def _matches(name: str, pattern: str) -> bool:
    # huggingface_hub's allow_patterns: fnmatch, a trailing "/" meaning the folder's files
    return fnmatch.fnmatch(name, pattern + "*" if pattern.endswith("/") else pattern)


def fetch(artifact: HubArtifact, cache: Path) -> Path:
    """Download the artifact's files at its revision into `cache`, checked against the hub's hashes;
    the snapshot folder.

    Raises `CannotFetchArtifact` for every failure: repository or revision not found, no network
    (and nothing cached), a glob that matches no file of the revision.
    """
    where = label(artifact)
    try:
        from huggingface_hub.utils.tqdm import disable_progress_bars
    except ImportError:
        raise CannotFetchArtifact(
            f"{where}: huggingface_hub is not installed (pip install 'validator[bench]')"
        ) from None
    disable_progress_bars()  # the judge's log is for the runs, not for download bars
    token = next((os.environ[name] for name in HUB_TOKEN_NAMES if os.environ.get(name)), None)
    folder = _download(artifact, cache, token)
    stray = stray_files(artifact, folder, token)
    if stray:
        # A cache restored from elsewhere holds files that are not the hub's: download them again.
        _drop(folder, stray)
        folder = _download(artifact, cache, token)
        stray = stray_files(artifact, folder, token)
        if stray:
            raise CannotFetchArtifact(
                f"{where}: `{stray[0]}` in the cache is not the hub's file (its hash differs)"
            )
    present = _files_of(folder)
    for pattern in artifact.files:
        if not any(_matches(name, pattern) for name in present):
            raise CannotFetchArtifact(f"{where}: `{pattern}` matches no file of the revision")
    return folder


def _download(artifact: HubArtifact, cache: Path, token: str | None) -> Path:
    """`snapshot_download` of the artifact, its failures as `CannotFetchArtifact`."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = label(artifact)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        folder = snapshot_download(
            artifact.repo,
            revision=artifact.revision,
            allow_patterns=list(artifact.files),
            repo_type=artifact.kind,
            cache_dir=cache,
            endpoint=os.environ.get("HF_ENDPOINT") or None,
            token=token,
        )
    except GatedRepoError:
        raise CannotFetchArtifact(
            f"{where}: the repository is gated (accept its terms; set HF_TOKEN)"
        ) from None
    except RevisionNotFoundError:
        raise CannotFetchArtifact(
            f"{where}: the hub has no revision {artifact.revision} of {artifact.repo}"
        ) from None
    except RepositoryNotFoundError:
        raise CannotFetchArtifact(
            f"{where}: the hub has no repository {artifact.repo} (or it is private and HF_TOKEN is unset)"
        ) from None
    except LocalEntryNotFoundError as exc:
        cause = exc.__cause__ or exc
        reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        raise CannotFetchArtifact(f"{where}: cannot reach the hub and nothing is cached ({reason})") from None
    except HfHubHTTPError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CannotFetchArtifact(f"{where}: the hub refused the download ({first})") from None
    except (OSError, ValueError) as exc:
        raise CannotFetchArtifact(f"{where}: the download failed ({type(exc).__name__}: {exc})") from None
    return Path(folder)


def _git_blob_sha(path: Path) -> str:
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size, usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _listing(artifact: HubArtifact, token: str | None) -> dict[str, str] | None:
    """The hub's hash of every file of the revision (sha256 for LFS files, else the git blob id), or
    None when the hub cannot be asked (offline use of a cache the judge filled itself)."""
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token)
    try:
        entries = api.list_repo_tree(
            artifact.repo, revision=artifact.revision, repo_type=artifact.kind, recursive=True
        )
        return {
            e.path: e.lfs.sha256 if e.lfs is not None else e.blob_id
            for e in entries
            if isinstance(e, RepoFile)
        }
    except Exception:  # any failure to list means: cannot check here
        return None


def stray_files(artifact: HubArtifact, folder: Path, token: str | None) -> list[str] | None:
    """Files of the cached snapshot that are not the hub's (changed, or added): a cache restored from
    elsewhere (CI's cache) is checked before any run sees it. None: the hub could not be asked."""
    listing = _listing(artifact, token)
    if listing is None:
        return None
    stray = []
    for name in _files_of(folder):
        expected = listing.get(name)
        path = folder / name
        actual = _sha256(path) if expected is not None and len(expected) == 64 else _git_blob_sha(path)
        if expected is None or actual != expected:
            stray.append(name)
    return stray


def _drop(folder: Path, names: list[str]) -> None:
    """Remove stray snapshot entries and the blobs they point to, so the next download replaces them."""
    for name in names:
        path = folder / name
        with contextlib.suppress(OSError):
            target = path.resolve()
            path.unlink()
            if target != path and target.is_file():
                target.unlink()


@dataclass
class HubFetch:
    """What the judge's fetch step brought: the cache, and the error of each artifact that failed."""

    cache: Path
    errors: dict[ArtifactKey, str]

    def error(self, run: RunSpec) -> str | None:
        """The first failure among the run's artifacts (the run ends with it), or None."""
        return next((self.errors[key(a)] for a in run.hub if key(a) in self.errors), None)


#: Artifacts fetched in this process (one job): each is downloaded once, whatever the runs sharing it.
_FETCHED: dict[tuple[Path, ArtifactKey], str | None] = {}


def fetch_all(runs: Iterable[RunSpec], setting: str | None) -> HubFetch:
    """The judge's step before any student code runs: every artifact of `runs`, each once."""
    cache = cache_root(setting)
    errors: dict[ArtifactKey, str] = {}
    for run in runs:
        for artifact in run.hub:
            memo = (cache, key(artifact))
            if memo not in _FETCHED:
                try:
                    fetch(artifact, cache)
                    _FETCHED[memo] = None
                except CannotFetchArtifact as exc:
                    _FETCHED[memo] = str(exc)
            problem = _FETCHED[memo]
            if problem is not None:
                errors[key(artifact)] = problem
    return HubFetch(cache, errors)


def pin_main(cache: Path, run: RunSpec) -> None:
    """Point each of the run's repositories' `refs/main` at the revision the run declares.

    Just before the run: `from_pretrained("owner/name")` (no revision) then loads the pinned commit
    offline. Runs are one at a time, so two runs pinning the same repository differently each see
    their own.
    """
    for artifact in run.hub:
        refs = cache / repo_folder_name(artifact) / "refs"
        refs.mkdir(parents=True, exist_ok=True)
        target = refs / "main"
        with contextlib.suppress(OSError):
            if target.read_text(encoding="ascii") == artifact.revision:
                continue
        handle, temporary = tempfile.mkstemp(dir=refs, prefix=".main-")
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(artifact.revision)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)


def run_folders(cache: Path, run: RunSpec) -> list[Path]:
    """The cache folders of the run's repositories: all the child may see of the cache."""
    return sorted({cache / repo_folder_name(a) for a in run.hub if (cache / repo_folder_name(a)).is_dir()})


def weight_files(cache: Path, run: RunSpec) -> list[Path]:
    """The weights files of the run's model artifacts (the snapshot paths, one per file of the revision)."""
    found: list[Path] = []
    for artifact in run.hub:
        if artifact.kind != "model":
            continue
        folder = snapshot(cache, artifact)
        for name in _files_of(folder):
            if name.endswith(WEIGHT_SUFFIXES) and any(_matches(name, p) for p in artifact.files):
                found.append(folder / name)
    return sorted(set(found))
