"""Followup on a temporary SQLite database and an embedded bus."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conveyor.followup.config import Settings

from .harness import Followup, Router, router_on, running


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'followup.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
    )


@pytest.fixture
async def followup(settings: Settings) -> AsyncIterator[Followup]:
    async with running(settings) as app:
        yield app


@pytest.fixture
async def router(settings: Settings) -> AsyncIterator[Router]:
    async with router_on(settings.bus_url) as stand_in:
        yield stand_in
