"""Fixtures for the router's delivery tests: a router app started with settings overrides
(the same database across restarts) and a real receiver verifying every webhook."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from conveyor.events import Event
from conveyor.events.catalogue import build_registry
from conveyor.events.migrate import upgrade
from conveyor.events.store import EventStore, create_engine
from conveyor.router.adapters import MIGRATIONS
from conveyor.router.config import Settings
from conveyor.router.entrypoints.app import create_app
from tests.integration.router.receiver import Receiver, create_receiver
from tests.support import running_server

Router = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    state = Receiver()
    async with running_server(create_receiver(state)) as url:
        yield state, url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'router.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        webhook_require_https=False,
        webhook_allow_loopback=True,
        webhook_timeout=5.0,  # the receiver shares the test's event loop: no test but the
        # timeouts one (which asks for less) may see an attempt time out on a busy machine
        webhook_retry_schedule=[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
        webhook_unhealthy_after=100,
    )


@pytest.fixture
def router(settings: Settings) -> Router:
    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        live = Settings.model_validate({**settings.model_dump(), **overrides})
        await asyncio.to_thread(upgrade, live.database_url, str(MIGRATIONS))
        app = create_app(live)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://router") as client,
        ):
            yield client

    return start


async def register(
    client: httpx.AsyncClient, receiver: Receiver, url: str, rep_id: str, **fields: Any
) -> dict[str, Any]:
    body = {"rep_id": rep_id, "name": rep_id, "role": "hunter", **fields}
    body.setdefault("webhook_url", f"{url}/hooks/{rep_id}")
    response = await client.post("/v1/reps", json=body)
    assert response.status_code == 201, response.text
    rep: dict[str, Any] = response.json()
    receiver.secrets[rep_id] = [rep["webhook_secret"]]
    return rep


async def events(settings: Settings) -> list[Event]:
    engine, store = create_engine(settings.database_url), EventStore(build_registry())
    async with engine.connect() as conn:
        got = [r.envelope.data for r in await store.read_all(conn, after=0, limit=100_000)]
    await engine.dispose()
    return got


def named(found: list[Event], name: str) -> list[Any]:
    return [e for e in found if type(e).__name__ == name]
