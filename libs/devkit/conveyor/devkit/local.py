"""Plumbing shared by the local servers (Kafka, PostgreSQL) that tests and demos start.

Free ports on 127.0.0.1, a work directory per server, a coroutine run from sync code,
log tails for error messages, and the ``serve`` loop that waits for SIGINT/SIGTERM.
"""

from __future__ import annotations

import abc
import argparse
import asyncio
import atexit
import concurrent.futures
import contextlib
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

HOST = "127.0.0.1"
_T = TypeVar("_T")


class LocalServer(abc.ABC):
    """A started local server; ``stop()`` it, or use it as a context manager that stops it."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the server and release what it holds."""

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


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def free_port_other_than(taken: int) -> int:
    """Return a free port different from ``taken``."""
    while (port := free_port()) == taken:
        pass
    return port


def make_workdir(workdir: Path | None, prefix: str) -> tuple[Path, bool]:
    """Return ``workdir`` (a fresh temp dir if None), created, and whether it was made here."""
    owned = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix=prefix)) if workdir is None else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir, owned


@contextlib.contextmanager
def stop_on_failure(stop: Callable[[], None]) -> Iterator[None]:
    """Register ``stop`` to run at exit, and run it now if the block raises."""
    atexit.register(stop)  # a safety net if the caller never stops it
    try:
        yield
    except BaseException:
        stop()
        raise


def run_sync(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion from sync code, even when an event loop already runs."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, factory()).result()


def tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a log file, or a note that it is missing."""
    if not path.is_file():
        return f"({path} does not exist)\n"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "".join(f"  {line}\n" for line in text)


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


def serve_until_signal(
    server: LocalServer,
    *,
    announce: str,
    alive: Callable[[], bool],
    obituary: Callable[[], str],
) -> int:
    """Print ``announce``, then hold the started ``server`` open until SIGINT/SIGTERM (exit 0).

    If the server dies first, print ``obituary()`` to stderr and return 1; either way the
    server is stopped on the way out.
    """
    with server:
        print(announce, flush=True)
        if wait_for_signal(alive):
            return 0
        print(obituary(), file=sys.stderr)
        return 1


def run_command(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and run the subcommand's ``handler`` (set with ``set_defaults``)."""
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)
