"""Where the team's code runs: a bubblewrap sandbox the judge builds, or a plain process marked unprotected.

The sandbox (`bwrap`, from Debian/Ubuntu's `bubblewrap`) gives the child an empty root holding only:
the system (`/usr`, `/etc`, `/sys`) and the Python installation and its site-packages, all read-only;
the team's folder, read-only, with the run's data files replaced by empty ones; a private `/tmp` of
bounded size; the harness's child script, read-only; the cache folders of the run's declared hub
repositories (`bench.hub`), read-only, at `/run/validator/hub`. It has no network, its own process, IPC and
user namespaces (uid 65534, no capabilities, no further user namespaces), and an environment built
from an allow-list. The validator's source, the rest of the course repository (other teams, the
course's references) and the judge's processes are not in it at all.

Where bubblewrap is missing or refused (no user namespaces and no root), a run is *unprotected*: the
team's code runs as a plain child process with the same allow-listed environment. The report says so,
and `validator verify` cannot pass it unless the course allows it (`[bench] allow_unprotected`).
"""

from __future__ import annotations

import glob
import os
import shutil
import site
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

SandboxKind = Literal["bwrap", "none"]
#: Where the child script appears inside the sandbox.
CHILD_PATH = "/run/validator/child.py"
CHILD_SOURCE = Path(__file__).with_name("child.py")
#: The validator's reference loader (`bench.reference`), beside the child script in the sandbox.
REFERENCE_PATH = "/run/validator/reference.py"
REFERENCE_SOURCE = Path(__file__).with_name("reference.py")
#: The child's private scratch inside the sandbox: a size-capped tmpfs of its own, not the host's /tmp.
SANDBOX_TMP = "/tmp"  # noqa: S108
#: Uid and gid of the team's code inside the sandbox ("nobody").
NOBODY = "65534"
#: System folders mirrored read-only (or as the symlinks they are on this host).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/sys")
#: Variables passed to the child when the judge has them; nothing else reaches it by name.
ALLOWED_ENV = (
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "CUDA_VISIBLE_DEVICES",
    "CUDA_DEVICE_ORDER",
    "NVIDIA_VISIBLE_DEVICES",
    "NVIDIA_DRIVER_CAPABILITIES",
)
#: Where the run's hub repositories appear inside the sandbox (see `bench.hub`), read-only.
SANDBOX_HUB_CACHE = "/run/validator/hub"
#: The hub token's names: the judge's download uses it, no child ever gets it.
HUB_TOKEN_NAMES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN")
#: Set in the child: nothing is ever fetched from a model hub; no bytecode is written.
FIXED_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "PYTHONNOUSERSITE": "1",
}


class CannotMakeSandbox(Exception):
    """The course requires the sandbox (`[bench] sandbox = "bwrap"`) and this machine cannot make one."""


@dataclass(frozen=True)
class Sandbox:
    """How children are started on this machine."""

    kind: SandboxKind
    #: `bwrap`, or `sudo -n bwrap` where only root may create the namespaces.
    prefix: tuple[str, ...] = ()
    #: Why there is no sandbox (for the report), when there is none.
    reason: str | None = None
    #: bwrap runs as root (directly or through sudo): it must drop every capability itself.
    privileged: bool = False

    @property
    def protected(self) -> bool:
        return self.kind != "none"


def child_environment(
    source: Mapping[str, str] | None = None,
    *,
    extra_names: Iterable[str] = (),
    home: str = SANDBOX_TMP,
    threads: int = 1,
    hub_cache: str | None = None,
) -> dict[str, str]:
    """The child's whole environment: fixed values plus allow-listed names of `source`.

    A secret reaches the child by no name, whatever it is called: only the names listed here (and
    those the course adds with `[bench] pass_env`) are copied; the hub token never, even when listed
    (the judge's download uses it, `bench.hub`). `hub_cache`: where the run's hub repositories are.
    """
    source = os.environ if source is None else source
    names = [n for n in (*ALLOWED_ENV, *extra_names) if n.upper() not in HUB_TOKEN_NAMES]
    env = {name: source[name] for name in names if name in source}
    python_bin = os.path.dirname(sys.executable)
    env.update(FIXED_ENV)
    env.update(
        {
            "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "TMPDIR": home,
            "OMP_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads),
        }
    )
    if hub_cache is not None:
        # huggingface_hub reads HF_HUB_CACHE (older releases HUGGINGFACE_HUB_CACHE); offline is fixed above
        env["HF_HUB_CACHE"] = env["HUGGINGFACE_HUB_CACHE"] = hub_cache
    env.setdefault("LANG", "C.UTF-8")
    return env


def _python_paths() -> list[str]:
    """Folders the child's interpreter needs: the installation, the venv, their site-packages."""
    found = [sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix]
    found += site.getsitepackages()
    found.append(os.path.dirname(os.path.realpath(sys.executable)))
    unique: list[str] = []
    for path in sorted({os.path.realpath(p) for p in found if p and os.path.isdir(p)}):
        if not any(path == u or path.startswith(u.rstrip("/") + "/") for u in unique):
            unique.append(path)
    return unique


def _mirror(path: str) -> list[str]:
    """Arguments that show a host path read-only, as a symlink where it is one."""
    if os.path.islink(path):
        return ["--symlink", os.readlink(path), path]
    if os.path.isdir(path):
        return ["--ro-bind", path, path]
    return []


def bwrap_arguments(
    *,
    folder: Path,
    hidden: Sequence[Path] = (),
    env: Mapping[str, str],
    scratch_mb: int,
    device: str = "cpu",
    privileged: bool,
    hub_folders: Sequence[Path] = (),
) -> list[str]:
    """bwrap's options for one run (everything before `--`).

    `hub_folders`: the cache folders of the run's hub repositories, shown read-only under
    `SANDBOX_HUB_CACHE` (their snapshots link into their own `blobs/`, so each folder is whole).
    """
    args = [
        "--unshare-all",  # network, pid, ipc, uts, cgroup (and user where unprivileged)
        "--unshare-user",
        "--disable-userns",
        "--uid",
        NOBODY,
        "--gid",
        NOBODY,
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
    ]
    if privileged:
        args += ["--cap-drop", "ALL"]
    for path in SYSTEM_PATHS:
        args += _mirror(path)
    args += ["--proc", "/proc", "--dev", "/dev"]
    size = str(scratch_mb * 1024 * 1024)
    args += ["--size", size, "--tmpfs", SANDBOX_TMP, "--size", size, "--tmpfs", "/dev/shm"]  # noqa: S108
    # After the private /tmp, so an interpreter or venv that lives under the host's /tmp (a CI clone)
    # is bound on top of it instead of being hidden by it.
    for path in _python_paths():
        if not any(path == s or path.startswith(s + "/") for s in SYSTEM_PATHS if os.path.isdir(s)):
            args += ["--ro-bind", path, path]
    if device == "cuda":
        for node in sorted(glob.glob("/dev/nvidia*")):
            args += ["--dev-bind", node, node]
    args += ["--ro-bind", str(CHILD_SOURCE), CHILD_PATH]
    args += ["--ro-bind", str(REFERENCE_SOURCE), REFERENCE_PATH]
    args += ["--ro-bind", str(folder), str(folder)]
    if hub_folders:
        # A folder of the sandbox's own root, made read-only too: the child adds nothing beside them.
        args += ["--perms", "0555", "--dir", SANDBOX_HUB_CACHE]
    for repo in hub_folders:
        args += ["--ro-bind", str(repo), f"{SANDBOX_HUB_CACHE}/{repo.name}"]
    for data in hidden:
        # The run's data: inputs reach the child one call at a time, references never.
        if data.is_file():
            args += ["--ro-bind", "/dev/null", str(data)]
    args += ["--chdir", str(folder), "--clearenv"]
    for name, value in sorted(env.items()):
        args += ["--setenv", name, value]
    return args


def _probe(prefix: Sequence[str], privileged: bool) -> str | None:
    """None when `prefix` makes a sandbox on this machine, else what went wrong."""
    args = bwrap_arguments(folder=CHILD_SOURCE.parent, env={}, scratch_mb=1, privileged=privileged)
    try:
        done = subprocess.run(
            [*prefix, *args, "--", sys.executable, "-c", "pass"],
            capture_output=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exit code {done.returncode}"
    return None


def find_sandbox(mode: str = "auto") -> Sandbox:
    """The sandbox this machine can make for the course's `[bench] sandbox` setting.

    "auto": bubblewrap where it works, else none (the runs are marked unprotected); "bwrap": raises
    `CannotMakeSandbox` where it does not; "none": never.
    """
    if mode == "none":
        return Sandbox(
            "none", reason='the course\'s settings turn the sandbox off ([bench] sandbox = "none")'
        )
    found = _sandbox_with(shutil.which("bwrap"))
    if mode == "bwrap" and not found.protected:
        raise CannotMakeSandbox(found.reason or "no sandbox")
    return found


@cache
def _sandbox_with(tool: str | None) -> Sandbox:
    """Probed once per process (two short process starts), keyed by where `bwrap` was found."""
    if not sys.platform.startswith("linux"):
        return Sandbox("none", reason="the sandbox needs Linux namespaces")
    if tool is None:
        return Sandbox("none", reason="bubblewrap (`bwrap`) is not installed")
    root = os.geteuid() == 0
    problem = _probe((tool,), privileged=root)
    if problem is None:
        return Sandbox("bwrap", (tool,), privileged=root)
    sudo = shutil.which("sudo")
    if sudo is not None and not root and _probe((sudo, "-n", tool), privileged=True) is None:
        # GitHub-hosted Ubuntu refuses unprivileged user namespaces; its runner has passwordless sudo.
        return Sandbox("bwrap", (sudo, "-n", tool), privileged=True)
    return Sandbox("none", reason=f"bubblewrap cannot make a sandbox here: {problem}")


def child_command(
    sandbox: Sandbox,
    *,
    folder: Path,
    hidden: Sequence[Path],
    env: Mapping[str, str],
    scratch_mb: int,
    device: str,
    hub_folders: Sequence[Path] = (),
) -> list[str]:
    """The command line that starts the harness's child for one run (its environment included)."""
    # -P: nothing is put before the standard library on sys.path; -B: no bytecode written anywhere.
    python = [sys.executable, "-P", "-B", "-u"]
    if sandbox.kind == "none":
        return [*python, str(CHILD_SOURCE)]
    options = bwrap_arguments(
        folder=folder,
        hidden=hidden,
        env=env,
        scratch_mb=scratch_mb,
        device=device,
        privileged=sandbox.privileged,
        hub_folders=hub_folders,
    )
    return [*sandbox.prefix, *options, "--", *python, CHILD_PATH]
