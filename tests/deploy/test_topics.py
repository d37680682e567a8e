"""The topic creation script shared by Compose and Kubernetes, run with a recording kafka-topics."""

from __future__ import annotations

import os
import subprocess
from itertools import pairwise
from pathlib import Path

from conveyor.events.catalogue.topics import ALL, dead_letter_topic
from conveyor.events.transport.kafka import DEFAULT_PARTITIONS, KafkaTransport
from conveyor.followup.bootstrap import CONSUMER_GROUP as FOLLOWUP_GROUP
from conveyor.intake.bootstrap import CONSUMER_GROUP as INTAKE_GROUP
from conveyor.router.bootstrap import CONSUMER_GROUP as ROUTER_GROUP
from conveyor.router.bootstrap import KPI_GROUP
from tests.deploy.tools import KUBERNETES

SCRIPT = KUBERNETES / "base" / "create-topics.sh"
GROUPS = (INTAKE_GROUP, ROUTER_GROUP, KPI_GROUP, FOLLOWUP_GROUP)  # every consumer group
RECORDER = '#!/bin/sh\nprintf "%s\\n" "$*" >> "$CALLS"\n'


def created_with(tmp_path: Path, **settings: str) -> list[list[str]]:
    """The kafka-topics.sh calls the script makes with these settings, each split in words."""
    recorder = tmp_path / "kafka-topics.sh"
    recorder.write_text(RECORDER)
    recorder.chmod(0o755)
    calls = tmp_path / "calls"
    env = {**os.environ, "KAFKA_TOPICS": str(recorder), "CALLS": str(calls), **settings}
    subprocess.run(["sh", str(SCRIPT)], env=env, check=True, capture_output=True, timeout=30)
    return [line.split() for line in calls.read_text().splitlines()]


def option(call: list[str], name: str) -> str:
    """The value given to an option of one call."""
    return call[call.index(name) + 1]


def configs(call: list[str]) -> set[str]:
    """Every --config a call sets."""
    return {value for flag, value in pairwise(call) if flag == "--config"}


def test_the_script_creates_every_event_topic_and_each_groups_dead_letter_topic(
    tmp_path: Path,
) -> None:
    calls = created_with(tmp_path, BOOTSTRAP_SERVERS="kafka:9092")
    expected = {*ALL, *(dead_letter_topic(group) for group in GROUPS)}
    assert {option(call, "--topic") for call in calls} == expected
    assert all(option(call, "--bootstrap-server") == "kafka:9092" for call in calls)


def test_new_topics_get_as_many_partitions_as_the_services_would_create(tmp_path: Path) -> None:
    calls = created_with(tmp_path, BOOTSTRAP_SERVERS="kafka:9092")
    assert {option(call, "--partitions") for call in calls} == {str(DEFAULT_PARTITIONS)}
    assert {option(call, "--replication-factor") for call in calls} == {"3"}
    assert all("min.insync.replicas=2" in configs(call) for call in calls)


def test_events_are_kept_for_good_and_dead_letters_for_thirty_days(tmp_path: Path) -> None:
    calls = created_with(tmp_path, BOOTSTRAP_SERVERS="kafka:9092")
    retention = {option(call, "--topic"): configs(call) for call in calls}
    for topic in ALL:
        assert "retention.ms=-1" in retention[topic]
    for group in GROUPS:
        assert f"retention.ms={30 * 24 * 3600 * 1000}" in retention[dead_letter_topic(group)]


def test_a_one_broker_cluster_gets_one_replica(tmp_path: Path) -> None:
    calls = created_with(
        tmp_path, BOOTSTRAP_SERVERS="kafka:9092", REPLICATION_FACTOR="1", MIN_INSYNC_REPLICAS="1"
    )
    assert {option(call, "--replication-factor") for call in calls} == {"1"}
    assert all("min.insync.replicas=1" in configs(call) for call in calls)


def test_existing_topics_are_left_as_they_are(tmp_path: Path) -> None:
    calls = created_with(tmp_path, BOOTSTRAP_SERVERS="kafka:9092")
    assert all("--create" in call and "--if-not-exists" in call for call in calls)
    assert not any("--alter" in call for call in calls)


def test_the_script_refuses_to_run_without_bootstrap_servers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOOTSTRAP_SERVERS"}
    done = subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert "BOOTSTRAP_SERVERS" in done.stderr


def test_a_bus_namespace_prefixes_every_topic_as_the_services_would(tmp_path: Path) -> None:
    calls = created_with(tmp_path, BOOTSTRAP_SERVERS="kafka:9092", BUS_NAMESPACE="staging")
    bus = KafkaTransport.from_url("kafka://kafka:9092?namespace=staging")
    expected = {bus.kafka_topic(t) for t in (*ALL, *(dead_letter_topic(g) for g in GROUPS))}
    assert {option(call, "--topic") for call in calls} == expected
    retention = {option(call, "--topic"): configs(call) for call in calls}
    assert "retention.ms=-1" in retention["staging.conveyor.leads.v1"]
    assert f"retention.ms={30 * 24 * 3600 * 1000}" in retention["staging.conveyor.router.dlq"]
