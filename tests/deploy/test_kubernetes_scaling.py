"""Who scales each service on what, in each season, as rendered from deploy/kubernetes."""

from __future__ import annotations

from typing import Any

from conveyor.events.transport.kafka import DEFAULT_PARTITIONS
from conveyor.followup import bootstrap as followup
from conveyor.followup.config import Settings as FollowupSettings
from conveyor.router import bootstrap as router
from conveyor.router.config import Settings as RouterSettings
from tests.deploy.tools import KUBERNETES, OVERLAYS, by_kind, container, render

UNUSED = "sqlite+aiosqlite:///never-opened.db"  # building a service connects to nothing


def subscribed(runtime: Any, group: str) -> tuple[str, set[str]]:
    """A consumer group and the topics the service's code subscribes it to."""
    [topics] = [s.topics for s in runtime.subscriptions if s.group == group]
    return group, set(topics)


CONSUMED = {  # what KEDA watches: the group that does each service's work
    "router": subscribed(
        router.bootstrap(RouterSettings(database_url=UNUSED, bus_url=UNUSED)).runtime,
        router.CONSUMER_GROUP,
    ),
    "followup": subscribed(
        followup.bootstrap(FollowupSettings(database_url=UNUSED, bus_url=UNUSED)).runtime,
        followup.CONSUMER_GROUP,
    ),
}


def test_intake_scales_on_cpu_with_a_horizontal_pod_autoscaler(
    overlay: list[dict[str, Any]],
) -> None:
    hpa = by_kind(overlay, "HorizontalPodAutoscaler")["intake"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "intake",
    }
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]


def kafka_address_of(objects: list[dict[str, Any]], name: str, variable: str) -> str:
    """The Kafka address a Deployment's container variable takes from its ConfigMap."""
    [env] = [
        e for e in container(by_kind(objects, "Deployment")[name])["env"] if e["name"] == variable
    ]
    ref = env["valueFrom"]["configMapKeyRef"]
    return str(by_kind(objects, "ConfigMap")[ref["name"]]["data"][ref["key"]])


def test_router_and_followup_scale_on_their_groups_lag_up_to_the_partitions(
    overlay: list[dict[str, Any]],
) -> None:
    for name, (group, topics) in CONSUMED.items():
        spec = by_kind(overlay, "ScaledObject")[name]["spec"]
        lag = [t["metadata"] for t in spec["triggers"] if t["type"] == "kafka"]
        assert {t["consumerGroup"] for t in lag} == {group}
        assert {t["topic"] for t in lag} == topics
        assert {t["offsetResetPolicy"] for t in lag} == {"earliest"}
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= DEFAULT_PARTITIONS


def test_keda_reads_kafkas_address_from_the_deployment_it_scales(
    overlay: list[dict[str, Any]],
) -> None:
    for name in CONSUMED:
        spec = by_kind(overlay, "ScaledObject")[name]["spec"]
        assert spec["scaleTargetRef"]["envSourceContainerName"] == name
        lag = [t["metadata"] for t in spec["triggers"] if t["type"] == "kafka"]
        [variable] = {t["bootstrapServersFromEnv"] for t in lag}
        assert kafka_address_of(overlay, name, variable) == "kafka:9092"


def season_floor(objects: list[dict[str, Any]], name: str) -> int:
    """The replicas a ScaledObject's cron trigger holds through the working day."""
    spec = by_kind(objects, "ScaledObject")[name]["spec"]
    [cron] = [t for t in spec["triggers"] if t["type"] == "cron"]
    assert {"timezone", "start", "end"} <= set(cron["metadata"])
    return int(cron["metadata"]["desiredReplicas"])


def test_the_peak_season_runs_more_of_every_service_than_the_off_season() -> None:
    off, peak = (render(KUBERNETES / "overlays" / o) for o in OVERLAYS)
    off_hpa, peak_hpa = (
        by_kind(o, "HorizontalPodAutoscaler")["intake"]["spec"] for o in (off, peak)
    )
    assert peak_hpa["minReplicas"] > off_hpa["minReplicas"]
    assert peak_hpa["maxReplicas"] > off_hpa["maxReplicas"]
    for name in CONSUMED:
        assert season_floor(peak, name) > season_floor(off, name)
        off_max, peak_max = (
            by_kind(o, "ScaledObject")[name]["spec"]["maxReplicaCount"] for o in (off, peak)
        )
        assert peak_max > off_max


def test_the_operations_guide_states_each_seasons_replica_ranges() -> None:
    guide = (KUBERNETES.parents[1] / "docs" / "operations.md").read_text()
    off, peak = (render(KUBERNETES / "overlays" / o) for o in OVERLAYS)
    hpas = [by_kind(o, "HorizontalPodAutoscaler")["intake"]["spec"] for o in (off, peak)]
    row = " | ".join(f"{h['minReplicas']} to {h['maxReplicas']}" for h in hpas)
    assert f"| {row} |" in guide
    for name in CONSUMED:
        ranges = [
            f"{s['minReplicaCount']} to {s['maxReplicaCount']}, floor {season_floor(o, name)}"
            for o in (off, peak)
            for s in [by_kind(o, "ScaledObject")[name]["spec"]]
        ]
        assert f"| {' | '.join(ranges)} |" in guide, name


def test_switching_seasons_changes_the_autoscalers_and_restarts_no_pod() -> None:
    off, peak = (render(KUBERNETES / "overlays" / o) for o in OVERLAYS)
    for kind in ("Deployment", "Job", "CronJob", "ConfigMap", "Service", "PodDisruptionBudget"):
        assert by_kind(off, kind) == by_kind(peak, kind), kind
