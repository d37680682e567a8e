"""Ordered rules, targets, the fallback chain, and policy versions in time."""

from datetime import timedelta

import pytest

from conveyor.router.domain.engine import decide
from conveyor.router.domain.policy import Activation, PolicyBook, PolicyError, policy_from_dict
from tests.unit.router.builders import MONDAY_NOON, lead, rep, state

MATRIX = [
    {"name": "key accounts", "when": [{"field": "key_account", "op": "exists"}],
     "key_account_owner": True},
    {"name": "dach", "when": [{"field": "location.country", "op": "in", "value": ["DE", "AT"]}],
     "pool": "dach", "match_rep": {"product_lines": "interest.product_lines"}},
    {"name": "rest", "pool": "world", "on_no_candidate": "fallback"},
]  # fmt: skip


def test_rules_are_tried_in_order_and_the_misses_are_explained() -> None:
    routing = state(rep("ana", pools=["dach"], product_lines=["crm"]), rep("wu", pools=["world"]))
    policy = policy_from_dict(1, MATRIX, {})
    item = lead(location={"country": "DE"}, interest={"product_lines": ["crm"]})
    decision = decide(item, routing, MONDAY_NOON, policy=policy)
    assert decision.rep_id == "ana" and decision.rule == "dach"
    missed = decision.rules[0]
    assert not missed.matched and missed.reasons == ("key_account=none does not match exists none",)


def test_a_key_account_lead_goes_to_its_owner() -> None:
    routing = state(rep("ana", pools=["dach"]), rep("kim"))
    item = lead(key_account={"account_id": "acme", "owner": "kim"})
    decision = decide(item, routing, MONDAY_NOON, policy=policy_from_dict(1, MATRIX, {}))
    assert decision.rep_id == "kim" and decision.rule == "key accounts"


def test_a_matched_rule_without_candidates_falls_to_the_next_rule() -> None:
    routing = state(rep("ana", pools=["dach"], product_lines=["erp"]), rep("wu", pools=["world"]))
    item = lead(location={"country": "AT"}, interest={"product_lines": ["crm"]})
    decision = decide(item, routing, MONDAY_NOON, policy=policy_from_dict(1, MATRIX, {}))
    assert decision.rep_id == "wu" and decision.rule == "rest"
    dach = decision.rules[1]
    assert dach.matched and dach.outcome == "no eligible hunter in pool dach"
    assert decision.attempts[0].candidates[0].excluded == (
        "not in product_lines (interest.product_lines=crm; rep has [erp])"
    )


def test_the_fallback_chain_is_last_resort_pool_then_team_lead_then_unroutable() -> None:
    fallback = {"pool": "overflow", "team_lead": True}
    policy = policy_from_dict(1, MATRIX, fallback)
    routing = state(rep("wu", pools=["world"], active=False), rep("ovo", pools=["overflow"]))
    assert decide(lead(), routing, MONDAY_NOON, policy=policy).fallback == "pool of last resort"
    routing.change_rep("ovo", {"capacity": {"max_open": 0}})
    routing.add_rep(rep("tl", "team_lead", pools=[], capacity={"max_open": 0}))
    by_lead = decide(lead(), routing, MONDAY_NOON, policy=policy)
    assert (by_lead.rep_id, by_lead.fallback) == ("tl", "team lead")
    routing.change_rep("tl", {"active": False})
    stuck = decide(lead(), routing, MONDAY_NOON, policy=policy)
    assert stuck.rep_id is None
    assert stuck.explanation.startswith("unroutable: no active hunter in pool world;")


def test_bad_policies_are_refused_with_the_reason() -> None:
    with pytest.raises(PolicyError, match="exactly one of pool, rep"):
        policy_from_dict(1, [{"name": "x"}], {})
    with pytest.raises(PolicyError, match="unknown operator"):
        policy_from_dict(1, [{"name": "x", "pool": "p", "when": [{"field": "a", "op": "~"}]}], {})
    with pytest.raises(PolicyError, match="unique"):
        policy_from_dict(1, [{"name": "x", "pool": "p"}, {"name": "x", "pool": "q"}], {})


def test_a_scheduled_version_takes_effect_at_its_time_and_rollback_restores_the_last() -> None:
    book = PolicyBook()
    book.add(policy_from_dict(1, [{"name": "a", "pool": "a"}], {}))
    book.add(policy_from_dict(2, [{"name": "b", "pool": "b"}], {}))
    book.activate(Activation(MONDAY_NOON, 1))
    cut_over = MONDAY_NOON + timedelta(hours=6)
    book.activate(Activation(cut_over, 2))
    assert book.active_version(cut_over - timedelta(microseconds=1)) == 1
    assert book.active_version(cut_over) == 2
    later = cut_over + timedelta(hours=1)
    assert book.previous_version(later) == 1
    book.activate(Activation(later, 1, "rolled_back"))
    assert book.active(later).rules[0].name == "a"
    assert book.active_version(MONDAY_NOON - timedelta(days=1)) == 0
