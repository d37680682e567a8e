"""The files and JVM of a single-node KRaft broker: its config, its formatted storage, its process.

``write_config`` renders server.properties and log4j.properties into a work directory,
``format_storage`` gives the log directory a cluster id once, and ``launch`` starts the JVM.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import uuid
from pathlib import Path

from conveyor.devkit.local import HOST

JVM_OPTIONS = ("-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError")

_LOG4J = """\
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File={log_file}
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
"""


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


def find_java() -> str:
    """Return the path of the java launcher, or raise with a hint how to install it."""
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java not found: run scripts/install.sh --test-deps")
    return java


def write_config(workdir: Path, port: int, controller_port: int) -> Path:
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


def format_storage(java: str, *, libs: Path, workdir: Path, config: Path) -> str:
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


def launch(java: str, *, libs: Path, workdir: Path, config: Path) -> subprocess.Popen[bytes]:
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
