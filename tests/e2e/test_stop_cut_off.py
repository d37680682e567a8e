"""A replica cut off from its database (the server frozen: its connections stay open and
nothing answers, as in a network partition) still stops on SIGTERM within its pod's grace
period: what cannot finish is cancelled and the process exits. Real processes on their own
PostgreSQL server, and Kafka."""

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conveyor.devkit.local import free_port
from conveyor.devkit.postgres import PostgresServer
from conveyor.devkit.processes import service

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]
GRACE_SECONDS = 25  # terminationGracePeriodSeconds of every service in deploy/kubernetes


@contextmanager
def frozen(server: PostgresServer) -> Iterator[None]:
    """The server's processes stopped (SIGSTOP) in the block, resumed after it."""
    postmaster = int((server.datadir / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(
        ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
    ).stdout.split()
    pids = [postmaster, *map(int, children)]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


@pytest.mark.parametrize("name", ["intake", "router", "followup"])
def test_a_replica_whose_database_stops_answering_still_stops_on_sigterm(
    name: str, kafka_bus_url: str, tmp_path: Path
) -> None:
    server = PostgresServer.start()  # its own: this one is frozen
    try:
        prefix = f"CONVEYOR_{name.upper()}"
        env = {
            f"{prefix}_DATABASE_URL": server.create_database(f"cut_off_{uuid.uuid4().hex[:6]}"),
            f"{prefix}_BUS_URL": kafka_bus_url,
            "CONVEYOR_INTAKE_ADMIN_TOKEN": uuid.uuid4().hex,
        }
        proc = service(name, port=free_port(), env=env, log_dir=tmp_path)
        with proc.start():
            proc.wait_ready()
            assert proc.process is not None
            with frozen(server):
                proc.process.send_signal(signal.SIGTERM)
                try:
                    code = proc.process.wait(GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    pytest.fail(f"{name} still running {GRACE_SECONDS} s after SIGTERM")
        assert code in (0, -signal.SIGTERM), proc.log_tail()
        log = proc.log_path.read_text()
        assert "did not stop in time" in log or "did not finish in time" in log  # and said so
    finally:
        server.stop()
