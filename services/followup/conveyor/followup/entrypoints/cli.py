"""``conveyor-followup migrate | serve | rebuild``: run followup from the command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

import uvicorn
from sqlalchemy.engine import make_url

from conveyor.events.migrate import upgrade
from conveyor.events.projection import rebuild
from conveyor.followup.adapters import MIGRATIONS
from conveyor.followup.bootstrap import bootstrap
from conveyor.followup.config import Settings
from conveyor.followup.entrypoints.app import create_app

log = logging.getLogger("conveyor.followup")


def migrate(settings: Settings) -> None:
    """Bring followup's database to the newest schema."""
    for url in (settings.database_url, settings.bus_url):
        make_sqlite_dir(url)
    upgrade(settings.database_url, MIGRATIONS)


def serve(settings: Settings) -> None:
    """Migrate, then serve the HTTP API and run the consumers until stopped."""
    migrate(settings)
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, timeout_graceful_shutdown=10)


def rebuild_read_models(settings: Settings) -> None:
    """Empty the read models and replay the log into them."""

    async def run() -> int:
        runtime = bootstrap(settings).runtime
        try:
            return await rebuild(runtime.engine, runtime.store, runtime.projections)
        finally:
            await runtime.stop()

    log.info("rebuilt the read models from %d events", asyncio.run(run()))


def make_sqlite_dir(url: str) -> None:
    """Create the directory of a SQLite database file, if the URL names one."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


COMMANDS = {"migrate": migrate, "serve": serve, "rebuild": rebuild_read_models}


def main(argv: list[str] | None = None) -> None:
    """Entry point of conveyor-followup and python -m conveyor.followup."""
    parser = argparse.ArgumentParser(prog="conveyor-followup", description=__doc__)
    parser.add_argument("command", choices=sorted(COMMANDS), help="what to do")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    COMMANDS[args.command](Settings())
