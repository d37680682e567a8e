"""Every playbook file is valid, and what it configures is what the services accept."""

from dataclasses import asdict
from typing import Any

import pytest
import yaml

from conveyor.devkit import playbooks_model
from conveyor.intake.domain.checklist import default_checklist
from conveyor.intake.entrypoints.qualification_api import ChecklistIn
from conveyor.intake.entrypoints.schemas import LeadIn
from conveyor.intake.entrypoints.sources_api import SourceIn
from conveyor.router.domain.policy import policy_from_dict
from conveyor.router.entrypoints.accounts_api import KeyAccountIn
from conveyor.router.entrypoints.schemas import RepIn

NAMES = playbooks_model.names()
STRUCTURES = {
    "one-level",
    "rep-with-assistant",
    "lead-chopper",
    "two-level",
    "three-level",
    "by-territory",
    "by-product",
    "by-market",
    "by-key-account",
    "mixed",
}


def test_there_is_a_playbook_for_every_structure_of_the_sales_literature() -> None:
    assert set(NAMES) == STRUCTURES


@pytest.mark.parametrize("name", NAMES)
def test_a_playbook_file_reads_and_is_named_as_its_file(name: str) -> None:
    assert playbooks_model.read(name).name == name


@pytest.mark.parametrize("name", NAMES)
def test_a_playbooks_policy_is_accepted_by_the_routers_policy_parser(name: str) -> None:
    policy = playbooks_model.read(name).policy
    parsed = policy_from_dict(1, policy.rules, policy.fallback)
    assert [r.name for r in parsed.rules] == [r["name"] for r in policy.rules]


@pytest.mark.parametrize("name", NAMES)
def test_a_playbooks_reps_and_key_accounts_are_accepted_by_the_routers_api(name: str) -> None:
    book = playbooks_model.read(name)
    for rep in book.reps:
        assert RepIn.model_validate(rep.router_body()).rep_id == rep.rep_id
    for account in book.key_accounts:
        assert KeyAccountIn.model_validate(account.model_dump()).owner_rep_id
    assert {r.role for r in book.reps} <= {"hunter", "farmer", "team_lead"}


@pytest.mark.parametrize("name", NAMES)
def test_a_playbooks_sources_sieve_and_leads_are_accepted_by_intakes_api(name: str) -> None:
    book = playbooks_model.read(name)
    for source in book.sources:
        SourceIn.model_validate(source.model_dump(exclude_none=True))
    assert book.checklist is not None
    ChecklistIn.model_validate(book.checklist)
    for lead in book.scenario:
        LeadIn.model_validate(lead.lead)


def test_the_standard_sieve_is_intakes_built_in_checklist() -> None:
    built_in = {k: v for k, v in asdict(default_checklist()).items() if k != "version"}
    written = ChecklistIn.model_validate(playbooks_model.read("one-level").checklist)
    assert written.model_dump() == ChecklistIn.model_validate(_lists(built_in)).model_dump()


def _lists(data: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def test_a_scenario_lead_expecting_a_rep_outside_the_playbook_is_refused(tmp_path: Any) -> None:
    data = yaml.safe_load(playbooks_model.path_of("one-level").read_text())
    data["scenario"][0]["expect"]["rep"] = "nobody"
    data["policy"]["rules"].append({"name": "empty", "pool": "nowhere"})
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(data))

    with pytest.raises(ValueError, match="nobody is not a rep") as refused:
        playbooks_model.read(str(tmp_path / "broken.yaml"))

    assert "rule empty: nobody with role hunter in pool nowhere" in str(refused.value)


def test_an_unknown_field_in_a_playbook_is_refused(tmp_path: Any) -> None:
    data = yaml.safe_load(playbooks_model.path_of("one-level").read_text())
    data["reps"][0]["teritories"] = ["DE"]
    (tmp_path / "typo.yaml").write_text(yaml.safe_dump(data))

    with pytest.raises(ValueError, match="teritories"):
        playbooks_model.read(str(tmp_path / "typo.yaml"))
