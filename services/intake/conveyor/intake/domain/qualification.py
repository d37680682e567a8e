"""The sieve: every lead gets target, nurture (with a recheck date) or reject, with reasons,
a score from 0 to 100, a temperature and a lead type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from conveyor.intake.domain.checklist import Checklist, missing

MAX_SCORE = 100
OUTCOMES = ("target", "nurture", "reject")
NEWSLETTER_MEDIUMS = ("email", "newsletter")


@dataclass(frozen=True)
class History:
    """What intake knows of the person from before: the earlier lead's outcome, if any."""

    earlier_outcome: str | None = None
    """``qualified``, ``nurtured``, ``disqualified`` or ``customer``; None for a first lead."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of qualification and everything behind it."""

    outcome: str
    score: int
    temperature: str
    reasons: tuple[str, ...]
    lead_type: str
    checklist_version: int
    recheck_on: date | None = None

    def overridden(self, outcome: str, reason: str, today: date, recheck_days: int) -> Verdict:
        """The same verdict with another outcome, chosen by a person for a reason."""
        recheck = today + timedelta(days=recheck_days) if outcome == "nurture" else None
        reasons = (*self.reasons, reason)
        return replace(self, outcome=outcome, reasons=reasons, recheck_on=recheck)


def qualify(
    checklist: Checklist, facts: Mapping[str, Any], history: History, today: date
) -> Verdict:
    """Run the checklist over a lead's facts."""
    score, reasons = _score(checklist, facts)
    outcome, why = _outcome(checklist, facts, score)
    recheck = today + timedelta(days=checklist.recheck_days) if outcome == "nurture" else None
    return Verdict(
        outcome=outcome,
        score=score,
        temperature=_temperature(checklist, score),
        reasons=(*why, *reasons),
        lead_type=lead_type(facts, history, ready=outcome == "target"),
        checklist_version=checklist.version,
        recheck_on=recheck,
    )


def _score(checklist: Checklist, facts: Mapping[str, Any]) -> tuple[int, tuple[str, ...]]:
    met = [rule for rule in checklist.signals if rule.holds(facts)]
    score = max(0, min(MAX_SCORE, sum(rule.weight for rule in met)))
    return score, tuple(rule.reason for rule in met)


def _outcome(checklist: Checklist, facts: Mapping[str, Any], score: int) -> tuple[str, list[str]]:
    rejected = [f"disqualified: {r.reason}" for r in checklist.disqualifiers if r.holds(facts)]
    if rejected:
        return "reject", rejected
    lacking = missing(checklist.required, facts)
    if lacking:
        return "nurture", [f"missing: {name}" for name in lacking]
    if score >= checklist.target_from:
        return "target", [f"score {score} reaches target ({checklist.target_from})"]
    if score >= checklist.nurture_from:
        return "nurture", [f"score {score} below target ({checklist.target_from})"]
    return "reject", [f"score {score} below nurture ({checklist.nurture_from})"]


def _temperature(checklist: Checklist, score: int) -> str:
    if score >= checklist.hot_from:
        return "hot"
    return "warm" if score >= checklist.warm_from else "cold"


def lead_type(facts: Mapping[str, Any], history: History, *, ready: bool) -> str:
    """What kind of lead this is, from its history, channel, campaign and interest."""
    by_history = {
        "disqualified": "previously_refused",
        "customer": "repeat_customer",
    }
    if history.earlier_outcome is not None:
        return by_history.get(history.earlier_outcome, "returning_prospect")
    if facts.get("channel") == "social":
        return "social"
    if str(facts.get("utm.utm_medium", "")).lower() in NEWSLETTER_MEDIUMS:
        return "newsletter_subscriber"
    if ready and facts.get("interest.budget") and facts.get("interest.product_lines"):
        return "ready_to_buy"
    return "new_enquiry"
