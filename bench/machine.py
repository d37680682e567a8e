"""A description of the machine a benchmark ran on."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url


def describe() -> dict[str, Any]:
    """CPU, cores, memory, OS, Python and the time of the run."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(_memory_bytes() / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": _version(["psql", "--version"]),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


async def durability(url: str) -> dict[str, str]:
    """Whether the PostgreSQL server's commits wait for the disk (fsync, synchronous_commit)."""
    conn = await asyncpg.connect(str(make_url(url).set(drivername="postgresql")))
    try:
        return {
            f"postgresql_{name}": str(await conn.fetchval(f"SHOW {name}"))
            for name in ("fsync", "synchronous_commit")
        }
    finally:
        await conn.close()


async def checkpoint(url: str) -> bool:
    """Have the server write out every dirty page now (a CHECKPOINT), so that what one
    scenario wrote is not flushed while the next one measures; False when the server refuses
    (a role without the right to, on a server the run did not start)."""
    conn = await asyncpg.connect(str(make_url(url).set(drivername="postgresql")))
    try:
        await conn.execute("CHECKPOINT")
    except asyncpg.InsufficientPrivilegeError:
        return False
    finally:
        await conn.close()
    return True


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        text = ""
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _version(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
