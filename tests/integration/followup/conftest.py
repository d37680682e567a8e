"""Followup on a temporary SQLite database and an embedded bus."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conveyor.events.catalogue.values import Location
from conveyor.followup.config import Settings

from .harness import (
    ADMIN,
    ADMIN_TOKEN,
    Followup,
    ManualClock,
    Router,
    eventually,
    router_on,
    running,
    utc,
)
from .test_portfolio_rules import enrolled, set_rules

WON_FRIDAY = utc("2025-03-07T15:30:00")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'followup.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        admin_token=ADMIN_TOKEN,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(utc("2025-03-07T16:00:00"))


@pytest.fixture
async def followup(settings: Settings, clock: ManualClock) -> AsyncIterator[Followup]:
    async with running(settings, clock) as app:
        yield app


@pytest.fixture
async def router(settings: Settings) -> AsyncIterator[Router]:
    async with router_on(settings.bus_url) as stand_in:
        yield stand_in


async def credential(followup: Followup, rep_id: str) -> dict[str, str]:
    response = await followup.client.post("/v1/credentials", json={"rep_id": rep_id}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return {"authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
async def team(followup: Followup, router: Router) -> dict[str, dict[str, str]]:
    """Two farmers (f-1 led by lead-1), a hunter, the lead, each with a credential; lead-1
    is won by h-7 and goes to f-1."""
    await enrolled(followup, router, "f-1", "f-2")
    await set_rules(followup, "f-1", territories=["north"], team_lead_id="lead-1")
    await set_rules(followup, "f-2", territories=["south"])
    await router.win(
        "lead-1", won_at=WON_FRIDAY, hunter_id="h-7", location=Location(region="north")
    )
    await router.win("lead-2", won_at=WON_FRIDAY, location=Location(region="south"))
    await eventually(lambda: _tasks(followup, 2))
    return {rep: await credential(followup, rep) for rep in ("f-1", "f-2", "h-7", "lead-1")}


async def _tasks(followup: Followup, count: int) -> bool:
    return len(await followup.get("/v1/tasks")) >= count
