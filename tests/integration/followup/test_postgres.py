"""Followup on PostgreSQL: the migrations run, a won deal becomes a planned task, timers
fire once, and the read models rebuild to the same rows."""

import asyncio
import copy
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.devkit.postgres import DatabaseServer
from conveyor.events.projection import rebuild
from conveyor.followup.config import Settings
from conveyor.followup.domain.timers import Timer
from conveyor.followup.service_layer.ports import TimerStore
from conveyor.followup.service_layer.scheduler import Scheduler

from .harness import ADMIN_TOKEN, Followup, ManualClock, eventually, router_on, running, settle, utc
from .test_handover_flow import read_model_rows


@pytest.fixture
async def on_postgres(
    postgres_server: DatabaseServer, unique_name: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[Followup]:
    settings = Settings(
        database_url=str(postgres_server.create_database(unique_name)),
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        admin_token=ADMIN_TOKEN,
    )
    async with running(settings, clock) as followup:
        yield followup


@pytest.mark.postgres
async def test_a_won_deal_becomes_an_onboarding_task_on_postgresql(on_postgres: Followup) -> None:
    async with on_postgres.service.runtime.engine.connect() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    assert {"events", "farmers", "accounts", "tasks", "alembic_version"} <= set(names)
    async with router_on(on_postgres.service.settings.bus_url) as router:
        await router.register("f-1")
        await router.win("lead-1", won_at=utc("2025-03-07T15:30:00"))

        async def task_planned() -> list[dict[str, str]]:
            found: list[dict[str, str]] = await on_postgres.get("/v1/tasks", farmer_id="f-1")
            return found

        [task] = await eventually(task_planned)
    assert task["due_on"] == "2025-03-11"


@pytest.mark.postgres
async def test_timers_fire_once_and_the_read_models_rebuild_on_postgresql(
    on_postgres: Followup, clock: ManualClock
) -> None:
    await overdue_task(on_postgres, clock)
    scheduler = on_postgres.service.scheduler
    await asyncio.gather(*(scheduler.fire_due() for _ in range(3)))
    await settle(on_postgres)
    [task] = await on_postgres.get("/v1/tasks")
    assert task["status"] == "overdue"
    assert await firings(on_postgres) == (1, 1)  # due, overdue
    live = await read_model_rows(on_postgres)
    runtime = on_postgres.service.runtime
    await rebuild(runtime.engine, runtime.store, runtime.projections)
    assert await read_model_rows(on_postgres) == live


class FiringMeanwhile(TimerStore):
    """The scheduler's timer store, but the first time a timer is read as pending, another
    scheduler fires everything due before the answer is returned: a firing committed
    between this scheduler's reads of its transaction."""

    def __init__(self, inner: TimerStore, other: Scheduler) -> None:
        self.inner, self.other, self.fired_meanwhile = inner, other, -1

    async def due(self, conn: AsyncConnection, now: datetime, *, limit: int) -> list[Timer]:
        return await self.inner.due(conn, now, limit=limit)

    async def is_pending(self, conn: AsyncConnection, timer_id: str) -> bool:
        pending = await self.inner.is_pending(conn, timer_id)
        if pending and self.fired_meanwhile < 0:
            self.fired_meanwhile = await self.other.fire_due()
        return pending


@pytest.mark.postgres
async def test_a_timer_fired_by_another_scheduler_meanwhile_is_not_fired_again(
    on_postgres: Followup, clock: ManualClock
) -> None:
    await overdue_task(on_postgres, clock)
    other = on_postgres.service.scheduler
    this = copy.copy(other)
    this.timers = meanwhile = FiringMeanwhile(other.timers, other)
    fired_here = await this.fire_due()
    assert meanwhile.fired_meanwhile == 2  # the task's due and overdue timers
    assert fired_here == 0
    assert await firings(on_postgres) == (1, 1)


async def overdue_task(followup: Followup, clock: ManualClock) -> None:
    """A won deal's onboarding task planned, then the clock past its due and overdue days."""
    async with router_on(followup.service.settings.bus_url) as router:
        await router.register("f-1")
        await router.win("lead-1", won_at=utc("2025-03-07T15:30:00"))

        async def task_planned() -> list[dict[str, str]]:
            found: list[dict[str, str]] = await followup.get("/v1/tasks")
            return found

        await eventually(task_planned)
    clock.set(utc("2025-03-12T12:00:00"))


async def firings(followup: Followup) -> tuple[int, int]:
    """How many times the log says a task fell due, and fell overdue."""
    runtime = followup.service.runtime
    async with runtime.engine.connect() as conn:
        types = [r.envelope.type for r in await runtime.store.read_all(conn)]
    return types.count("conveyor.followup.due"), types.count("conveyor.followup.overdue")
