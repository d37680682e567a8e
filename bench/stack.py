"""The real stack for the end-to-end scenarios: Kafka, PostgreSQL, the services as
processes and a rep-app stub that records when each webhook arrives."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from conveyor.devkit.kafka import KafkaBroker
from conveyor.devkit.local import free_port
from conveyor.devkit.postgres import DatabaseServer
from conveyor.devkit.processes import ServiceProcess, inbox, service
from conveyor.devkit.run import LOCAL_WEBHOOKS

ADMIN = uuid.uuid4().hex
HUNTERS = ("hunter-1", "hunter-2", "hunter-3", "hunter-4")
SERVICES = ("intake", "router", "followup")


@dataclass
class Stack:
    """URLs of the running parts, and the source key leads are posted with."""

    kafka: str
    procs: dict[str, ServiceProcess]
    workdir: Path
    source_key: str = ""
    database_urls: dict[str, str] = field(default_factory=dict)
    kafka_pid: int | None = None
    postgres_pid: int | None = None  # the postmaster, when the run started the server

    def url(self, name: str) -> str:
        """Where a part serves HTTP."""
        return self.procs[name].url

    def received(self, after: int = 0) -> list[dict[str, Any]]:
        """The webhooks the rep-app stub has recorded, skipping the first ``after``."""
        url = f"{self.url('inbox')}/received"
        got: list[dict[str, Any]] = httpx.get(url, params={"after": after}, timeout=60).json()
        return got


@contextmanager
def running_stack(
    server: DatabaseServer, workdir: Path, services: tuple[str, ...] = SERVICES
) -> Iterator[Stack]:
    """Start Kafka, the services on fresh databases, and the rep-app stub."""
    with ExitStack() as stack:
        broker = stack.enter_context(KafkaBroker.start(workdir=workdir / "kafka"))
        env, urls = {"CONVEYOR_INTAKE_ADMIN_TOKEN": ADMIN, **LOCAL_WEBHOOKS}, {}
        for name in services:
            urls[name] = server.create_database(f"bench_{name}_{uuid.uuid4().hex[:6]}")
            env[f"CONVEYOR_{name.upper()}_DATABASE_URL"] = urls[name]
            env[f"CONVEYOR_{name.upper()}_BUS_URL"] = f"kafka://{broker.bootstrap_servers}"
        procs = {"inbox": inbox(port=free_port(), log_dir=workdir)}
        procs |= {n: service(n, port=free_port(), env=env, log_dir=workdir) for n in services}
        for proc in procs.values():
            stack.enter_context(proc.start())
        for proc in procs.values():
            proc.wait_ready("/received" if proc.name == "inbox" else "/readyz")
        result = Stack(
            broker.bootstrap_servers,
            procs,
            workdir,
            database_urls=urls,
            kafka_pid=broker.process.pid,
            postgres_pid=_postmaster(server),
        )
        _prepare(result)
        yield result


def _prepare(stack: Stack) -> None:
    """A source with no practical rate limit and hunters whose app is the stub (which
    verifies each webhook's signature with the rep's secret)."""
    if "router" in stack.procs:
        for rep in HUNTERS:
            made = httpx.post(
                f"{stack.url('router')}/v1/reps",
                timeout=10,
                json={
                    "rep_id": rep,
                    "name": rep,
                    "role": "hunter",
                    "webhook_url": f"{stack.url('inbox')}/hooks/{rep}",
                },
            )
            made.raise_for_status()
            secret = {"secret": made.json()["webhook_secret"]}  # the stub verifies signatures
            httpx.put(
                f"{stack.url('inbox')}/reps/{rep}", json=secret, timeout=10
            ).raise_for_status()
    response = httpx.post(
        f"{stack.url('intake')}/v1/sources",
        headers={"Authorization": f"Bearer {ADMIN}"},
        json={
            "source_id": "bench-site",
            "name": "Bench site",
            "channel": "web_form",
            "rate_limit_per_minute": 1_000_000,
        },
        timeout=10,
    )
    if response.status_code != 201:
        raise RuntimeError(f"registering the bench source: {response.status_code} {response.text}")
    stack.source_key = str(response.json()["api_key"])


def peak_rss_mib(proc: ServiceProcess) -> float:
    """The process's peak resident set size so far (VmHWM), in MiB."""
    assert proc.process is not None
    for line in Path(f"/proc/{proc.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU time (user and system) used so far by each part that shares the machine: the
    services and the rep-app stub, Kafka's broker, PostgreSQL's backends by the service whose
    database they serve (the rest, exited children included, as "PostgreSQL: other"), and
    this process, the load generator. PostgreSQL is left out when the run did not start it."""
    used = {
        name: _cpu(_stat(proc.process.pid))[0] for name, proc in stack.procs.items() if proc.process
    }
    used["load generator"] = sum(os.times()[:2])
    if stack.kafka_pid is not None:
        used["Kafka"] = _cpu(_stat(stack.kafka_pid))[0]
    if stack.postgres_pid is not None:
        used |= _postgres_cpu(stack.postgres_pid, stack.database_urls)
    return used


def _postgres_cpu(postmaster: int, database_urls: dict[str, str]) -> dict[str, float]:
    """The server's processes by database (from their titles), the postmaster and the
    children it has reaped as "other"."""
    own, reaped = _cpu(_stat(postmaster))
    by_database = {url.rsplit("/", 1)[1]: name for name, url in database_urls.items()}
    used = {f"PostgreSQL: {name}": 0.0 for name in database_urls} | {
        "PostgreSQL: other": own + reaped
    }
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        try:
            if int(fields[1]) != postmaster:  # its parent
                continue
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        # a backend's title: "postgres: <user> <database> <host>(<port>) <state>"
        service = by_database.get(title[2]) if len(title) > 2 else None
        key = f"PostgreSQL: {service}" if service else "PostgreSQL: other"
        used[key] += _cpu(fields)[0]
    return used


def _stat(pid: int) -> list[str]:
    """The fields of a process's /proc stat after its name (none if it is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _cpu(fields: list[str]) -> tuple[float, float]:
    """CPU seconds so far from a process's stat fields, and its reaped children's (0, 0
    for a process that is gone)."""
    if not fields:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def _postmaster(server: DatabaseServer) -> int | None:
    """The postmaster's pid when the server is one this run started (else None)."""
    datadir = getattr(server, "datadir", None)
    try:
        return int((Path(datadir) / "postmaster.pid").read_text().split()[0]) if datadir else None
    except (OSError, ValueError):
        return None
