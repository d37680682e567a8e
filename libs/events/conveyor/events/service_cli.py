"""The command line every service shares: ``migrate``, ``serve`` and ``rebuild``."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Protocol

import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events.logs import configure_logging
from conveyor.events.migrate import upgrade
from conveyor.events.projection import rebuild
from conveyor.events.store import ensure_sqlite_folder
from conveyor.events.transport import check_bus_url
from conveyor.events.web import RunningService

log = logging.getLogger(__name__)


class ServiceSettings(Protocol):
    """What the command line needs from a service's settings."""

    database_url: str
    bus_url: str
    host: str
    port: int


def run(
    argv: Sequence[str] | None,
    *,
    prog: str,
    settings: ServiceSettings,
    create_app: Callable[[], FastAPI],
    build: Callable[[], RunningService],
    migrations: Path,
    also_rebuild: Sequence[Callable[[AsyncEngine], Awaitable[int]]] = (),
    worker_app: str | None = None,
    workers: int = 1,
) -> None:
    """Parse argv and run the chosen command (``also_rebuild``: read models a service
    folds from elsewhere than its own log, rebuilt after the projections; ``worker_app``:
    the import string of an app factory, each of ``workers`` > 1 processes building its
    own app)."""
    parser = argparse.ArgumentParser(prog=prog)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database to the newest schema")
    commands.add_parser("serve", help="migrate, then serve HTTP and run the workers")
    commands.add_parser("rebuild", help="empty the read models and replay the log into them")
    command = parser.parse_args(argv).command
    try:
        check_bus_url(settings.bus_url)
    except ValueError as exc:
        variable = prog.upper().replace("-", "_") + "_BUS_URL"  # CONVEYOR_ROUTER_BUS_URL
        parser.exit(2, f"{prog}: {variable}: {exc}\n")
    configure_logging(prog)
    for url in (settings.database_url, settings.bus_url):
        ensure_sqlite_folder(url)
    if command in ("migrate", "serve"):
        upgrade(settings.database_url, str(migrations))
    if command == "serve":
        app: str | FastAPI = create_app() if worker_app is None or workers == 1 else worker_app
        several = isinstance(app, str)
        uvicorn.run(
            app,
            factory=several,
            workers=workers if several else None,
            host=settings.host,
            port=settings.port,
            timeout_graceful_shutdown=10,
            log_config=None,
            access_log=False,  # conveyor.http logs each request once, with its correlation id
        )
    elif command == "rebuild":
        replayed = asyncio.run(_rebuild(build(), also_rebuild))
        log.info("replayed %d events into the read models", replayed)


async def _rebuild(
    service: RunningService, also: Sequence[Callable[[AsyncEngine], Awaitable[int]]]
) -> int:
    runtime = service.runtime
    try:
        replayed = await rebuild(runtime.engine, runtime.store, runtime.projections)
        for more in also:
            replayed += await more(runtime.engine)
        return replayed
    finally:
        await runtime.stop()
