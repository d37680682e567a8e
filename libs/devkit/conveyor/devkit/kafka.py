"""A real single-node Apache Kafka broker (KRaft mode) run from jars fetched from Maven Central.

Usage: ``KafkaBroker.start()`` in code, or ``python -m conveyor.devkit.kafka serve`` by hand
(prints ``KAFKA_BOOTSTRAP=127.0.0.1:PORT``); ``python -m conveyor.devkit.kafka fetch`` only
fills the jar cache (``~/.cache/conveyor/kafka-<version>/libs``).
"""

from __future__ import annotations

import argparse
import atexit
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from conveyor.devkit.kafka_jars import KAFKA_VERSION, MAVEN_GOAL, cache_dir, ensure_kafka_jars
from conveyor.devkit.kafka_kraft import JVM_OPTIONS, find_java, format_storage, launch, write_config
from conveyor.devkit.local import (
    HOST,
    LocalServer,
    free_port,
    free_port_other_than,
    make_workdir,
    run_command,
    run_sync,
    serve_until_signal,
    stop_on_failure,
    tail,
    wait_for_signal,
)

__all__ = [
    "HOST",
    "JVM_OPTIONS",
    "KAFKA_VERSION",
    "MAVEN_GOAL",
    "KafkaBroker",
    "cache_dir",
    "ensure_kafka_jars",
    "free_port",
    "kafka_answers",
    "main",
    "wait_for_signal",
]


async def _describe_cluster(bootstrap_servers: str) -> dict[str, Any]:
    """Ask the broker for its cluster metadata with a short timeout."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5000)
    try:
        await admin.start()
        result: dict[str, Any] = await admin.describe_cluster()
        return result
    finally:
        await admin.close()


def kafka_answers(bootstrap_servers: str, cluster_id: str | None = None) -> bool:
    """Tell whether a metadata request names a broker, a controller and (if given) the cluster."""
    host, _, port = bootstrap_servers.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        cluster = run_sync(lambda: _describe_cluster(bootstrap_servers))
    except Exception:  # any failure means "not ready yet"
        return False
    if cluster_id is not None and cluster.get("cluster_id") != cluster_id:
        return False
    return bool(cluster.get("brokers")) and cluster.get("controller_id", -1) >= 0


class KafkaBroker(LocalServer):
    """A running single-node KRaft broker; ``stop()`` it or use it as a context manager."""

    def __init__(
        self, workdir: Path, port: int, cluster_id: str, process: subprocess.Popen[bytes]
    ) -> None:
        """Wrap an already started broker process (use ``KafkaBroker.start``)."""
        self.workdir = workdir
        self.port = port
        self.cluster_id = cluster_id
        self.bootstrap_servers = f"{HOST}:{port}"
        self.process = process
        self._owns_workdir = False

    @classmethod
    def start(
        cls,
        *,
        workdir: Path | None = None,
        port: int | None = None,
        version: str = KAFKA_VERSION,
        timeout: float = 90.0,
    ) -> KafkaBroker:
        """Start a broker in ``workdir`` (a fresh temp dir if None) and wait until it answers."""
        libs = ensure_kafka_jars(version)
        java = find_java()
        workdir, owns_workdir = make_workdir(workdir, prefix="conveyor-kafka-")
        port = free_port() if port is None else port
        config = write_config(workdir, port, free_port_other_than(port))
        cluster_id = format_storage(java, libs=libs, workdir=workdir, config=config)
        process = launch(java, libs=libs, workdir=workdir, config=config)
        broker = cls(workdir, port, cluster_id, process)
        broker._owns_workdir = owns_workdir
        with stop_on_failure(broker.stop):
            broker._wait_until_ready(timeout)
        return broker

    @property
    def log_file(self) -> Path:
        """Return the broker's log4j log file."""
        return self.workdir / "logs" / "server.log"

    @property
    def running(self) -> bool:
        """Tell whether the broker process is still alive."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the broker's log and of its stdout/stderr."""
        return (
            f"{self.log_file}:\n{tail(self.log_file, lines)}"
            f"{self.workdir / 'kafka.out'}:\n{tail(self.workdir / 'kafka.out', lines)}"
        )

    def _wait_until_ready(self, timeout: float) -> None:
        """Poll until a metadata request succeeds; raise with the log tail if it dies or hangs."""
        deadline = time.monotonic() + timeout
        while not kafka_answers(self.bootstrap_servers, self.cluster_id):
            if not self.running:
                raise RuntimeError(
                    f"Kafka broker exited with code {self.process.returncode} during startup\n"
                    f"{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Kafka broker did not answer on {self.bootstrap_servers} within "
                    f"{timeout:.0f}s\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the broker: SIGTERM, then SIGKILL if it is still running after ``timeout``."""
        atexit.unregister(self.stop)
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _serve(args: argparse.Namespace) -> int:
    """Run a broker until SIGINT/SIGTERM, printing its bootstrap address."""
    broker = KafkaBroker.start(workdir=args.workdir, port=args.port, version=args.version)
    return serve_until_signal(
        broker,
        announce=f"KAFKA_BOOTSTRAP={broker.bootstrap_servers}",
        alive=lambda: broker.running,
        obituary=lambda: f"Kafka broker died:\n{broker.log_tail()}",
    )


def _fetch(args: argparse.Namespace) -> int:
    """Fill the jar cache and print its location."""
    print(ensure_kafka_jars(args.version))
    return 0


def _parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    parser = argparse.ArgumentParser(prog="python -m conveyor.devkit.kafka", description=__doc__)
    parser.add_argument("--version", default=KAFKA_VERSION, help="Kafka version (3.x)")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run a broker until interrupted")
    serve.add_argument("--port", type=int, default=None, help="broker port (default: a free one)")
    serve.add_argument("--workdir", type=Path, default=None, help="data dir (default: temp)")
    serve.set_defaults(handler=_serve)
    fetch = commands.add_parser("fetch", help="download the broker jars into the cache")
    fetch.set_defaults(handler=_fetch)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``serve`` or ``fetch`` command."""
    return run_command(_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
