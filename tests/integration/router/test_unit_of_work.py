"""The router's unit of work wakes the relay and the workers after a commit that appended,
and nobody after one that only read (a worker's empty pass would wake itself again)."""

import asyncio
from pathlib import Path

import pytest

from conveyor.events.migrate import upgrade
from conveyor.router.adapters import MIGRATIONS
from conveyor.router.bootstrap import bootstrap
from conveyor.router.config import Settings
from conveyor.router.service_layer import handlers
from conveyor.router.service_layer.commands import RegisterRep
from tests.support import calls_to


async def test_only_a_unit_of_work_that_appended_wakes_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'router.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
    )
    await asyncio.to_thread(upgrade, settings.database_url, str(MIGRATIONS))
    service = bootstrap(settings)
    woken = calls_to(monkeypatch, service.runtime, "committed")
    try:
        async with service.unit_of_work() as uow:
            await uow.routing_state()
            await uow.stream("lead-1")
        assert woken == []
        async with service.unit_of_work() as uow:
            await handlers.register_rep(RegisterRep("ana", "Ana", "hunter"), uow, source="test")
        assert woken == ["committed"]
    finally:
        await service.runtime.engine.dispose()
