"""A throwaway PostgreSQL cluster in a temp dir on a free loopback port, for tests and local runs.

Usage: ``PostgresServer.start()`` in code, or ``python -m conveyor.devkit.postgres serve`` by hand
(prints ``DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:PORT/postgres``). When run as root
the cluster belongs to the ``postgres`` system user, because initdb refuses to run as root.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import concurrent.futures
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

HOST = "127.0.0.1"
SUPERUSER = "postgres"
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_T = TypeVar("_T")

_SETTINGS = {
    "listen_addresses": HOST,
    "max_connections": "200",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "log_min_messages": "warning",
}


class DatabaseServer(Protocol):
    """What tests need from a PostgreSQL server: URLs and fresh databases."""

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        """Return a SQLAlchemy URL of ``database`` on this server."""
        ...

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        ...


def _run_sync(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion from sync code, even when an event loop already runs."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, factory()).result()


def with_database(url: str, database: str, driver: str = "asyncpg") -> str:
    """Return ``url`` pointing at another database, with the ``postgresql+<driver>`` scheme."""
    scheme = f"postgresql+{driver}" if driver else "postgresql"
    new = make_url(url).set(drivername=scheme, database=database)
    return new.render_as_string(hide_password=False)


async def _execute(admin_url: str, statement: str) -> None:
    """Run one statement outside a transaction (autocommit) on the server behind ``admin_url``."""
    url = make_url(admin_url).set(drivername="postgresql+asyncpg")
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def create_database(admin_url: str, name: str) -> str:
    """Create database ``name`` via ``admin_url`` and return the SQLAlchemy URL of the new one."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"database name must match {_NAME.pattern}: {name!r}")
    _run_sync(lambda: _execute(admin_url, f'CREATE DATABASE "{name}"'))
    return with_database(admin_url, name)


class ExternalPostgres:
    """An already running server reached through an admin URL (e.g. from the environment)."""

    def __init__(self, admin_url: str) -> None:
        """Remember the admin URL; nothing is started."""
        self.admin_url = admin_url

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        """Return a SQLAlchemy URL of ``database`` on this server."""
        return with_database(self.admin_url, database, driver)

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        return create_database(self.admin_url, name)


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


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _as_root() -> bool:
    """Tell whether this process runs as root, so the server must run as ``postgres``."""
    return os.geteuid() == 0


def _run(command: list[str], workdir: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool, as the ``postgres`` user when we are root."""
    if _as_root():
        command = ["runuser", "-u", SUPERUSER, "--", *command]
    return subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=timeout, check=False
    )


def _tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a log file, or a note that it is missing."""
    if not path.is_file():
        return f"({path} does not exist)\n"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "".join(f"  {line}\n" for line in text)


class PostgresServer:
    """A running throwaway cluster; stop it with ``stop()`` or use it as a context manager."""

    user = SUPERUSER

    def __init__(self, workdir: Path, port: int, bindir: Path) -> None:
        """Describe a cluster in ``workdir/data`` (use ``PostgresServer.start``)."""
        self.workdir = workdir
        self.host = HOST
        self.port = port
        self.bindir = bindir
        self._owns_workdir = False
        self._running = False

    @classmethod
    def start(
        cls, *, workdir: Path | None = None, port: int | None = None, timeout: float = 60.0
    ) -> PostgresServer:
        """Create a cluster in ``workdir`` (a fresh temp dir if None), start it and wait for it."""
        bindir = find_bindir()
        owns_workdir = workdir is None
        workdir = Path(tempfile.mkdtemp(prefix="conveyor-pg-")) if workdir is None else workdir
        workdir.mkdir(parents=True, exist_ok=True)
        if _as_root():
            shutil.chown(workdir, SUPERUSER, SUPERUSER)
        server = cls(workdir, free_port() if port is None else port, bindir)
        server._owns_workdir = owns_workdir
        atexit.register(server.stop)  # a safety net if the caller never stops it
        try:
            if not (server.datadir / "PG_VERSION").is_file():
                server._initdb(timeout)
            server._configure()
            server._start(timeout)
        except BaseException:
            server.stop()
            raise
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
        result = _run(command, self.workdir, timeout)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed (exit {result.returncode}):\n{result.stderr}")
        with (self.datadir / "postgresql.conf").open("a") as conf:
            conf.write("include_if_exists = 'conveyor.conf'\n")

    def _configure(self) -> None:
        """Write this run's settings (port, socket dir, test-speed knobs) to conveyor.conf."""
        settings = {**_SETTINGS, "port": str(self.port)}
        settings["unix_socket_directories"] = str(self.workdir)
        conf = self.datadir / "conveyor.conf"
        conf.write_text("".join(f"{key} = '{value}'\n" for key, value in settings.items()))
        if _as_root():
            shutil.chown(conf, SUPERUSER, SUPERUSER)

    def _start(self, timeout: float) -> None:
        """Start the server with pg_ctl and wait until it accepts TCP connections."""
        command = [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.log_file)]
        command += ["-w", "-t", str(int(timeout)), "start"]
        self._running = True  # from here on stop() must try pg_ctl stop, even after a failure
        result = _run(command, self.workdir, timeout + 10)
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
        return f"{message}\n{self.log_file}:\n{_tail(self.log_file)}"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its temp dir if this object made it."""
        atexit.unregister(self.stop)
        if self._running:
            command = [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w"]
            _run([*command, "stop"], self.workdir, 60)
            self._running = False
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Self:
        """Return the running server."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()


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
    """Run a server until SIGINT/SIGTERM, printing its URL."""
    with PostgresServer.start(workdir=args.workdir, port=args.port) as server:
        print(f"DATABASE_URL={server.url()}", flush=True)
        if wait_for_signal(server.is_alive):
            return 0
        print(f"PostgreSQL died:\n{_tail(server.log_file)}", file=sys.stderr)
        return 1


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
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
