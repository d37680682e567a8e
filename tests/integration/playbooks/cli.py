"""The playbooks command, run as a user runs it, against the test's services."""

import subprocess
import sys
from pathlib import Path

from conveyor.devkit.playbooks_http import Endpoints


def playbooks(
    command: str, name: str, services: Endpoints, keys_dir: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m conveyor.devkit.playbooks <command> <name> ...``."""
    args = [sys.executable, "-m", "conveyor.devkit.playbooks", command, name]
    for service in ("intake", "router", "followup"):
        args += [f"--{service}", getattr(services, service)]
        args += [f"--{service}-token", getattr(services, f"{service}_token")]
    args += ["--keys-dir", str(keys_dir), *extra]
    return subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
