"""Cadences over a month with weekends and public holidays, on an injected clock; a changed
cadence applies to new accounts and, when asked, to existing ones."""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from conveyor.followup.config import Settings
from conveyor.followup.domain.handover import account_id_for

from .harness import (
    ADMIN,
    ADMIN_TOKEN,
    Followup,
    ManualClock,
    Router,
    eventually,
    running,
    settle,
    utc,
)

HOLIDAYS = [date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 1)]
WON_WEDNESDAY = utc("2025-04-16T10:00:00")
STEPS = [
    {"kind": "onboarding_call", "after_days": 2, "script": "Welcome {client}"},
    {"kind": "delivery_check", "after_days": 10, "count": "calendar_days"},
    {"kind": "reorder_check", "after_days": 15, "count": "calendar_days"},
    {"kind": "review", "after_days": 30, "count": "calendar_days", "every_days": 90},
]


@pytest.fixture
async def followup(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Followup]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'followup.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        admin_token=ADMIN_TOKEN,
        holidays=HOLIDAYS,
    )
    clock.set(WON_WEDNESDAY)
    async with running(settings, clock) as app:
        yield app


async def publish(followup: Followup, cadence_id: str, steps: list[Any], **to: str) -> int:
    body = {"steps": steps, **to}
    response = await followup.client.put(f"/v1/cadences/{cadence_id}", json=body, headers=ADMIN)
    assert response.status_code == 200, response.text
    return int(response.json()["cadence_version"])


async def plan_of(followup: Followup, lead_id: str, count: int) -> list[dict[str, Any]]:
    account_id = account_id_for(lead_id)

    async def probe() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = await followup.get("/v1/tasks", account_id=account_id)
        return found if len(found) >= count else None

    return await eventually(probe)


async def test_a_month_of_tasks_falls_due_on_business_days_around_the_holidays(
    followup: Followup, router: Router, clock: ManualClock
) -> None:
    await publish(followup, "standard", STEPS)
    await router.register("f-1")
    await router.win("lead-1", won_at=WON_WEDNESDAY, company="Acme")
    plan = await plan_of(followup, "lead-1", 4)
    assert [(t["kind"], t["due_on"]) for t in plan] == [
        ("onboarding_call", "2025-04-22"),
        ("delivery_check", "2025-04-28"),
        ("reorder_check", "2025-05-02"),
        ("review", "2025-05-16"),
    ]
    assert plan[0]["notes"] == "Welcome Acme"
    fell_due = await walk_the_month(followup, clock, date(2025, 4, 16), date(2025, 5, 17))
    assert fell_due == {
        "onboarding_call": "2025-04-22",
        "delivery_check": "2025-04-28",
        "reorder_check": "2025-05-02",
        "review": "2025-05-16",
        "reactivation": "2025-05-16",  # no first order within 30 days
    }
    [next_review] = [t for t in await plan_of(followup, "lead-1", 5) if t["status"] == "open"]
    assert (next_review["kind"], next_review["due_on"]) == ("review", "2025-08-14")


async def walk_the_month(
    followup: Followup, clock: ManualClock, first: date, last: date
) -> dict[str, str]:
    """Move the clock a day at a time, firing timers; note the day each task fell due."""
    fell_due: dict[str, str] = {}
    day = first
    while day <= last:
        clock.set(utc(f"{day.isoformat()}T12:00:00"))
        await settle(followup)
        for task in await followup.get("/v1/tasks"):
            if task["status"] == "due":
                fell_due.setdefault(task["kind"], day.isoformat())
        day += timedelta(days=1)
    return fell_due


async def test_a_new_version_applies_to_new_accounts_and_to_old_ones_when_asked(
    followup: Followup, router: Router, clock: ManualClock
) -> None:
    first = [
        {"kind": "onboarding_call", "after_days": 2},
        {"kind": "reorder_check", "after_days": 30},
    ]
    assert await publish(followup, "standard", first) == 1
    await router.register("f-1")
    await router.win("lead-old", won_at=WON_WEDNESDAY)
    await plan_of(followup, "lead-old", 2)
    second = [
        {"kind": "onboarding_call", "after_days": 2},
        {"kind": "reorder_check", "after_days": 20},
        {"kind": "service_reminder", "after_days": 40},
    ]
    assert await publish(followup, "standard", second) == 2
    await router.win("lead-new", won_at=WON_WEDNESDAY)
    new_plan = await plan_of(followup, "lead-new", 3)
    assert [t["due_on"] for t in new_plan] == ["2025-04-22", "2025-05-19", "2025-06-16"]
    old_plan = await followup.get("/v1/tasks", account_id=account_id_for("lead-old"))
    assert [t["kind"] for t in old_plan] == ["onboarding_call", "reorder_check"]

    clock.set(utc("2025-04-25T09:00:00"))
    await settle(followup)
    moved = await followup.client.post("/v1/cadences/standard/apply-to-existing", headers=ADMIN)
    assert moved.json() == {"cadence_id": "standard", "accounts_moved": 1}
    replanned = await followup.get("/v1/tasks", account_id=account_id_for("lead-old"))
    assert sorted((t["kind"], t["due_on"], t["status"]) for t in replanned) == [
        ("onboarding_call", "2025-04-22", "overdue"),
        ("reorder_check", "2025-05-19", "open"),
        ("reorder_check", "2025-06-02", "cancelled"),
        ("service_reminder", "2025-06-16", "open"),
    ]
    account = await followup.get(f"/v1/accounts/{account_id_for('lead-old')}")
    assert account["cadence_version"] == 2


async def test_cadences_are_validated_and_belong_to_the_back_office(followup: Followup) -> None:
    assert (await followup.client.put("/v1/cadences/x", json={"steps": []})).status_code == 401
    bad = {"steps": [{"kind": "", "after_days": -1, "count": "fortnights", "every_days": 0}]}
    response = await followup.client.put("/v1/cadences/x", json=bad, headers=ADMIN)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "steps.0.kind",
        "steps.0.after_days",
        "steps.0.count",
        "steps.0.every_days",
    }
    missing = await followup.client.post("/v1/cadences/none/apply-to-existing", headers=ADMIN)
    assert missing.status_code == 404
