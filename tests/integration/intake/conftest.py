"""Intake's app in-process on a temp SQLite database and an embedded bus."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from conveyor.events.store import create_engine
from conveyor.intake import bootstrap
from conveyor.intake.adapters.database import upgrade
from conveyor.intake.adapters.tables import leads
from conveyor.intake.config import Settings
from conveyor.intake.entrypoints.app import create_app

PUBLIC_URL = "http://intake.test"
ADMIN_TOKEN = "admin-token-for-tests"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def one_rate_window(monkeypatch: pytest.MonkeyPatch) -> float:
    """Intake's clock for rate limits stopped 30 s into a one-minute window: a test's
    requests all count in that window, however long they take (a real window ends each
    minute). Returns the instant."""
    start = (time.time() // 60) * 60 + 30
    monkeypatch.setattr(bootstrap, "time", SimpleNamespace(time=lambda: start))
    return start


def lead_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /v1/leads body, with top-level fields replaced."""
    body: dict[str, Any] = {
        "contact": {"name": " Ada Lovelace ", "email": "ada@example.com", "company": "Analytical"},
        "location": {"country": "GB", "city": "London"},
        "interest": {"product_lines": ["engines"], "note": "wants a demo"},
        "consent": True,
        "channel": "web_form",
        "utm": {"utm_source": "newsletter"},
    }
    return {**body, **overrides}


async def count_leads(database_url: str) -> int:
    """How many leads the read model holds."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(leads))).scalar_one())
    finally:
        await engine.dispose()


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for a source key or the admin token."""
    return {"Authorization": f"Bearer {key}"}


async def register_source(
    client: httpx.AsyncClient, source_id: str, *, channel: str = "web_form", rate: int = 600
) -> str:
    """Register a source through the admin API; return its API key."""
    body = {"source_id": source_id, "name": source_id.title(), "channel": channel}
    response = await client.post(
        "/v1/sources", json={**body, "rate_limit_per_minute": rate}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    return str(response.json()["api_key"])


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """Migrate, then run the app's lifespan around the block."""
    await asyncio.to_thread(upgrade, settings.database_url)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def client_for(app: FastAPI, key: str | None = None) -> httpx.AsyncClient:
    """A client talking to the app in-process, sending key as its bearer credential."""
    headers = bearer(key) if key else {}
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL, headers=headers)


@asynccontextmanager
async def running_intake(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A started intake and a client with no credential of its own."""
    async with running_app(settings) as app, client_for(app) as client:
        yield client


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        public_url=PUBLIC_URL,
        admin_token=ADMIN_TOKEN,
    )


@pytest.fixture
def intake_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings as CONVEYOR_INTAKE_* variables, for the command line."""
    monkeypatch.setenv("CONVEYOR_INTAKE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CONVEYOR_INTAKE_BUS_URL", settings.bus_url)
    monkeypatch.setenv("CONVEYOR_INTAKE_ADMIN_TOKEN", settings.admin_token)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """A started intake app."""
    async with running_app(settings) as app:
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client with no credential of its own."""
    async with client_for(app) as client:
        yield client


@pytest.fixture
async def website(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client posting as the registered source ``website`` (channel web_form)."""
    async with client_for(app, await register_source(client, "website")) as authorised:
        yield authorised
