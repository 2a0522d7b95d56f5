"""What a benchmark ran on: CPU model, cores, Python and library versions, printed with its figures."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
import platform

import aiocoap.meta


def machine_facts(*extra: str) -> str:
    """CPU model, cores, Python, aiocoap and the OS, then any `extra` facts (e.g. HA's version)."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    facts = [
        f"{model}, {os.cpu_count()} logical cores ({usable} usable)",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        *extra,
        f"aiocoap {aiocoap.meta.version}",
        f"{platform.system()} {platform.release()}",
    ]
    return ", ".join(facts)
