"""docker-compose.yml, checked offline by docker-compose 1.29.2 and read back as it resolves."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tools import ROOT, run, service_of, settings_fields, tool

SERVICES = {"intake": 8001, "router": 8002, "followup": 8003}
COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    """The compose file as docker-compose resolves it (anchors merged, variables filled)."""
    done = run(tool("docker-compose"), "-f", str(COMPOSE), "--profile", "observability", "config")
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config["services"]


def test_docker_compose_accepts_the_compose_file() -> None:
    done = run(tool("docker-compose"), "-f", str(COMPOSE), "config", "-q")
    assert done.returncode == 0, done.stderr


def test_docker_compose_rejects_a_compose_file_with_an_unknown_option(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("stop_grace_period:", "stop_grace_perod:"))
    done = run(
        tool("docker-compose"), "-f", str(broken), "--project-directory", str(ROOT), "config", "-q"
    )
    assert done.returncode != 0
    assert "stop_grace_perod" in done.stderr


def test_services_publish_no_host_port_so_they_scale_behind_the_load_balancer(
    resolved: dict[str, Any],
) -> None:
    for name in SERVICES:
        assert "ports" not in resolved[name], f"{name} publishes a host port: --scale would clash"
    published = {int(p["target"]) for p in resolved["lb"]["ports"]}
    assert published == set(SERVICES.values())


def test_the_load_balancer_resolves_each_service_again_and_again() -> None:
    conf = (ROOT / "deploy" / "compose" / "nginx.conf").read_text()
    assert re.search(r"^resolver 127\.0\.0\.11 valid=\d+s", conf, flags=re.M)
    for name, port in SERVICES.items():
        assert f"listen {port};" in conf
        assert f"set ${name} http://{name}:{port};" in conf
        assert f"proxy_pass ${name};" in conf


def test_each_service_serves_after_the_topics_and_its_own_migration(
    resolved: dict[str, Any],
) -> None:
    for name in SERVICES:
        after = resolved[name]["depends_on"]
        assert after["kafka-topics"]["condition"] == "service_completed_successfully"
        assert after[f"{name}-migrate"]["condition"] == "service_completed_successfully"
        assert resolved[f"{name}-migrate"]["command"] == [f"conveyor-{name}", "migrate"]
        assert resolved[name]["command"] == [f"conveyor-{name}", "serve"]


def test_each_service_is_healthy_only_when_readyz_answers(resolved: dict[str, Any]) -> None:
    for name, port in SERVICES.items():
        check = resolved[name]["healthcheck"]["test"]
        assert check[-1] == f"http://127.0.0.1:{port}/readyz"
        assert check[:2] == ["CMD", "python"]
        assert resolved["lb"]["depends_on"][name]["condition"] == "service_healthy"


def test_a_stopped_replica_has_time_to_drain_commit_and_leave_its_group(
    resolved: dict[str, Any],
) -> None:
    for name in SERVICES:
        grace = resolved[name]["stop_grace_period"]
        assert int(grace.removesuffix("s")) > 10, "uvicorn alone waits 10 s for requests"


def test_each_service_has_its_own_database(resolved: dict[str, Any]) -> None:
    created = (ROOT / "deploy" / "compose" / "create-databases.sql").read_text()
    for name in SERVICES:
        url = resolved[name]["environment"][f"CONVEYOR_{name.upper()}_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and url.endswith(f"@postgres/{name}")
        assert f"CREATE DATABASE {name};" in created
        assert (
            resolved[name]["environment"][f"CONVEYOR_{name.upper()}_BUS_URL"]
            == "kafka://kafka:9092"
        )


def test_every_setting_given_to_a_service_is_one_it_reads(resolved: dict[str, Any]) -> None:
    for name in [*SERVICES, *(f"{s}-migrate" for s in SERVICES)]:
        for variable in resolved[name]["environment"]:
            service = service_of(variable)
            assert service is not None, f"{name}: {variable} is no Conveyor setting"
            assert variable in settings_fields(service), f"{name}: {service} ignores {variable}"


def test_prometheus_scrapes_every_replica_of_every_service() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "compose" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job["dns_sd_configs"][0] for job in config["scrape_configs"]}
    assert {name: (job["names"], job["port"], job["type"]) for name, job in jobs.items()} == {
        name: ([name], port, "A") for name, port in SERVICES.items()
    }


def test_followups_admin_token_is_passed_only_when_set(resolved: dict[str, Any]) -> None:
    assert resolved["followup"]["environment"]["CONVEYOR_FOLLOWUP_ADMIN_TOKEN"] is None
