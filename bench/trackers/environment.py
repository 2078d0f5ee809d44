"""Environment: the hardware and software a run happened on.

Versions are read from package metadata, so torch and transformers are never imported here.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata

import psutil  # type: ignore[import-untyped]

from bench.budget import memory_cap_mb
from bench.trackers.memory import load_pynvml
from validator.model import Environment
from validator.units import mb


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def resolve_threads(configured: int) -> int:
    """The torch intra-op thread count a run gets: the configured one, or every core the process may use."""
    if configured > 0:
        return configured
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def collect_environment(device: str, threads: int = 0, memory_limit_mb: int | None = None) -> Environment:
    """CPU, cores, RAM, OS, Python, torch/transformers versions, threads, the GPU on CUDA, and the
    runs' memory cap (`memory_limit_mb`: the configured one, 0 for automatic, None to leave it out)."""
    gpu: dict[str, object] = {}
    if device == "cuda":
        nvml = load_pynvml()
        if nvml is not None:
            try:
                handle = nvml.nvmlDeviceGetHandleByIndex(0)
                gpu = {
                    "gpu": _text(nvml.nvmlDeviceGetName(handle)),
                    "gpu_driver": _text(nvml.nvmlSystemGetDriverVersion()),
                    "gpu_memory_mb": round(mb(nvml.nvmlDeviceGetMemoryInfo(handle).total), 1),
                }
            except Exception:
                gpu = {}
    return Environment(
        cpu=_cpu_model(),
        cores=psutil.cpu_count(logical=True),
        ram_mb=round(mb(psutil.virtual_memory().total), 1),
        os=platform.platform(),
        python=platform.python_version(),
        torch=_version("torch"),
        transformers=_version("transformers"),
        threads=resolve_threads(threads),
        memory_limit_mb=memory_cap_mb(memory_limit_mb) if memory_limit_mb is not None else None,
        **gpu,
    )
