"""Files: which declared weights the run opened, watched from outside the child; large undeclared files.

The parent puts an inotify watch (`IN_OPEN`) on every declared weights file, and on every folder of a
declared weights folder, before the child starts. The kernel reports each open of those inodes
whatever path or bind mount it came through, so the child can neither hide that it never opened its
declared weights nor claim it did: what it cannot do is make the parent's watch see an open it did not
make. Only opens are watched (not reads): a read-by-read stream would overflow the kernel's queue.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

IN_OPEN = 0x00000020
IN_Q_OVERFLOW = 0x00004000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")


@dataclass
class OpenedFiles:
    """Opens of the watched files, read without blocking; `unknown` when the kernel could not tell."""

    fd: int | None = None
    watches: dict[int, Path] = field(default_factory=dict)
    opened: set[Path] = field(default_factory=set)
    overflow: bool = False

    @classmethod
    def watch(cls, paths: list[Path]) -> OpenedFiles:
        found = cls()
        if not paths or not sys.platform.startswith("linux"):
            return found
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        except (OSError, AttributeError):
            return found
        if fd < 0:
            return found
        found.fd = fd
        for path in paths:
            targets = [path] if path.is_file() else [path, *(p for p in path.rglob("*") if p.is_dir())]
            for target in targets:
                wd = libc.inotify_add_watch(fd, os.fsencode(target), IN_OPEN)
                if wd >= 0:
                    found.watches[wd] = target
        return found

    @property
    def available(self) -> bool:
        return bool(self.watches)

    def drain(self) -> None:
        """Read every queued event (called on each tick of the run and once at its end)."""
        if self.fd is None:
            return
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                return
            offset = 0
            while offset + _EVENT.size <= len(data):
                wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                name = data[offset + _EVENT.size : offset + _EVENT.size + length].rstrip(b"\0")
                offset += _EVENT.size + length
                if mask & IN_Q_OVERFLOW:
                    self.overflow = True
                elif mask & IN_OPEN and wd in self.watches:
                    base = self.watches[wd]
                    self.opened.add(base / os.fsdecode(name) if name else base)

    def close(self) -> None:
        if self.fd is not None:
            self.drain()
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


def large_files(folder: Path, limit_bytes: int, known: list[Path]) -> list[str]:
    """Files of the team's folder over `limit_bytes` that the manifest does not declare, largest first."""
    root = folder.resolve()
    found: list[tuple[int, str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            path = Path(dirpath, name)
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                size = path.stat().st_size
            except OSError:
                continue
            if size <= limit_bytes:
                continue
            if any(path == k or path.is_relative_to(k) for k in known):
                continue
            found.append((size, path.relative_to(root).as_posix()))
    return [name for _, name in sorted(found, key=lambda item: (-item[0], item[1]))]
