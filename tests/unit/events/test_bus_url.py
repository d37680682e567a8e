"""Bus URLs: a Kafka URL may carry a namespace; a malformed URL or namespace is refused with
a message naming the problem, before anything connects."""

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conveyor.events.service_cli import run
from conveyor.events.transport import check_bus_url, transport_from_url
from conveyor.events.transport.embedded import EmbeddedTransport
from conveyor.events.transport.kafka import (
    MAX_NAMESPACE_LENGTH,
    KafkaTransport,
    check_namespace,
    parse_url,
)


def test_a_url_without_a_namespace_keeps_the_names_as_they_are() -> None:
    assert parse_url("kafka://k1:9092,k2:9092") == ("k1:9092,k2:9092", None)
    transport = transport_from_url("kafka://k1:9092,k2:9092")
    assert isinstance(transport, KafkaTransport)
    assert transport.bootstrap_servers == "k1:9092,k2:9092"
    assert transport.namespace is None
    assert transport.kafka_topic("conveyor.leads.v1") == "conveyor.leads.v1"
    assert transport.kafka_group("conveyor.router") == "conveyor.router"


def test_a_namespace_prefixes_topics_and_groups_with_a_dot() -> None:
    transport = transport_from_url("kafka://k1:9092,k2:9092?namespace=staging")
    assert isinstance(transport, KafkaTransport)
    assert transport.bootstrap_servers == "k1:9092,k2:9092"
    assert transport.namespace == "staging"
    assert transport.kafka_topic("conveyor.leads.v1") == "staging.conveyor.leads.v1"
    assert transport.kafka_group("conveyor.router") == "staging.conveyor.router"


@pytest.mark.parametrize(
    "namespace", ["staging", "team-a", "team_b", "eu.staging", "A1", "x" * MAX_NAMESPACE_LENGTH]
)
def test_legal_namespaces_are_taken(namespace: str) -> None:
    assert check_namespace(namespace) == namespace
    assert parse_url(f"kafka://k:9092?namespace={namespace}") == ("k:9092", namespace)


@pytest.mark.parametrize(
    ("namespace", "problem"),
    [
        ("", "is empty"),
        ("two words", "not a legal part of a Kafka topic name"),
        ("a/b", "not a legal part of a Kafka topic name"),
        ("stagé", "not a legal part of a Kafka topic name"),
        (".staging", "not a legal part of a Kafka topic name"),
        ("staging.", "not a legal part of a Kafka topic name"),
        ("eu..staging", "not a legal part of a Kafka topic name"),
        ("x" * (MAX_NAMESPACE_LENGTH + 1), f"at most {MAX_NAMESPACE_LENGTH}"),
    ],
)
def test_an_illegal_namespace_is_refused_saying_why(namespace: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_namespace(namespace)
    with pytest.raises(ValueError, match=problem):
        transport_from_url(f"kafka://k:9092?namespace={namespace}")
    with pytest.raises(ValueError, match=problem):
        KafkaTransport("k:9092", namespace=namespace)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("kafka://k:9092?namespace=", "namespace is empty"),
        ("kafka://k:9092?namespace=a%20b", "'a b' is not a legal part"),
        ("kafka://k:9092?ns=staging", "unknown option 'ns'"),
        ("kafka://k:9092?namespace=a&namespace=b", "gives the namespace twice"),
        ("kafka://k:9092/staging", "has a path"),
        ("kafka://", "names no bootstrap servers"),
        ("kafka://?namespace=staging", "names no bootstrap servers"),
        ("kafka://k:9092?&", "query is not namespace=NAME"),
    ],
)
def test_a_malformed_kafka_url_is_refused_saying_why(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_bus_url(url)
    with pytest.raises(ValueError, match=problem):
        transport_from_url(url)


def test_an_embedded_bus_url_with_a_namespace_is_refused_without_quoting_it() -> None:
    url = "postgresql+asyncpg://conveyor:s3cret@db:5432/bus?namespace=staging"
    with pytest.raises(ValueError, match="namespace is for Kafka only") as refused:
        transport_from_url(url)
    assert "s3cret" not in str(refused.value)


def test_an_embedded_bus_url_without_a_namespace_is_taken() -> None:
    check_bus_url("postgresql+asyncpg://conveyor:s3cret@db:5432/bus?ssl=require")
    transport = transport_from_url("sqlite+aiosqlite:///var/bus.db")
    assert isinstance(transport, EmbeddedTransport)


def test_a_service_with_a_bad_bus_url_stops_at_start_naming_the_setting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = SimpleNamespace(
        database_url="sqlite+aiosqlite:///never-made.db",
        bus_url="kafka://k:9092?namespace=two words",
        host="127.0.0.1",
        port=0,
    )

    def never() -> Any:
        raise AssertionError("nothing is built with a bad bus URL")

    with pytest.raises(SystemExit) as stopped:
        run(
            ["serve"],
            prog="conveyor-router",
            settings=settings,
            create_app=never,
            build=never,
            migrations=Path(__file__),
        )
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "CONVEYOR_ROUTER_BUS_URL" in error
    assert "'two words' is not a legal part of a Kafka topic name" in error
