"""What the rendered Kubernetes objects promise about the services: probes, graceful stop,
migrations, the settings they read, their credentials and the order of a release."""

from __future__ import annotations

from typing import Any

from tests.deploy.tools import by_kind, container, service_of, settings_fields

SERVICES = ("intake", "router", "followup")
UVICORN_GRACE = 10


def test_probes_ask_readyz_for_traffic_and_healthz_for_life(overlay: list[dict[str, Any]]) -> None:
    for name, deployment in by_kind(overlay, "Deployment").items():
        app = container(deployment)
        ports = {p["name"] for p in app["ports"]}
        assert app["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, name
        assert app["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, name
        assert app["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert ports == {"http"}
        assert app["args"] == [f"conveyor-{name}", "serve"]


def test_a_stopping_pod_has_time_to_drain_requests_and_leave_its_group(
    overlay: list[dict[str, Any]],
) -> None:
    for deployment in by_kind(overlay, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        pre_stop = container(deployment)["lifecycle"]["preStop"]["exec"]["command"]
        assert pre_stop[0] == "sleep"
        assert pod["terminationGracePeriodSeconds"] >= int(pre_stop[1]) + UVICORN_GRACE + 5


def test_every_container_has_resource_requests_and_limits(overlay: list[dict[str, Any]]) -> None:
    tasks = [t["spec"]["jobTemplate"] for t in by_kind(overlay, "CronJob").values()]
    for kind in ("Deployment", "Job"):
        for obj in [*by_kind(overlay, kind).values(), *tasks]:
            resources = container(obj)["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"])
            assert {"cpu", "memory"} <= set(resources["limits"])


def test_each_service_has_a_rebuild_task_that_never_runs_on_its_own(
    overlay: list[dict[str, Any]],
) -> None:
    tasks = by_kind(overlay, "CronJob")
    for name in SERVICES:
        task = tasks[f"{name}-rebuild"]["spec"]
        assert task["suspend"] is True
        assert container(task["jobTemplate"])["args"] == [f"conveyor-{name}", "rebuild"]


def test_each_service_has_a_migrations_job_and_the_topics_job_exists(
    overlay: list[dict[str, Any]],
) -> None:
    jobs = by_kind(overlay, "Job")
    for name in SERVICES:
        assert container(jobs[f"{name}-migrate"])["args"] == [f"conveyor-{name}", "migrate"]
    assert container(jobs["conveyor-topics"])["command"][-1] == "/conveyor/create-topics.sh"


def env_names(obj: dict[str, Any], config_maps: dict[str, dict[str, Any]]) -> set[str]:
    """Variables a container gets, from env and from the ConfigMaps it loads whole."""
    app = container(obj)
    names = {e["name"] for e in app.get("env", [])}
    for source in app.get("envFrom", []):
        names |= set(config_maps[source["configMapRef"]["name"]]["data"])
    return names


def test_every_setting_a_service_is_given_is_one_it_reads(overlay: list[dict[str, Any]]) -> None:
    config_maps = by_kind(overlay, "ConfigMap")
    tasks = {n: t["spec"]["jobTemplate"] for n, t in by_kind(overlay, "CronJob").items()}
    objects = {**by_kind(overlay, "Deployment"), **by_kind(overlay, "Job"), **tasks}
    del objects["conveyor-topics"]  # the Kafka image's script, not a Conveyor service
    for obj in objects.values():
        for variable in env_names(obj, config_maps) - {"KAFKA_BOOTSTRAP_SERVERS"}:
            service = service_of(variable)
            assert service is not None and variable in settings_fields(service), variable


def test_credentials_come_from_each_services_own_secret(overlay: list[dict[str, Any]]) -> None:
    for name, deployment in by_kind(overlay, "Deployment").items():
        secret_refs = {
            e["valueFrom"]["secretKeyRef"]["name"]
            for e in container(deployment)["env"]
            if "secretKeyRef" in e.get("valueFrom", {})
        }
        assert secret_refs == {f"{name}-secrets"}
        bus = {e["name"]: e.get("value") for e in container(deployment)["env"]}
        assert bus[f"CONVEYOR_{name.upper()}_BUS_URL"] == "kafka://$(KAFKA_BOOTSTRAP_SERVERS)"


def test_services_and_budgets_select_their_deployments_pods(overlay: list[dict[str, Any]]) -> None:
    deployments = by_kind(overlay, "Deployment")
    for name in SERVICES:
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        service = by_kind(overlay, "Service")[name]["spec"]
        budget = by_kind(overlay, "PodDisruptionBudget")[name]["spec"]
        assert service["selector"].items() <= labels.items()
        assert budget["selector"]["matchLabels"].items() <= labels.items()
        assert budget["maxUnavailable"] == 1
        assert "replicas" not in deployments[name]["spec"], "the autoscaler owns the count"


def config_maps_used(job: dict[str, Any]) -> set[str]:
    """The ConfigMaps a Job's pod reads: env, envFrom and volumes."""
    pod = job["spec"]["template"]["spec"]
    app = container(job)
    used = {s["configMapRef"]["name"] for s in app.get("envFrom", [])}
    used |= {
        e["valueFrom"]["configMapKeyRef"]["name"]
        for e in app.get("env", [])
        if "configMapKeyRef" in e.get("valueFrom", {})
    }
    return used | {v["configMap"]["name"] for v in pod.get("volumes", []) if "configMap" in v}


def test_a_release_can_apply_the_jobs_and_what_they_read_before_the_services(
    overlay: list[dict[str, Any]],
) -> None:
    first = [
        o
        for o in overlay
        if o["metadata"].get("labels", {}).get("app.kubernetes.io/component")
        in ("config", "migrations")
    ]
    jobs = by_kind(first, "Job")
    assert set(jobs) == {"conveyor-topics", *(f"{s}-migrate" for s in SERVICES)}
    for job in jobs.values():
        assert config_maps_used(job) <= set(by_kind(first, "ConfigMap"))
