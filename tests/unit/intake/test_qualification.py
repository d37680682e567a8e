"""The sieve: each outcome, the score and its cap, temperature, lead types, the checklist."""

from datetime import date, timedelta
from typing import Any

import pytest

from conveyor.intake.domain.checklist import Checklist, Rule, default_checklist, facts_of
from conveyor.intake.domain.qualification import History, qualify

TODAY = date(2026, 11, 22)


def lead(**contact: Any) -> dict[str, Any]:
    """A lead as plain data, with the contact fields given."""
    return {
        "lead_id": "lead-1",
        "source": "website",
        "channel": contact.pop("channel", "web_form"),
        "contact": {"name": "Ada Lovelace", **contact},
        "interest": contact.pop("interest", {}),
        "utm": contact.pop("utm", {}),
    }


def verdict_of(data: dict[str, Any], checklist: Checklist | None = None, **kw: Any) -> Any:
    history = kw.pop("history", History())
    facts = facts_of(data, kw.pop("answers", None))
    return qualify(checklist or default_checklist(), facts, history, TODAY)


def test_an_email_alone_scores_forty_and_is_a_warm_target() -> None:
    verdict = verdict_of(lead(email="ada@example.com"))
    assert (verdict.outcome, verdict.score, verdict.temperature) == ("target", 40, "warm")
    assert "has an e-mail address" in verdict.reasons
    assert verdict.checklist_version == 1 and verdict.recheck_on is None


def test_a_phone_alone_scores_thirty_and_is_nurtured_with_a_recheck_date() -> None:
    verdict = verdict_of(lead(phone="+442079460000"))
    assert (verdict.outcome, verdict.score, verdict.temperature) == ("nurture", 30, "cold")
    assert verdict.recheck_on == TODAY + timedelta(days=30)
    assert verdict.reasons[0] == "score 30 below target (40)"


def test_the_score_is_capped_at_one_hundred_and_hot() -> None:
    data = lead(email="a@b.org", phone="+442079460000", company="Analytical")
    data["interest"] = {"product_lines": ["engines"]}
    verdict = verdict_of(data)
    assert (verdict.score, verdict.temperature) == (100, "hot")


def test_test_data_is_rejected_with_the_reason() -> None:
    verdict = verdict_of(lead(name="test lead", email="t@example.org"))
    assert verdict.outcome == "reject"
    assert verdict.reasons[0] == "disqualified: test data"
    assert verdict_of(lead(email="x@mailinator.com")).outcome == "reject"


COMPETITORS = Checklist(
    version=2,
    required=("interest.budget",),
    disqualifiers=(Rule("email.domain", "in", "works for a competitor", ["rival.com"]),),
    signals=(
        Rule("contact.email", "present", "has an e-mail address", weight=30),
        Rule("interest.budget", "at_least", "budget of 10k or more", 10000, weight=50),
        Rule("interest.company_size", "in", "too small", ["1-9"], weight=-40),
    ),
    target_from=60,
    nurture_from=25,
)


def test_a_competitors_domain_is_rejected_and_names_the_checklist_version() -> None:
    data = lead(email="spy@Rival.com")
    data["interest"] = {"budget": "50000"}
    verdict = verdict_of(data, COMPETITORS)
    assert (verdict.outcome, verdict.checklist_version) == ("reject", 2)
    assert "disqualified: works for a competitor" in verdict.reasons


def test_a_missing_required_fact_means_nurture_naming_it() -> None:
    verdict = verdict_of(lead(email="ada@example.org"), COMPETITORS)
    assert verdict.outcome == "nurture"
    assert verdict.reasons[0] == "missing: interest.budget"


def test_weighted_signals_add_up_and_negative_weights_subtract_to_no_less_than_zero() -> None:
    data = lead(email="ada@example.org")
    data["interest"] = {"budget": "20,000", "company_size": "1-9"}
    verdict = verdict_of(data, COMPETITORS)
    assert (verdict.score, verdict.outcome) == (40, "nurture")
    data["interest"] = {"budget": "20000"}
    assert verdict_of(data, COMPETITORS).outcome == "target"


def test_a_score_below_nurture_is_rejected() -> None:
    data = lead(phone="+442079460000")
    data["interest"] = {"budget": "5", "company_size": "1-9"}
    verdict = verdict_of(data, COMPETITORS)
    assert (verdict.outcome, verdict.score) == ("reject", 0)
    assert verdict.reasons[0] == "score 0 below nurture (25)"


def test_answers_given_by_an_operator_are_facts_the_checklist_can_use() -> None:
    checklist = Checklist(
        version=3,
        required=("answers.decision_maker",),
        signals=(Rule("answers.decision_maker", "equals", "talks to the buyer", True, 60),),
    )
    assert verdict_of(lead(email="a@b.org"), checklist).outcome == "nurture"
    answered = verdict_of(lead(email="a@b.org"), checklist, answers={"decision_maker": True})
    assert answered.outcome == "target"


@pytest.mark.parametrize(
    ("earlier", "lead_type"),
    [
        ("disqualified", "previously_refused"),
        ("customer", "repeat_customer"),
        ("qualified", "returning_prospect"),
        ("nurtured", "returning_prospect"),
    ],
)
def test_a_returning_person_gets_a_type_from_their_earlier_lead(
    earlier: str, lead_type: str
) -> None:
    verdict = verdict_of(lead(email="a@b.org"), history=History(earlier))
    assert verdict.lead_type == lead_type


def test_lead_types_from_channel_campaign_and_interest() -> None:
    assert verdict_of(lead(email="a@b.org", channel="social")).lead_type == "social"
    newsletter = lead(email="a@b.org", utm={"utm_medium": "Email"})
    assert verdict_of(newsletter).lead_type == "newsletter_subscriber"
    ready = lead(email="a@b.org", interest={"budget": "9000", "product_lines": ["engines"]})
    assert verdict_of(ready).lead_type == "ready_to_buy"
    assert verdict_of(lead(email="a@b.org")).lead_type == "new_enquiry"


def test_an_override_changes_the_outcome_and_adds_the_operators_reason() -> None:
    verdict = verdict_of(lead(email="a@b.org"))
    nurtured = verdict.overridden("nurture", "operator ann: call back in spring", TODAY, 90)
    assert nurtured.outcome == "nurture"
    assert nurtured.recheck_on == TODAY + timedelta(days=90)
    assert nurtured.reasons[-1] == "operator ann: call back in spring"
    assert nurtured.score == verdict.score


def test_a_checklist_survives_the_round_trip_through_plain_data() -> None:
    assert Checklist.from_dict(COMPETITORS.to_dict()) == COMPETITORS
    assert Checklist.from_dict(default_checklist().to_dict()) == default_checklist()


def test_facts_flatten_the_lead_and_name_the_email_domain() -> None:
    facts = facts_of(lead(email="Ada@Example.ORG", utm={"utm_source": "x"}), {"budget": "1k"})
    assert facts["contact.email"] == "Ada@Example.ORG"
    assert facts["email.domain"] == "example.org"
    assert facts["utm.utm_source"] == "x"
    assert facts["answers.budget"] == "1k"


@pytest.mark.parametrize(
    ("op", "value", "fact", "holds"),
    [
        ("present", None, "x", True),
        ("absent", None, None, True),
        ("equals", "Web_Form", "web_form", True),
        ("in", ["a", "b"], "B", True),
        ("not_in", ["a"], "b", True),
        ("contains", "demo", "wants a Demo soon", True),
        ("contains", "engines", ["engines", "looms"], True),
        ("ends_with", [".gov", ".mil"], "x.gov", True),
        ("matches", r"^\d+$", "123", True),
        ("at_least", 10, "9", False),
        ("at_least", 10, "lots", False),
    ],
)
def test_each_rule_operator(op: str, value: Any, fact: Any, holds: bool) -> None:
    assert Rule("f", op, "reason", value).holds({"f": fact}) is holds
