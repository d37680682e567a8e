"""Timers kept in followup's database fire once when the injected clock reaches them."""

import asyncio

from sqlalchemy import func, select

from conveyor.events import Envelope
from conveyor.events.catalogue.followup import FollowUpDue, FollowUpScheduled
from conveyor.followup.adapters.tables import timers
from conveyor.followup.domain.handover import account_id_for

from .harness import Followup, ManualClock, Router, eventually, utc
from .test_handover_flow import tasks_of

FRIDAY_AFTERNOON = utc("2025-03-07T15:30:00")
MONDAY_EVENING = utc("2025-03-10T23:59:59")
TUESDAY_MORNING = utc("2025-03-11T00:00:00")


async def events_of(followup: Followup, stream_id: str) -> list[Envelope]:
    """The events of one stream of followup's log."""
    runtime = followup.service.runtime
    async with runtime.engine.connect() as conn:
        return [r.envelope for r in await runtime.store.read_stream(conn, stream_id)]


async def pending_timers(followup: Followup) -> int:
    async with followup.service.runtime.engine.connect() as conn:
        query = select(func.count()).select_from(timers).where(timers.c.status == "pending")
        return int((await conn.execute(query)).scalar() or 0)


async def planned(followup: Followup, router: Router) -> dict[str, str]:
    await router.register("f-1")
    await router.win("lead-1", won_at=FRIDAY_AFTERNOON)
    [task] = await tasks_of(followup, 1)
    return task


async def test_a_task_falls_due_only_when_the_clock_reaches_its_day(
    followup: Followup, router: Router, clock: ManualClock
) -> None:
    task = await planned(followup, router)
    clock.set(MONDAY_EVENING)
    assert await followup.service.scheduler.fire_due() == 0
    assert await pending_timers(followup) == 3  # due, overdue, dormancy
    clock.set(TUESDAY_MORNING)
    followup.service.scheduler.waker.wake()
    [due] = await tasks_of_status(followup, "due")
    assert due["task_id"] == task["task_id"]
    assert await pending_timers(followup) == 2  # overdue, dormancy


async def test_the_firing_is_an_event_caused_by_the_scheduling_and_happens_once(
    followup: Followup, router: Router, clock: ManualClock
) -> None:
    await planned(followup, router)
    clock.set(TUESDAY_MORNING)
    scheduler = followup.service.scheduler
    await asyncio.gather(scheduler.fire_due(), scheduler.fire_due(), scheduler.fire_due())
    await tasks_of_status(followup, "due")
    stream = await events_of(followup, account_id_for("lead-1"))
    scheduled = next(e for e in stream if isinstance(e.data, FollowUpScheduled))
    [fired] = [e for e in stream if isinstance(e.data, FollowUpDue)]
    assert fired.causation_id == scheduled.id
    assert fired.correlation_id == scheduled.correlation_id
    assert await scheduler.fire_due() == 0


async def tasks_of_status(followup: Followup, status: str) -> list[dict[str, str]]:
    """Wait until some task has the status; return those that do."""

    async def probe() -> list[dict[str, str]] | None:
        found: list[dict[str, str]] = await followup.get("/v1/tasks")
        return [t for t in found if t["status"] == status] or None

    return await eventually(probe)
