"""``conveyor-intake migrate | serve | rebuild``, configured by ``CONVEYOR_INTAKE_*``."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable, Sequence

import uvicorn

from conveyor.intake.adapters.database import ensure_sqlite_folder, upgrade
from conveyor.intake.bootstrap import bootstrap
from conveyor.intake.config import Settings
from conveyor.intake.entrypoints.app import create_app

log = logging.getLogger("conveyor.intake")


def migrate(settings: Settings) -> None:
    """Bring the database up to the newest migration."""
    upgrade(settings.database_url)
    log.info("intake database is up to date")


def serve(settings: Settings) -> None:
    """Migrate, then serve the HTTP API until SIGINT or SIGTERM."""
    migrate(settings)
    ensure_sqlite_folder(settings.bus_url)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        timeout_graceful_shutdown=10,
        log_level="info",
    )


def rebuild(settings: Settings) -> None:
    """Drop the read models and replay the event log into them."""

    async def run() -> int:
        service = bootstrap(settings)
        try:
            return await service.rebuild_read_models()
        finally:
            await service.runtime.stop()

    log.info("replayed %d events into the read models", asyncio.run(run()))


COMMANDS: dict[str, Callable[[Settings], None]] = {
    "migrate": migrate,
    "serve": serve,
    "rebuild": rebuild,
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line arguments: one subcommand."""
    parser = argparse.ArgumentParser(prog="conveyor-intake", description="Run Conveyor intake.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        commands.add_parser(name, help=command.__doc__)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``conveyor-intake`` and ``python -m conveyor.intake``."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    COMMANDS[args.command](Settings())
