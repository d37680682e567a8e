"""What the engine decided and everything that explains it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conveyor.router.domain.fairness import Advance


@dataclass(frozen=True)
class Candidate:
    """A rep considered for the lead, and why they were left out (None: eligible)."""

    rep_id: str
    excluded: str | None = None
    counter: int | None = None
    open_leads: int = 0


@dataclass(frozen=True)
class RuleTrace:
    """What happened at one rule: matched or not (with the conditions' reasons), outcome."""

    rule: str
    matched: bool
    reasons: tuple[str, ...]
    outcome: str


@dataclass(frozen=True)
class Attempt:
    """One try at a target: the candidates, the pick (if any) and the counters moved."""

    target: str
    pool: str
    strategy: str
    candidates: tuple[Candidate, ...]
    rep_id: str | None = None
    tie_break: str = ""
    advance: Advance | None = None
    summary: str = ""


@dataclass(frozen=True)
class Decision:
    """The outcome for one lead: assigned (rep_id set) or unroutable, and why."""

    policy_version: int
    rules: tuple[RuleTrace, ...]
    attempts: tuple[Attempt, ...] = ()
    rule: str | None = None
    explanation: str = ""
    fallback: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def chosen(self) -> Attempt | None:
        """The attempt that found a rep."""
        last = self.attempts[-1] if self.attempts else None
        return last if last is not None and last.rep_id is not None else None

    @property
    def rep_id(self) -> str | None:
        """The rep the lead goes to (None: unroutable)."""
        return self.chosen.rep_id if self.chosen else None

    def trace(self) -> dict[str, Any]:
        """The whole explanation as JSON-ready data."""
        return {
            "policy_version": self.policy_version,
            "rule": self.rule,
            "fallback": self.fallback,
            "explanation": self.explanation,
            "rules": [
                {
                    "rule": r.rule,
                    "matched": r.matched,
                    "reasons": list(r.reasons),
                    "outcome": r.outcome,
                }
                for r in self.rules
            ],
            "attempts": [_attempt(a) for a in self.attempts],
            **self.extra,
        }


def _attempt(attempt: Attempt) -> dict[str, Any]:
    advance = attempt.advance
    return {
        "target": attempt.target,
        "pool": attempt.pool,
        "strategy": attempt.strategy,
        "rep_id": attempt.rep_id,
        "tie_break": attempt.tie_break,
        "summary": attempt.summary,
        "counters": None if advance is None else {
            "before": advance.before, "after": advance.after,
            "floor_before": advance.floor_before, "floor_after": advance.floor_after,
            "turn": advance.turn,
        },
        "candidates": [
            {"rep_id": c.rep_id, "excluded": c.excluded, "counter": c.counter,
             "open_leads": c.open_leads}
            for c in attempt.candidates
        ],
    }  # fmt: skip
