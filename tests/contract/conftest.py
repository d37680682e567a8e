"""Contract fixtures: each port's suite runs against every implementation."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events.catalogue import build_registry
from conveyor.events.store import EventStore, create_engine, event_store_metadata
from conveyor.events.transport import Transport
from conveyor.events.transport.embedded import EmbeddedTransport
from conveyor.events.transport.kafka import KafkaTransport

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
TRANSPORTS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("kafka", id="kafka", marks=pytest.mark.kafka),
]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, unique_name: str) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    server: Any = request.getfixturevalue("postgres_server")
    return str(server.create_database(unique_name))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(event_store_metadata().create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def store() -> EventStore:
    return EventStore(build_registry())


@pytest.fixture(params=TRANSPORTS)
async def transport(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Transport]:
    chosen: Transport
    if request.param == "embedded":
        chosen = EmbeddedTransport.from_url(f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}")
    else:
        # a namespace of the test's own: the suite runs on names as the broker prefixes them
        chosen = KafkaTransport.from_url(request.getfixturevalue("kafka_bus_url"), partitions=3)
    yield chosen
    await chosen.close()
