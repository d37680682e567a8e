"""The command line every service shares: ``migrate``, ``serve`` and ``rebuild``."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import uvicorn
from fastapi import FastAPI

from conveyor.events.catalogue import build_registry
from conveyor.events.migrate import upgrade
from conveyor.events.projection import Projection, rebuild
from conveyor.events.store import EventStore, create_engine


class ServiceSettings(Protocol):
    """What the command line needs from a service's settings."""

    database_url: str
    host: str
    port: int


def run(
    argv: Sequence[str] | None,
    *,
    settings: ServiceSettings,
    create_app: Callable[[], FastAPI],
    migrations: Path,
    projections: Callable[[], Sequence[Projection]],
) -> None:
    """Parse argv and run the chosen command."""
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["migrate", "serve", "rebuild"])
    command = parser.parse_args(argv).command
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    _ensure_sqlite_dir(settings.database_url)
    if command in ("migrate", "serve"):
        upgrade(settings.database_url, str(migrations))
    if command == "serve":
        uvicorn.run(
            create_app(),
            host=settings.host,
            port=settings.port,
            timeout_graceful_shutdown=10,
            log_level="info",
        )
    elif command == "rebuild":
        count = asyncio.run(_rebuild(settings.database_url, projections()))
        print(f"replayed {count} events into the read models")


async def _rebuild(url: str, projections: Sequence[Projection]) -> int:
    engine = create_engine(url)
    try:
        return await rebuild(engine, EventStore(build_registry()), projections)
    finally:
        await engine.dispose()


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite") and ":///" in url:
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
