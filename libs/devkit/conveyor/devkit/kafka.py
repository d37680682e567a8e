"""A real single-node Apache Kafka broker (KRaft mode) run from jars fetched from Maven Central.

Usage: ``KafkaBroker.start()`` in code, or ``python -m conveyor.devkit.kafka serve`` by hand
(prints ``KAFKA_BOOTSTRAP=127.0.0.1:PORT``); ``python -m conveyor.devkit.kafka fetch`` only
fills the jar cache (``~/.cache/conveyor/kafka-<version>/libs``).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import base64
import concurrent.futures
import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from aiokafka.admin import AIOKafkaAdminClient

KAFKA_VERSION = "3.9.1"
HOST = "127.0.0.1"
JVM_OPTIONS = ("-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError")
MAVEN_GOAL = "org.apache.maven.plugins:maven-dependency-plugin:2.8:copy-dependencies"
_MARKER = "complete.txt"
_T = TypeVar("_T")

_POM = """\
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>conveyor</groupId><artifactId>kafka-fetch</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId>
      <version>1.2.25</version></dependency>
  </dependencies>
</project>
"""

_LOG4J = """\
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File={log_file}
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
"""


def cache_dir() -> Path:
    """Return the per-user cache directory of this project (``$XDG_CACHE_HOME/conveyor``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "conveyor"


def ensure_kafka_jars(version: str = KAFKA_VERSION) -> Path:
    """Return a directory holding the broker's jars, fetching them with Maven on first use."""
    if not version.startswith("3."):
        raise ValueError(f"only Kafka 3.x is supported (its logging is reload4j), not {version}")
    home = cache_dir() / f"kafka-{version}"
    libs = home / "libs"
    home.mkdir(parents=True, exist_ok=True)
    with _file_lock(home / ".lock"):
        if not _jars_complete(home):
            _fetch_jars(version, home)
    return libs


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` so concurrent processes fetch the jars only once."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _jars_complete(home: Path) -> bool:
    """Tell whether a previous fetch finished: its marker lists jars that are all still there."""
    marker = home / _MARKER
    if not marker.is_file():
        return False
    names = marker.read_text().split()
    return bool(names) and all((home / "libs" / name).is_file() for name in names)


def _fetch_jars(version: str, home: Path) -> None:
    """Download the broker jars into ``home/libs`` with Maven, writing the marker file last."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) not found: run scripts/install.sh --test-deps")
    libs = home / "libs"
    (home / _MARKER).unlink(missing_ok=True)
    shutil.rmtree(libs, ignore_errors=True)
    (home / "pom.xml").write_text(_POM.format(version=version))
    command = [mvn, "-q", "-B", "-f", str(home / "pom.xml"), MAVEN_GOAL]
    command += ["-DincludeScope=runtime", f"-DoutputDirectory={libs}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    names = sorted(p.name for p in libs.glob("*.jar")) if libs.is_dir() else []
    if result.returncode != 0 or f"kafka_2.13-{version}.jar" not in names:
        raise RuntimeError(
            f"fetching Kafka {version} jars failed (exit {result.returncode}):\n"
            f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    (home / _MARKER).write_text("\n".join(names) + "\n")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _distinct_free_port(taken: int) -> int:
    """Return a free port different from ``taken``."""
    while (port := free_port()) == taken:
        pass
    return port


def _cluster_id() -> str:
    """Return a random KRaft cluster id in Kafka's format (URL-safe base64, 22 characters)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _server_properties(workdir: Path, port: int, controller_port: int) -> str:
    """Render server.properties for a single-node broker+controller on loopback."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{HOST}:{controller_port}",
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(workdir / "data"),
        "num.partitions": "1",
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "group.initial.rebalance.delay.ms": "0",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a log file, or a note that it is missing."""
    if not path.is_file():
        return f"({path} does not exist)\n"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "".join(f"  {line}\n" for line in text)


def _run_sync(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion from sync code, even when an event loop already runs."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, factory()).result()


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
        cluster = _run_sync(lambda: _describe_cluster(bootstrap_servers))
    except Exception:  # any failure means "not ready yet"
        return False
    if cluster_id is not None and cluster.get("cluster_id") != cluster_id:
        return False
    return bool(cluster.get("brokers")) and cluster.get("controller_id", -1) >= 0


class KafkaBroker:
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
        java = _java()
        owns_workdir = workdir is None
        workdir = Path(tempfile.mkdtemp(prefix="conveyor-kafka-")) if workdir is None else workdir
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port() if port is None else port
        config = _write_config(workdir, port, _distinct_free_port(port))
        cluster_id = _format_storage(java, libs=libs, workdir=workdir, config=config)
        process = _launch(java, libs=libs, workdir=workdir, config=config)
        broker = cls(workdir, port, cluster_id, process)
        broker._owns_workdir = owns_workdir
        atexit.register(broker.stop)  # a safety net if the caller never stops it
        try:
            broker._wait_until_ready(timeout)
        except BaseException:
            broker.stop()
            raise
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
            f"{self.log_file}:\n{_tail(self.log_file, lines)}"
            f"{self.workdir / 'kafka.out'}:\n{_tail(self.workdir / 'kafka.out', lines)}"
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

    def __enter__(self) -> Self:
        """Return the running broker."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the broker."""
        self.stop()


def _java() -> str:
    """Return the path of the java launcher, or raise with a hint how to install it."""
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java not found: run scripts/install.sh --test-deps")
    return java


def _write_config(workdir: Path, port: int, controller_port: int) -> Path:
    """Write server.properties and log4j.properties into ``workdir`` and return the former."""
    (workdir / "logs").mkdir(exist_ok=True)
    log4j = _LOG4J.format(log_file=workdir / "logs" / "server.log")
    (workdir / "log4j.properties").write_text(log4j)
    config = workdir / "server.properties"
    config.write_text(_server_properties(workdir, port, controller_port))
    return config


def _java_command(java: str, main_class: str, *, libs: Path, workdir: Path) -> list[str]:
    """Return a java command line running ``main_class`` with the broker's classpath and logging."""
    return [
        java,
        *JVM_OPTIONS,
        "-Djava.awt.headless=true",
        f"-Dlog4j.configuration=file:{workdir / 'log4j.properties'}",
        f"-Dkafka.logs.dir={workdir / 'logs'}",
        "-cp",
        f"{libs}/*",
        main_class,
    ]


def _format_storage(java: str, *, libs: Path, workdir: Path, config: Path) -> str:
    """Format the log directory unless a previous run did, and return its cluster id."""
    meta = workdir / "data" / "meta.properties"
    if not meta.is_file():
        _run_storage_tool(java, libs=libs, workdir=workdir, config=config)
    return meta.read_text().split("cluster.id=", 1)[1].split()[0]


def _run_storage_tool(java: str, *, libs: Path, workdir: Path, config: Path) -> None:
    """Run ``kafka.tools.StorageTool format`` with a fresh cluster id."""
    command = _java_command(java, "kafka.tools.StorageTool", libs=libs, workdir=workdir)
    command += ["format", "-t", _cluster_id(), "-c", str(config)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"kafka.tools.StorageTool format failed (exit {result.returncode}):\n"
            f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )


def _launch(java: str, *, libs: Path, workdir: Path, config: Path) -> subprocess.Popen[bytes]:
    """Start the broker JVM in its own session, its stdout and stderr going to kafka.out."""
    command = [*_java_command(java, "kafka.Kafka", libs=libs, workdir=workdir), str(config)]
    with (workdir / "kafka.out").open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for_signal(alive: Callable[[], bool]) -> bool:
    """Block until SIGINT or SIGTERM (True) or until ``alive()`` turns false (False)."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            if not alive():
                return False
        return True
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(args: argparse.Namespace) -> int:
    """Run a broker until SIGINT/SIGTERM, printing its bootstrap address."""
    with KafkaBroker.start(workdir=args.workdir, port=args.port, version=args.version) as broker:
        print(f"KAFKA_BOOTSTRAP={broker.bootstrap_servers}", flush=True)
        if wait_for_signal(lambda: broker.running):
            return 0
        print(f"Kafka broker died:\n{broker.log_tail()}", file=sys.stderr)
        return 1


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
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
