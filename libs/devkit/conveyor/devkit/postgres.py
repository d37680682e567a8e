"""A throwaway PostgreSQL cluster in a temp dir on a free loopback port, for tests and local runs.

Usage: ``PostgresServer.start()`` in code, or ``python -m conveyor.devkit.postgres serve`` by hand
(prints ``DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:PORT/postgres``). When run as root
the cluster belongs to the ``postgres`` system user, because initdb refuses to run as root.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from conveyor.devkit.local import (
    HOST,
    LocalServer,
    free_port,
    make_workdir,
    run_command,
    serve_until_signal,
    stop_on_failure,
    tail,
    wait_for_signal,
)
from conveyor.devkit.postgres_databases import (
    DatabaseServer,
    ExternalPostgres,
    create_database,
    with_database,
)
from conveyor.devkit.postgres_tools import SUPERUSER, as_root, find_bindir, run_tool

__all__ = [
    "HOST",
    "SUPERUSER",
    "DatabaseServer",
    "ExternalPostgres",
    "PostgresServer",
    "create_database",
    "find_bindir",
    "free_port",
    "main",
    "wait_for_signal",
    "with_database",
]

_SETTINGS = {
    "listen_addresses": HOST,
    "max_connections": "200",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "log_min_messages": "warning",
}
_DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


class PostgresServer(LocalServer):
    """A running throwaway cluster; stop it with ``stop()`` or use it as a context manager."""

    user = SUPERUSER

    def __init__(self, workdir: Path, port: int, bindir: Path, *, durable: bool = False) -> None:
        """Describe a cluster in ``workdir/data`` (use ``PostgresServer.start``)."""
        self.workdir = workdir
        self.durable = durable
        self.host = HOST
        self.port = port
        self.bindir = bindir
        self._owns_workdir = False
        self._running = False

    @classmethod
    def start(
        cls,
        *,
        workdir: Path | None = None,
        port: int | None = None,
        timeout: float = 60.0,
        durable: bool = False,
    ) -> PostgresServer:
        """Create a cluster in ``workdir`` (a fresh temp dir if None), start it and wait for it.

        Tests run without fsync and with asynchronous commits (speed, nothing to keep);
        ``durable`` keeps PostgreSQL's defaults: a commit returns once its WAL is on disk.
        """
        bindir = find_bindir()
        workdir, owns_workdir = make_workdir(workdir, prefix="conveyor-pg-")
        if as_root():
            shutil.chown(workdir, SUPERUSER, SUPERUSER)
        server = cls(workdir, free_port() if port is None else port, bindir, durable=durable)
        server._owns_workdir = owns_workdir
        with stop_on_failure(server.stop):
            if not (server.datadir / "PG_VERSION").is_file():
                server._initdb(timeout)
            server._configure()
            server._start(timeout)
        return server

    @property
    def datadir(self) -> Path:
        """Return the cluster's data directory."""
        return self.workdir / "data"

    @property
    def log_file(self) -> Path:
        """Return the server log file."""
        return self.workdir / "postgres.log"

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        """Return a SQLAlchemy URL such as ``postgresql+asyncpg://postgres@127.0.0.1:PORT/db``."""
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        return create_database(self.url(), name)

    def _initdb(self, timeout: float) -> None:
        """Create the cluster files: superuser ``postgres``, trust auth, UTF-8, C locale."""
        command = [str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", self.user]
        command += ["-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]
        result = run_tool(command, self.workdir, timeout)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed (exit {result.returncode}):\n{result.stderr}")
        with (self.datadir / "postgresql.conf").open("a") as conf:
            conf.write("include_if_exists = 'conveyor.conf'\n")

    def _configure(self) -> None:
        """Write this run's settings (port, socket dir, test-speed knobs) to conveyor.conf."""
        settings = {**_SETTINGS, **(_DURABLE if self.durable else {}), "port": str(self.port)}
        settings["unix_socket_directories"] = str(self.workdir)
        conf = self.datadir / "conveyor.conf"
        conf.write_text("".join(f"{key} = '{value}'\n" for key, value in settings.items()))
        if as_root():
            shutil.chown(conf, SUPERUSER, SUPERUSER)

    def _start(self, timeout: float) -> None:
        """Start the server with pg_ctl and wait until it accepts TCP connections."""
        command = [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.log_file)]
        command += ["-w", "-t", str(int(timeout)), "start"]
        self._running = True  # from here on stop() must try pg_ctl stop, even after a failure
        result = run_tool(command, self.workdir, timeout + 10)
        if result.returncode != 0:
            raise RuntimeError(self._failure(f"pg_ctl start failed (exit {result.returncode})"))
        deadline = time.monotonic() + timeout
        while not self._accepts_connections():
            if time.monotonic() > deadline:
                raise RuntimeError(self._failure(f"PostgreSQL not ready within {timeout:.0f}s"))
            time.sleep(0.1)

    def _accepts_connections(self) -> bool:
        """Tell whether pg_isready reports that the server accepts connections over TCP."""
        command = [str(self.bindir / "pg_isready"), "-q", "-h", self.host, "-p", str(self.port)]
        command += ["-U", self.user, "-d", "postgres"]
        result = subprocess.run(command, capture_output=True, timeout=10, check=False)
        return result.returncode == 0

    def is_alive(self) -> bool:
        """Tell whether the postmaster process named in postmaster.pid still exists."""
        try:
            pid = int((self.datadir / "postmaster.pid").read_text().split()[0])
            os.kill(pid, 0)
        except (OSError, ValueError, IndexError):
            return False
        return True

    def _failure(self, message: str) -> str:
        """Return an error message with the end of the server log."""
        return f"{message}\n{self.log_file}:\n{tail(self.log_file)}"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its temp dir if this object made it."""
        atexit.unregister(self.stop)
        if self._running:
            command = [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w"]
            run_tool([*command, "stop"], self.workdir, 60)
            self._running = False
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _serve(args: argparse.Namespace) -> int:
    """Run a server until SIGINT/SIGTERM, printing its URL."""
    server = PostgresServer.start(workdir=args.workdir, port=args.port)
    return serve_until_signal(
        server,
        announce=f"DATABASE_URL={server.url()}",
        alive=server.is_alive,
        obituary=lambda: f"PostgreSQL died:\n{tail(server.log_file)}",
    )


def _parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    parser = argparse.ArgumentParser(prog="python -m conveyor.devkit.postgres", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run a server until interrupted")
    serve.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    serve.add_argument("--workdir", type=Path, default=None, help="cluster dir (default: temp)")
    serve.set_defaults(handler=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``serve`` command."""
    return run_command(_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
