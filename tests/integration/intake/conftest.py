"""Intake's app in-process on a temp SQLite database and an embedded bus."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from conveyor.intake.adapters.database import upgrade
from conveyor.intake.config import Settings
from conveyor.intake.entrypoints.app import create_app

PUBLIC_URL = "http://intake.test"


def lead_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /v1/leads body, with top-level fields replaced."""
    body: dict[str, Any] = {
        "contact": {"name": " Ada Lovelace ", "email": "ada@example.com", "company": "Analytical"},
        "location": {"country": "GB", "city": "London"},
        "interest": {"product_lines": ["engines"], "note": "wants a demo"},
        "consent": True,
        "source": "website",
        "channel": "web_form",
        "utm": {"utm_source": "newsletter"},
    }
    return {**body, **overrides}


@asynccontextmanager
async def running_intake(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Migrate, start the app's lifespan and give a client talking to it in-process."""
    await asyncio.to_thread(upgrade, settings.database_url)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client,
    ):
        yield client


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        public_url=PUBLIC_URL,
    )


@pytest.fixture
def intake_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings as CONVEYOR_INTAKE_* variables, for the command line."""
    monkeypatch.setenv("CONVEYOR_INTAKE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CONVEYOR_INTAKE_BUS_URL", settings.bus_url)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_intake(settings) as client:
        yield client
