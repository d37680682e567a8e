"""Every kind of timer survives the end of the process: followup, a real process on
PostgreSQL, is stopped (SIGTERM, or killed with SIGKILL) before any timer is due and started
again with its clock past them all; then a cadence task falls due, tasks go overdue, a
repeating task falls due and plans its next time, a quiet account goes dormant and a
nurtured lead goes back to intake — each exactly once."""

import json
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.devkit.postgres import DatabaseServer
from conveyor.devkit.processes import ServiceProcess, service
from conveyor.events.store import create_engine
from conveyor.followup.adapters.tables import timers
from conveyor.followup.domain.handover import account_id_for
from tests.support import free_port, wait_for

from .harness import ADMIN, ADMIN_TOKEN, router_on, utc
from .test_nurture_pool import Intake

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
WON = utc("2025-03-07T15:30:00")  # a Friday
CADENCE = {
    "steps": [
        {"kind": "onboarding_call", "after_days": 2},  # Tuesday 11 March
        {"kind": "review", "after_days": 1, "count": "calendar_days", "every_days": 7},
    ]
}
ACCOUNT = account_id_for("lead-1")


class Place:
    """Where followup keeps its log and finds its bus, across its runs."""

    def __init__(self, database_url: str, bus_url: str, logs: Path) -> None:
        self.database_url, self.bus_url, self.logs = database_url, bus_url, logs
        self.engine: AsyncEngine = create_engine(database_url)

    def process(self, clock_start: str) -> ServiceProcess:
        env = {
            "CONVEYOR_FOLLOWUP_DATABASE_URL": self.database_url,
            "CONVEYOR_FOLLOWUP_BUS_URL": self.bus_url,
            "CONVEYOR_FOLLOWUP_CLOCK_START": clock_start,
            "CONVEYOR_FOLLOWUP_TIMER_POLL_SECONDS": "0.2",
            "CONVEYOR_FOLLOWUP_ADMIN_TOKEN": ADMIN_TOKEN,
            "CONVEYOR_FOLLOWUP_FIRST_ORDER_WITHIN_DAYS": "5",  # dormant on 12 March
        }
        return service("followup", port=free_port(), env=env, log_dir=self.logs)

    async def logged(self) -> list[dict[str, Any]]:
        """Followup's log: each event's type and data, in order."""
        query = text("SELECT event_type, data FROM events ORDER BY position")
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [{"type": row[0], **json.loads(row[1])} for row in rows]

    async def pending_due_by(self, moment: str) -> int:
        """How many timers are pending with a moment at or before moment."""
        query = select(func.count()).where(timers.c.status == "pending", timers.c.due_at <= moment)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())


@pytest.fixture
async def place(
    postgres_server: DatabaseServer, unique_name: str, tmp_path: Path
) -> AsyncIterator[Place]:
    found = Place(
        str(postgres_server.create_database(unique_name)),
        str(postgres_server.create_database(f"{unique_name}_bus")),
        tmp_path / "logs",
    )
    yield found
    await found.engine.dispose()


async def plan_everything(proc: ServiceProcess, place: Place) -> None:
    """A cadence with a repeating step, a won account on it (watched for dormancy) and a
    nurtured lead, all planned while nothing is due yet."""
    async with httpx.AsyncClient(base_url=proc.url, headers=ADMIN, timeout=10) as api:
        published = await api.put("/v1/cadences/default", json=CADENCE)
        assert published.status_code == 200, published.text
    async with router_on(place.bus_url) as router:
        await router.register("f-1")
        await router.win("lead-1", won_at=WON)
    intake = Intake(place.bus_url)
    await intake.sink.start()
    await intake.nurture("lead-2", utc("2025-03-10T09:00:00"))
    await intake.transport.close()

    async def all_planned() -> bool:
        types = Counter(e["type"] for e in await place.logged())
        return types["conveyor.followup.scheduled"] == 2 and bool(
            types["conveyor.account.watched"] and types["conveyor.nurture.recheck_scheduled"]
        )

    await wait_for(all_planned, what="the cadence, the watch and the recheck planned")


def stop(proc: ServiceProcess, how: signal.Signals) -> None:
    assert proc.process is not None
    proc.process.send_signal(how)
    proc.process.wait(timeout=30)


EXPECTED = {
    ("conveyor.followup.due", "onboarding_call"): 1,
    ("conveyor.followup.overdue", "onboarding_call"): 1,
    ("conveyor.followup.due", "review"): 1,
    ("conveyor.followup.overdue", "review"): 1,
    ("conveyor.followup.due", "reactivation"): 1,
    ("conveyor.followup.overdue", "reactivation"): 1,
    ("conveyor.account.went_dormant", ACCOUNT): 1,
    ("conveyor.nurture.recheck_due", "lead-2"): 1,
}


def fired_by(events: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """How many times each timer fired: (event type, the task's kind or the subject)."""
    kinds = {e["task_id"]: e["kind"] for e in events if e["type"] == "conveyor.followup.scheduled"}
    return Counter(
        (e["type"], kinds.get(e.get("task_id", ""), e.get("lead_id") or e.get("account_id")))
        for e in events
        if e["type"].endswith((".due", ".overdue", ".went_dormant", ".recheck_due"))
    )


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
async def test_every_kind_of_timer_fires_once_after_a_restart(
    place: Place, how: signal.Signals
) -> None:
    with place.process("2025-03-07T16:00:00Z") as first:
        first.start().wait_ready()
        await plan_everything(first, place)
        assert await place.pending_due_by("2025-03-31T00:00:00Z") == 6
        assert [e["type"] for e in await place.logged()].count("conveyor.followup.due") == 0
        stop(first, how)
    with place.process("2025-03-13T08:00:00Z") as second:
        second.start().wait_ready()

        async def settled() -> list[dict[str, Any]] | None:
            """Every expected timer has fired and nothing due by now is pending (a timer
            planned by one that fired, like the reactivation task's, counts once planned)."""
            events = await place.logged()
            quiet = await place.pending_due_by("2025-03-13T08:00:00Z") == 0
            return events if quiet and set(fired_by(events)) >= set(EXPECTED) else None

        await wait_for(settled, what="every timer due by 13 March fired")
        assert await place.pending_due_by("2025-03-13T08:00:00Z") == 0
        events = await place.logged()  # anything fired twice by now shows in the count
    tasks = {e["task_id"]: e for e in events if e["type"] == "conveyor.followup.scheduled"}
    assert fired_by(events) == EXPECTED
    reviews = sorted(t["due_on"] for t in tasks.values() if t["kind"] == "review")
    assert reviews == ["2025-03-10", "2025-03-17"]  # the repeat planned its next time once
    assert await place.pending_due_by("2025-03-31T00:00:00Z") == 2  # the next review's timers
