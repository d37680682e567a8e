"""Intake, router and followup as real processes on SQLite and the embedded transport,
with admin tokens, shared by the playbook tests of a module."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conveyor.devkit.playbooks_http import Endpoints
from conveyor.devkit.processes import service
from tests.support import free_port

SERVICES = ("intake", "router", "followup")


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    """The three services, started and ready; their URLs and admin tokens."""
    data = tmp_path_factory.mktemp("playbooks")
    tokens = {name: uuid.uuid4().hex for name in SERVICES}
    env = {f"CONVEYOR_{n.upper()}_ADMIN_TOKEN": tokens[n] for n in SERVICES}
    for name in SERVICES:
        env[f"CONVEYOR_{name.upper()}_DATABASE_URL"] = f"sqlite+aiosqlite:///{data}/{name}.db"
        env[f"CONVEYOR_{name.upper()}_BUS_URL"] = f"sqlite+aiosqlite:///{data}/bus.db"
    procs = {n: service(n, port=free_port(), env=env, log_dir=data / "logs") for n in SERVICES}
    try:
        for proc in procs.values():
            proc.start()
        for proc in procs.values():
            proc.wait_ready()
        yield Endpoints(
            intake=procs["intake"].url,
            router=procs["router"].url,
            followup=procs["followup"].url,
            intake_token=tokens["intake"],
            router_token=tokens["router"],
            followup_token=tokens["followup"],
        )
    finally:
        for proc in procs.values():
            proc.stop()


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where loads save the sources' keys, shared by the module's loads."""
    return tmp_path_factory.mktemp("keys")
