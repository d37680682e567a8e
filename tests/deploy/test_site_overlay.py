"""The site overlay that docs/operations.md shows, rendered as an operator would use it."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest

from tests.deploy.tools import ROOT, by_kind, render

GUIDE = ROOT / "docs" / "operations.md"


def site_example() -> str:
    """The guide's site/kustomization.yaml."""
    [block] = re.findall(r"```yaml\n(# site/kustomization\.yaml.*?)```", GUIDE.read_text(), re.S)
    return block


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The example rendered beside a copy of deploy/."""
    home = tmp_path_factory.mktemp("operator")
    shutil.copytree(ROOT / "deploy", home / "deploy")
    (home / "site").mkdir()
    (home / "site" / "kustomization.yaml").write_text(site_example())
    return render(home / "site")


def env_of(objects: list[dict[str, Any]], prefix: str) -> dict[str, str]:
    """The data of the generated ConfigMap whose name starts with prefix."""
    [data] = [c["data"] for n, c in by_kind(objects, "ConfigMap").items() if n.startswith(prefix)]
    return dict(data)


def test_the_site_example_points_services_topics_and_keda_at_the_sites_kafka(
    objects: list[dict[str, Any]],
) -> None:
    kafka = "kafka-0.kafka:9092,kafka-1.kafka:9092"
    config_maps = by_kind(objects, "ConfigMap")
    for kind in ("Deployment", "Job"):
        for obj in by_kind(objects, kind).values():
            [app] = obj["spec"]["template"]["spec"]["containers"]
            refs = [
                e["valueFrom"].get("configMapKeyRef", {}) for e in app["env"] if "valueFrom" in e
            ]
            addresses = {
                config_maps[r["name"]]["data"][r["key"]]
                for r in refs
                if r.get("key") == "bootstrap-servers"
            }
            assert addresses == {kafka}


def test_the_site_example_sets_the_image_and_public_addresses(
    objects: list[dict[str, Any]],
) -> None:
    for deployment in by_kind(objects, "Deployment").values():
        [app] = deployment["spec"]["template"]["spec"]["containers"]
        assert app["image"] == "registry.example/conveyor:1.4.0"
    intake = env_of(objects, "intake-settings")
    assert intake["CONVEYOR_INTAKE_PUBLIC_URL"] == "https://leads.example"
    assert intake["CONVEYOR_INTAKE_PORT"] == "8001"
    assert (
        env_of(objects, "router-settings")["CONVEYOR_ROUTER_PUBLIC_URL"] == "https://router.example"
    )


def test_the_site_examples_configuration_is_still_applied_before_the_services(
    objects: list[dict[str, Any]],
) -> None:
    for config_map in by_kind(objects, "ConfigMap").values():
        assert config_map["metadata"]["labels"]["app.kubernetes.io/component"] == "config"
