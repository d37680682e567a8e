"""Each account's plan skips its own country's public holidays (and its subdivision's), on
the days of its own time zone: a Bavarian, a Berlin and a New York client on one cadence,
over a month of weekends and holidays, on an injected clock."""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from conveyor.events.catalogue.values import Location
from conveyor.followup.config import Settings
from conveyor.followup.domain.handover import account_id_for

from .harness import ADMIN_TOKEN, Followup, ManualClock, Router, running, settle, utc
from .test_cadences import plan_of, publish

STEPS = [
    {"kind": "onboarding_call", "after_days": 1},
    {"kind": "delivery_check", "after_days": 3},
    {"kind": "reorder_check", "after_days": 10, "count": "calendar_days"},
]
BERLIN, NEW_YORK = {"time_zone": "Europe/Berlin"}, {"time_zone": "America/New_York"}


@pytest.fixture
async def followup(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Followup]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'followup.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        admin_token=ADMIN_TOKEN,
    )
    clock.set(utc("2025-06-17T12:00:00"))
    async with running(settings, clock) as app:
        yield app


async def test_a_month_of_tasks_skips_each_accounts_own_holidays_in_its_own_time_zone(
    followup: Followup, router: Router, clock: ManualClock
) -> None:
    await publish(followup, "standard", STEPS)
    await router.register("f-1")
    # 00:30 on Wednesday 18 June in Berlin; Thursday 19 June is Corpus Christi in Bavaria only
    in_berlin = utc("2025-06-17T22:30:00")
    for lead_id, region in (("bavaria", "DE-BY"), ("berlin", "DE-BE")):
        place = Location(country="DE", region=region)
        await router.win(lead_id, won_at=in_berlin, location=place, custom=BERLIN)
    # 22:00 on Tuesday 1 July in New York; Friday 4 July is Independence Day
    await router.win(
        "new-york",
        won_at=utc("2025-07-02T02:00:00"),
        location=Location(country="US", region="US-NY"),
        custom=NEW_YORK,
    )
    for lead_id in ("bavaria", "berlin", "new-york"):
        await plan_of(followup, lead_id, 3)
    fell_due = await walk(followup, clock, date(2025, 6, 17), date(2025, 7, 12))
    assert fell_due == {
        ("bavaria", "onboarding_call"): "2025-06-20",
        ("bavaria", "delivery_check"): "2025-06-24",
        ("bavaria", "reorder_check"): "2025-06-30",
        ("berlin", "onboarding_call"): "2025-06-19",
        ("berlin", "delivery_check"): "2025-06-23",
        ("berlin", "reorder_check"): "2025-06-30",
        ("new-york", "onboarding_call"): "2025-07-02",
        ("new-york", "delivery_check"): "2025-07-07",
        ("new-york", "reorder_check"): "2025-07-11",
    }
    account = await followup.get(f"/v1/accounts/{account_id_for('bavaria')}")
    assert (account["time_zone"], account["started_on"]) == ("Europe/Berlin", "2025-06-18")


async def walk(
    followup: Followup, clock: ManualClock, first: date, last: date
) -> dict[tuple[str, str], str]:
    """Move the clock a day at a time (noon UTC), firing timers; note the day each task of
    each lead fell due."""
    leads = {account_id_for(lead): lead for lead in ("bavaria", "berlin", "new-york")}
    fell_due: dict[tuple[str, str], str] = {}
    day = first
    while day <= last:
        clock.set(utc(f"{day.isoformat()}T12:00:00"))
        await settle(followup)
        for task in await followup.get("/v1/tasks"):
            if task["status"] != "open":
                fell_due.setdefault((leads[task["account_id"]], task["kind"]), day.isoformat())
        day += timedelta(days=1)
    return fell_due
