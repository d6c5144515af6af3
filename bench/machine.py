"""A description of the machine a run was made on, since every figure depends on it."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path


def describe() -> dict[str, str | int | None]:
    """CPU model, cores, memory, OS and Python: what `nproc`, `free -h` and /proc/cpuinfo say."""
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        free = subprocess.run(["free", "-h"], capture_output=True, text=True, timeout=5).stdout.rstrip()
    except (OSError, subprocess.SubprocessError):
        free = None
    mem_total = None
    if free:
        for line in free.splitlines():
            if line.startswith("Mem:"):
                mem_total = line.split()[1]
    return {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory": mem_total,
        "free_h": free,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": __import__("sqlite3").sqlite_version,
    }
