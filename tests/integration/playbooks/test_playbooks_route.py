"""Every playbook loads into running services with one command, and its scenario leads
route as the structure prescribes."""

from pathlib import Path

import httpx
import pytest

from conveyor.devkit import playbooks_model
from conveyor.devkit.playbooks_http import Endpoints
from conveyor.devkit.playbooks_scenario import read_keys, run_scenario
from tests.integration.playbooks.cli import playbooks

pytestmark = pytest.mark.e2e


def router_get(services: Endpoints, path: str) -> object:
    headers = {"Authorization": f"Bearer {services.router_token}"}
    response = httpx.get(services.router + path, headers=headers, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.mark.parametrize("name", playbooks_model.names())
def test_a_loaded_playbook_routes_its_scenario_leads_as_it_prescribes(
    name: str, services: Endpoints, keys_dir: Path
) -> None:
    book = playbooks_model.read(name)
    loaded = playbooks("load", name, services, keys_dir, "--replace")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert f"{name}: policy v" in loaded.stdout

    outcomes = run_scenario(book, services, read_keys(keys_dir))

    for outcome, lead in zip(outcomes, book.scenario, strict=True):
        expect = lead.expect
        assert outcome.verdict == expect.verdict, outcome.line()
        if expect.verdict != "target":
            continue
        [assignment] = router_get(services, f"/v1/assignments?lead_id={outcome.lead_id}")
        assert assignment["rep_id"] in expect.reps(), outcome.line()
        assert expect.pool in (None, assignment["pool"]), outcome.line()
        assert expect.rule in (None, assignment["rule"]), outcome.line()
        if expect.farmer is not None:
            assert assignment["status"] == "won", outcome.line()
            assert outcome.farmer_id == expect.farmer, outcome.line()


def test_the_replaced_structure_leaves_only_the_playbooks_reps_active(
    services: Endpoints, keys_dir: Path
) -> None:
    assert playbooks("load", "by-product", services, keys_dir, "--replace").returncode == 0
    assert playbooks("load", "one-level", services, keys_dir, "--replace").returncode == 0

    active = {r["rep_id"] for r in router_get(services, "/v1/reps") if r["active"]}

    assert active == {r.rep_id for r in playbooks_model.read("one-level").reps}
