"""Followup on a temporary SQLite database and an embedded bus."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conveyor.followup.config import Settings

from .harness import ADMIN_TOKEN, Followup, ManualClock, Router, router_on, running, utc


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
