"""The first sieve: how promising a lead looks, as a score with the reasons behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conveyor.intake.domain.lead import Lead

MAX_SCORE = 100


@dataclass(frozen=True)
class Rule:
    """Points a lead earns when it has something, and the reason given for them."""

    points: int
    reason: str
    applies: Callable[[Lead], bool]


RULES = (
    Rule(40, "has an e-mail address", lambda lead: bool(lead.contact.email)),
    Rule(30, "has a phone number", lambda lead: bool(lead.contact.phone)),
    Rule(20, "names a company", lambda lead: bool(lead.contact.company)),
    Rule(10, "names product lines", lambda lead: bool(lead.interest.product_lines)),
)


@dataclass(frozen=True)
class Verdict:
    """The outcome of qualification: a score from 0 to 100 and why."""

    score: int
    reasons: tuple[str, ...]


def qualify(lead: Lead) -> Verdict:
    """Score a lead by the rules it meets, capped at MAX_SCORE; every lead is a target."""
    met = [rule for rule in RULES if rule.applies(lead)]
    score = min(MAX_SCORE, sum(rule.points for rule in met))
    return Verdict(score, tuple(rule.reason for rule in met))
