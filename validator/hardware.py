"""The built-in table of GPUs and their memory bandwidth, for the throughput roofline of `validator diff`.

Decoding one token reads every weight once, so tokens/s × weight bytes cannot exceed the memory
bandwidth. Bandwidths are the vendors' published figures in GB/s (10⁹ bytes/s). Where a name covers
several variants (A100 40 GB / 80 GB, H100 PCIe / SXM) the faster one is listed: the rule must never
refuse a number the hardware could reach.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

#: Bandwidth is published in GB/s of 10⁹ bytes (not the 1024² MB of sizes in `validator.units`).
BYTES_PER_GB = 10**9


@dataclass(frozen=True)
class Gpu:
    name: str
    bandwidth_gbs: float


# (pattern over the folded note, display name, GB/s); the first match wins, so specific before general.
_TABLE: tuple[tuple[str, str, float], ...] = (
    (r"\bh200\b", "H200", 4800),
    (r"\bh100\b.*\bpcie\b", "H100 PCIe", 2000),
    (r"\bh100\b", "H100", 3350),
    (r"\ba100\b", "A100", 2039),
    (r"\bl40s?\b", "L40S", 864),
    (r"\bl4\b", "L4", 300),
    (r"\ba10g?\b", "A10G", 600),
    (r"\bv100\b", "V100", 900),
    (r"\bp100\b", "P100", 732),
    (r"\bt4\b", "T4", 320),
    (r"\bp4\b", "P4", 192),
    (r"\bk80\b", "K80", 240),
    (r"\b(?:rtx\s*)?4090\b", "RTX 4090", 1008),
    (r"\b(?:rtx\s*)?4080\b", "RTX 4080", 736),
    (r"\b(?:rtx\s*)?4070\s*ti\s*super\b", "RTX 4070 Ti Super", 672),
    (r"\b(?:rtx\s*)?4070\b", "RTX 4070", 504),
    (r"\b(?:rtx\s*)?4060\b", "RTX 4060", 288),
    (r"\b(?:rtx\s*)?3090\b", "RTX 3090", 1008),
    (r"\b(?:rtx\s*)?3080\b", "RTX 3080", 912),
    (r"\b(?:rtx\s*)?3070\s*ti\b", "RTX 3070 Ti", 608),
    (r"\b(?:rtx\s*)?3070\b", "RTX 3070", 448),
    (r"\b(?:rtx\s*)?3060\s*ti\b", "RTX 3060 Ti", 448),
    (r"\b(?:rtx\s*)?3060\b", "RTX 3060", 360),
    (r"\b(?:rtx\s*)?3050\b", "RTX 3050", 224),
    (r"\b(?:rtx\s*)?2080\b", "RTX 2080 Ti", 616),
    (r"\b(?:rtx\s*)?2070\b", "RTX 2070", 448),
    (r"\b(?:rtx\s*)?2060\b", "RTX 2060", 336),
    (r"\b(?:gtx\s*)?1080\b", "GTX 1080 Ti", 484),
    (r"\b(?:gtx\s*)?1660\b", "GTX 1660 Ti", 288),
)
GPUS: tuple[tuple[re.Pattern[str], Gpu], ...] = tuple(
    (re.compile(pattern), Gpu(name, float(gbs))) for pattern, name, gbs in _TABLE
)


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("-", " ").replace("_", " ").split())


def find_gpu(text: str | None, extra: Mapping[str, float] | None = None) -> Gpu | None:
    """The GPU a note names (`Tesla T4`, `A100 80GB`, `rtx4090`); `extra` (name -> GB/s) is tried first."""
    if not text:
        return None
    folded = _fold(text)
    for name, gbs in (extra or {}).items():
        if re.search(rf"(?<!\w){re.escape(_fold(name))}(?!\w)", folded):
            return Gpu(name, float(gbs))
    for pattern, gpu in GPUS:
        if pattern.search(folded):
            return gpu
    return None


# --- Which hardware a claim was measured on, and whether a run's hardware is the same ---------------

#: CPU models a note may name (folded text): Intel Core, Core Ultra, Ryzen, EPYC, Threadripper, Xeon
#: model numbers and Apple silicon. A note that only says "CPU" names none.
_CPU_MODELS = tuple(
    re.compile(pattern)
    for pattern in (
        r"\bi[3579] ?\d{4,5}[a-z]{0,2}\b",
        r"\bultra [579] ?\d{3}[a-z]?\b",
        r"\bryzen (?:ai )?[3579] (?:pro )?\d{3,4}[a-z]{0,2}\b",
        r"\bthreadripper (?:pro )?\d{4}[a-z]{0,2}\b",
        r"\bepyc \d[a-z0-9]{3,5}\b",
        r"\bxeon\b.*?\b(?:[a-z]\d? ?)?\d{4}[a-z]?(?: v\d)?\b",
        r"\b(?:apple|macbook(?: pro| air)?) m[1-4](?: (?:pro|max|ultra))?\b",
    )
)


def find_cpu(text: str | None) -> str | None:
    """The CPU model a note names (`i7-12700H`, `Ryzen 7 5800X`, `Apple M2`), folded; None if none."""
    if not text:
        return None
    folded = _fold(text).replace("(r)", " ").replace("(tm)", " ")
    folded = " ".join(folded.split())
    for pattern in _CPU_MODELS:
        found = pattern.search(folded)
        if found:
            return found.group(0)
    return None


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _fold(text).replace("(r)", "").replace("(tm)", ""))


def same_cpu(stated: str, machine: str | None) -> bool:
    """Whether a stated CPU (a note, or the course's reference) is the machine's CPU model."""
    if not machine:
        return False
    model = find_cpu(stated)
    if model is None:
        return _squash(stated) != "" and _squash(stated) == _squash(machine)
    key = re.sub(r"^(?:apple|macbook(?: pro| air)?|xeon\b.*?) (?=[a-z]?\d)", "", model)
    return _squash(key) in _squash(machine)


def same_gpu(stated: str, machine: str | None, extra: Mapping[str, float] | None = None) -> bool:
    """Whether a stated GPU (a note, or the course's reference) is the machine's GPU."""
    if not machine:
        return False
    named, present = find_gpu(stated, extra), find_gpu(machine, extra)
    if named is None or present is None:
        return _squash(stated) != "" and _squash(stated) in _squash(machine)
    return named.name == present.name
