"""PostgreSQL's server programs (initdb, pg_ctl): where they are installed, and running them.

initdb refuses to run as root, so as root every tool runs as the ``postgres`` system user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SUPERUSER = "postgres"


def find_bindir() -> Path:
    """Return the directory of initdb/pg_ctl: newest /usr/lib/postgresql/<v>/bin, else PATH."""
    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").is_file()]
    numbered = [p for p in candidates if p.parent.name.isdigit()]
    if numbered:
        return max(numbered, key=lambda p: int(p.parent.name))
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL server not found: run scripts/install.sh --test-deps")
    return Path(initdb).resolve().parent


def as_root() -> bool:
    """Tell whether this process runs as root, so the server must run as ``postgres``."""
    return os.geteuid() == 0


def run_tool(command: list[str], workdir: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool, as the ``postgres`` user when we are root."""
    if as_root():
        command = ["runuser", "-u", SUPERUSER, "--", *command]
    return subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=timeout, check=False
    )
