"""deploy/kubernetes rendered by kustomize, checked against the Kubernetes schemas
(kubernetes-validate, offline) and KEDA's ScaledObject CRD schema kept in the repository."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.tools import KUBERNETES, OVERLAYS, by_kind, render

KUBERNETES_VERSION = "1.30"
CRD = KUBERNETES / "crds" / "keda-scaledobject.yaml"
TREES = ("base", *(f"overlays/{o}" for o in OVERLAYS))


@pytest.fixture(scope="module", params=TREES)
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Every object one kustomization renders."""
    return render(KUBERNETES / request.param)


def strict(schema: Any) -> Any:
    """An openAPIV3Schema as JSON Schema that, like strict field validation, refuses
    fields it does not declare."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) for key, value in schema.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def scaled_object_schema() -> dict[str, Any]:
    """The v1alpha1 schema of KEDA's ScaledObject CRD, strict."""
    crd = yaml.safe_load(CRD.read_text())
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    return dict(strict(version["schema"]["openAPIV3Schema"]))


def crd_errors(obj: dict[str, Any]) -> list[str]:
    """Why a ScaledObject does not match the CRD schema (nothing when it does)."""
    validator = jsonschema.Draft7Validator(scaled_object_schema())
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(obj)]


def test_every_core_object_passes_the_kubernetes_schemas(rendered: list[dict[str, Any]]) -> None:
    core = [o for o in rendered if o["kind"] != "ScaledObject"]
    assert {o["kind"] for o in core} >= {"Deployment", "Service", "ConfigMap", "Job"}
    for obj in core:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_every_scaled_object_matches_kedas_crd_schema(rendered: list[dict[str, Any]]) -> None:
    scaled = by_kind(rendered, "ScaledObject")
    assert set(scaled) == {"router", "followup"}
    for obj in scaled.values():
        assert obj["apiVersion"] == "keda.sh/v1alpha1"
        assert crd_errors(obj) == []


def test_the_crd_schema_refuses_a_misspelt_field_and_a_missing_trigger_type() -> None:
    obj = render(KUBERNETES / "base")
    router = copy.deepcopy(by_kind(obj, "ScaledObject")["router"])
    router["spec"]["minReplicas"] = router["spec"].pop("minReplicaCount")
    del router["spec"]["triggers"][0]["type"]
    errors = " ".join(crd_errors(router))
    assert "minReplicas" in errors
    assert "'type' is a required property" in errors


def test_the_kept_crd_is_itself_a_valid_custom_resource_definition() -> None:
    kubernetes_validate.validate(yaml.safe_load(CRD.read_text()), KUBERNETES_VERSION, strict=True)


def test_the_kubernetes_schemas_refuse_a_misspelt_probe_field() -> None:
    deployment = copy.deepcopy(by_kind(render(KUBERNETES / "base"), "Deployment")["intake"])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"]["httpGet"]["paht"] = "/readyz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
