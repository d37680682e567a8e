"""The deployment checkers the tests run: docker-compose and kustomize, found or failed for."""

from __future__ import annotations

import copy
import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("off-season", "peak-season")
INSTALL_HINT = "run `bash scripts/install.sh --test-deps` (make test does)"


def tool(name: str) -> str:
    """The path of a checker: the project's .venv/bin first, then PATH; a missing one fails."""
    beside_python = Path(sys.executable).parent / name
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"])
    found = str(beside_python) if beside_python.exists() else shutil.which(name, path=search)
    if found is None:
        raise AssertionError(f"{name} is not installed: {INSTALL_HINT}")
    return found


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run a command with a clean compose environment and return what it did."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def render(directory: Path) -> list[dict[str, Any]]:
    """The objects `kustomize build directory` renders (a fresh copy each call)."""
    return copy.deepcopy(_rendered(directory))


@functools.cache
def _rendered(directory: Path) -> list[dict[str, Any]]:
    done = run(tool("kustomize"), "build", str(directory))
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """The objects of one kind, by name."""
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def settings_fields(service: str) -> set[str]:
    """The environment variables a service's Settings class reads."""
    module = __import__(f"conveyor.{service}.config", fromlist=["Settings"])
    prefix = f"CONVEYOR_{service.upper()}_"
    return {prefix + name.upper() for name in module.Settings.model_fields}


def service_of(variable: str) -> str | None:
    """The service whose prefix a variable carries, if any."""
    match = re.match(r"CONVEYOR_(INTAKE|ROUTER|FOLLOWUP)_", variable)
    return match.group(1).lower() if match else None


def container(workload: dict[str, Any]) -> dict[str, Any]:
    """The one container of a Deployment or Job."""
    [only] = workload["spec"]["template"]["spec"]["containers"]
    return only
