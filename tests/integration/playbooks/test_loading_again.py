"""Loading is safe to repeat, and a playbook the router refuses changes nothing."""

from pathlib import Path

import httpx
import pytest
import yaml

from conveyor.devkit import playbooks_model
from conveyor.devkit.playbooks_http import Endpoints
from tests.integration.playbooks.cli import playbooks

pytestmark = pytest.mark.e2e


def get(url: str, token: str | None) -> list[dict[str, object]]:
    response = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    response.raise_for_status()
    result: list[dict[str, object]] = response.json()
    return result


def test_loading_a_playbook_twice_says_it_was_loaded_already_and_changes_nothing_else(
    services: Endpoints, keys_dir: Path
) -> None:
    first = playbooks("load", "two-level", services, keys_dir, "--replace")
    assert first.returncode == 0, first.stdout + first.stderr
    reps_before = get(f"{services.router}/v1/reps", services.router_token)

    again = playbooks("load", "two-level", services, keys_dir, "--replace")

    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing else changed: it was loaded already" in again.stdout
    assert "in force already, as in the playbook" in again.stdout
    headers = {"Authorization": f"Bearer {services.router_token}"}
    book = httpx.get(f"{services.router}/v1/routing/policies", headers=headers, timeout=10)
    assert book.json()["versions"][-1] == book.json()["in_force"], "drafted again"
    assert "rep hunter-ana: as in the playbook already" in again.stdout
    assert "farmer farmer-fay: portfolio as in the playbook already" in again.stdout
    assert get(f"{services.router}/v1/reps", services.router_token) == reps_before
    farmers = {f["farmer_id"]: f for f in get(f"{services.followup}/v1/farmers",
                                                 services.followup_token)}  # fmt: skip
    assert farmers["farmer-fay"]["cap"] == 150
    assert farmers["farmer-fay"]["team_lead_id"] == "lead-tess"
    assert farmers["farmer-fay"]["territories"] == ["at", "ch", "de"]


def test_a_rep_changed_by_hand_is_put_back_as_the_playbook_says(
    services: Endpoints, keys_dir: Path
) -> None:
    assert playbooks("load", "by-product", services, keys_dir, "--replace").returncode == 0
    headers = {"Authorization": f"Bearer {services.router_token}"}
    httpx.patch(f"{services.router}/v1/reps/erin", json={"product_lines": ["crm"]},
                headers=headers, timeout=10).raise_for_status()  # fmt: skip

    again = playbooks("load", "by-product", services, keys_dir)

    assert "rep erin: changed product_lines" in again.stdout
    [erin] = [r for r in get(f"{services.router}/v1/reps", services.router_token)
              if r["rep_id"] == "erin"]  # fmt: skip
    assert erin["settings"]["product_lines"] == ["erp"]


def test_a_playbook_whose_policy_the_router_refuses_registers_nothing(
    services: Endpoints, keys_dir: Path, tmp_path: Path
) -> None:
    data = yaml.safe_load(playbooks_model.path_of("one-level").read_text())
    data["reps"] = [{**rep, "rep_id": f"refused-{rep['rep_id']}"} for rep in data["reps"]]
    for lead in data["scenario"]:
        lead["expect"] = {"rep": f"refused-{lead['expect']['rep']}"}
    data["policy"]["rules"][0]["strategy"] = "coin_toss"
    data["checklist"] = None
    (tmp_path / "refused.yaml").write_text(yaml.safe_dump(data))
    versions = get(f"{services.router}/v1/routing/policies", services.router_token)

    refused = playbooks("load", str(tmp_path / "refused.yaml"), services, keys_dir)

    assert refused.returncode == 1
    assert "unknown strategy 'coin_toss'" in refused.stderr
    reps = {r["rep_id"] for r in get(f"{services.router}/v1/reps", services.router_token)}
    assert not {"refused-sam", "refused-sam-accounts"} & reps
    after = get(f"{services.router}/v1/routing/policies", services.router_token)
    assert after["in_force"] == versions["in_force"]  # type: ignore[call-overload]
