"""``conveyor-router migrate | serve | rebuild`` (rebuild: the projections and the KPI
facts), configured by ``CONVEYOR_ROUTER_*``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events.catalogue import build_registry
from conveyor.events.service_cli import run
from conveyor.router.adapters import MIGRATIONS
from conveyor.router.adapters.kpi_store import rebuild as rebuild_kpis
from conveyor.router.bootstrap import bootstrap
from conveyor.router.config import Settings
from conveyor.router.entrypoints.app import create_app


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``conveyor-router`` and ``python -m conveyor.router``."""
    settings = Settings()
    run(
        argv,
        prog="conveyor-router",
        settings=settings,
        create_app=lambda: create_app(settings),
        build=lambda: bootstrap(settings),
        migrations=MIGRATIONS,
        also_rebuild=[_kpis],
    )


async def _kpis(engine: AsyncEngine) -> int:
    """The KPI facts, folded again from the events they keep."""
    return await rebuild_kpis(engine, build_registry())
