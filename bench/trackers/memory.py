"""Memory: peak RSS of the child's whole process tree, and peak VRAM of its processes.

Sampled from the parent, outside the measured process (the child cannot hide its memory, and a
sampler thread inside it would compete with the timed code). pynvml is imported only when present.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import psutil  # type: ignore[import-untyped]


@dataclass
class TreeMemory:
    """Peak resident memory of a process, its descendants and orphans handed to us (the subreaper).

    `known` keeps every process ever found in the tree, so a descendant that escaped to another
    session is still known when the run ends and everything is killed.
    """

    root: int
    #: Our own children before the run started: never counted, never killed.
    foreign: set[int] = field(default_factory=set)
    peak_bytes: int = 0
    last_bytes: int = 0
    #: The process objects, not bare pids: psutil checks their creation time before signalling, so a
    #: recycled pid never gets an unrelated process killed.
    known: dict[int, psutil.Process] = field(default_factory=dict)

    @property
    def seen(self) -> set[int]:
        return set(self.known)

    def processes(self) -> list[psutil.Process]:
        found: dict[int, psutil.Process] = {}
        try:
            root = psutil.Process(self.root)
            found[root.pid] = root
            for child in root.children(recursive=True):
                found[child.pid] = child
        except psutil.Error:
            pass
        # Orphans of the tree are re-parented to us (PR_SET_CHILD_SUBREAPER), outside the root's tree.
        try:
            for child in psutil.Process(os.getpid()).children(recursive=True):
                if child.pid not in self.foreign and child.pid not in found:
                    found[child.pid] = child
        except psutil.Error:
            pass
        for pid, process in list(self.known.items()):
            if pid not in found:
                if process.is_running():
                    found[pid] = process
                else:
                    del self.known[pid]
        for pid, process in found.items():
            self.known.setdefault(pid, process)
        return [self.known[pid] for pid in found]

    def sample(self) -> int:
        total = 0
        for process in self.processes():
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue
        self.last_bytes = total
        self.peak_bytes = max(self.peak_bytes, total)
        return total


def load_pynvml() -> ModuleType | None:
    """pynvml (from nvidia-ml-py) when installed and a driver answers, else None."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:
        return None
    module: ModuleType = pynvml
    return module


@dataclass
class GpuMemory:
    """Peak GPU memory used by a set of processes, as the driver reports it (includes the CUDA context)."""

    nvml: Any
    peak_bytes: int = 0

    def sample(self, pids: Iterable[int]) -> int:
        wanted = set(pids)
        total = 0
        try:
            count = self.nvml.nvmlDeviceGetCount()
            for index in range(count):
                handle = self.nvml.nvmlDeviceGetHandleByIndex(index)
                for proc in self.nvml.nvmlDeviceGetComputeRunningProcesses(handle):
                    if proc.pid in wanted and proc.usedGpuMemory:
                        total += int(proc.usedGpuMemory)
        except Exception:
            return 0
        self.peak_bytes = max(self.peak_bytes, total)
        return total
