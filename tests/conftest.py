"""Session-wide fixtures giving tests a real Kafka broker and a real PostgreSQL server.

Both start lazily, on first request, so unit tests never pay for them. Point the tests at
servers you already run with ``CONVEYOR_TEST_KAFKA_BOOTSTRAP=host:port`` and
``CONVEYOR_TEST_POSTGRES_URL=postgresql+asyncpg://user@host:port/postgres`` (an admin URL).
A server that fails to start makes the tests that need it error, never skip.

Tests share the broker but not its topics or consumer groups: a service or transport a test
starts gets a bus URL with a namespace of its own (``kafka_bus_url`` per test,
``module_kafka_bus_url`` for services a module's tests share), so it never reads what
another test published and left unconsumed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings

from conveyor.devkit.kafka import KafkaBroker
from conveyor.devkit.postgres import DatabaseServer, ExternalPostgres, PostgresServer

# Property tests are judged on what they find, never on how fast an example runs: a busy
# machine (or a library loading its data on first use) must not fail them.
settings.register_profile("conveyor", deadline=None)
settings.load_profile("conveyor")


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap servers of a Kafka broker shared by the whole session."""
    external = os.environ.get("CONVEYOR_TEST_KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    with KafkaBroker.start(workdir=tmp_path_factory.mktemp("kafka")) as broker:
        yield broker.bootstrap_servers


def namespaced_bus_url(bootstrap: str) -> str:
    """A Kafka bus URL on bootstrap with a fresh namespace: its topics and groups are new."""
    return f"kafka://{bootstrap}?namespace=ns{uuid.uuid4().hex[:10]}"


@pytest.fixture
def kafka_bus_url(kafka_bootstrap: str) -> str:
    """The session's broker under a namespace of this test's own."""
    return namespaced_bus_url(kafka_bootstrap)


@pytest.fixture(scope="module")
def module_kafka_bus_url(kafka_bootstrap: str) -> str:
    """The session's broker under a namespace of this module's own (for services that the
    module's tests share)."""
    return namespaced_bus_url(kafka_bootstrap)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[DatabaseServer]:
    """A PostgreSQL server shared by the whole session; ``create_database(name)`` gives a URL."""
    external = os.environ.get("CONVEYOR_TEST_POSTGRES_URL")
    if external:
        yield ExternalPostgres(external)
        return
    # Not under tmp_path_factory: as root the server runs as `postgres`, which cannot enter it.
    with PostgresServer.start() as server:
        yield server


@pytest.fixture
def unique_name() -> str:
    """A short unique lowercase name for a topic, consumer group or database."""
    return f"t{uuid.uuid4().hex[:10]}"
