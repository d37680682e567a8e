"""Distribution inside a target: who is eligible, and who of them is next."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from conveyor.router.domain.decision import Attempt, Candidate
from conveyor.router.domain.eligibility import (
    OUTSIDE_HOURS,
    Scope,
    excluded,
    lead_scope,
    local_time,
    next_window,
)
from conveyor.router.domain.fairness import Advance
from conveyor.router.domain.fields import field_value
from conveyor.router.domain.policy import Rule
from conveyor.router.domain.reps import Rep
from conveyor.router.domain.state import RoutingState

DIRECT = "direct"  # the "pool" of an offer to a named rep: no shared counters
LABELS = {
    "round_robin": "round robin",
    "weighted_round_robin": "weighted round robin",
    "least_loaded": "least loaded",
}


def pick(
    rule: Rule,
    lead: Mapping[str, Any],
    state: RoutingState,
    now: datetime,
    *,
    relaxed: bool = False,
) -> Attempt:
    """Try the rule's target: consider its reps, exclude the ineligible, choose the next
    (or, by a ``next_window`` rule when nobody is eligible now, the first back at work)."""
    members, pool, missing = _members(rule, lead, state)
    if missing:
        return Attempt(rule.target, pool, rule.strategy, (), summary=missing)
    scope = lead_scope(lead, rule.match_rep)
    had: Collection[str] = state.tried.get(str(lead.get("lead_id")), ())
    judged = {rep.rep_id: _exclusion(rep, scope, state, now, relaxed, had) for rep in members}
    waiting = rule.outside_hours == "next_window" and not relaxed and None not in judged.values()
    if waiting and (windows := _windows(members, judged, scope, state, now)):
        return _at_next_window(rule, pool, judged, windows, state)
    return _now(rule, pool, judged, state)


def _now(rule: Rule, pool: str, judged: Mapping[str, str | None], state: RoutingState) -> Attempt:
    """The pick among the reps eligible now."""
    candidates = _candidates(state, pool, judged)
    eligible = [c for c in candidates if c.excluded is None]
    if not eligible:
        return Attempt(rule.target, pool, rule.strategy, candidates, summary=_none(rule, pool))
    chosen, tie = _choose(rule.strategy, eligible)
    words = (
        f"{LABELS[rule.strategy]}: {chosen.rep_id} is next in {_where(pool, rule)}, "
        f"{len(eligible)} of {len(candidates)} eligible"
    )
    advance = _advance(rule, pool, chosen.rep_id, eligible, state)
    return Attempt(rule.target, pool, rule.strategy, candidates, chosen.rep_id, tie, advance, words)


def _windows(
    members: Sequence[Rep],
    judged: Mapping[str, str | None],
    scope: Scope,
    state: RoutingState,
    now: datetime,
) -> dict[str, datetime]:
    """When each rep left out only for being outside working hours is next at work."""
    hours_only = [
        rep
        for rep in members
        if (judged[rep.rep_id] or "").startswith(OUTSIDE_HOURS)
        and excluded(rep, state.load(rep.rep_id), now, scope, hours=False) is None
    ]
    starts = {rep.rep_id: next_window(rep, now) for rep in hours_only}
    return {rep_id: start for rep_id, start in starts.items() if start is not None}


def _at_next_window(
    rule: Rule,
    pool: str,
    judged: Mapping[str, str | None],
    windows: Mapping[str, datetime],
    state: RoutingState,
) -> Attempt:
    """The pick among the reps whose next working window starts first (ties: the strategy)."""
    first = min(windows.values())
    later = {r: f"{judged[r]}; next working window later ({local_time(state.reps[r], w)})"
             for r, w in windows.items() if w != first}  # fmt: skip
    verdicts = {r: None if windows.get(r) == first else later.get(r, why)
                for r, why in judged.items()}  # fmt: skip
    candidates = _candidates(state, pool, verdicts)
    eligible = [c for c in candidates if c.excluded is None]
    chosen, tie = _choose(rule.strategy, eligible)
    rep = state.reps[chosen.rep_id]
    words = (
        f"next working window: {rep.rep_id} starts {local_time(rep, first)} "
        f"(nobody in {_where(pool, rule)} is eligible now; {LABELS[rule.strategy]} among "
        f"{len(eligible)} starting then, {len(windows)} of {len(candidates)} at their next window)"
    )
    advance = _advance(rule, pool, chosen.rep_id, eligible, state)
    return Attempt(rule.target, pool, rule.strategy, candidates, chosen.rep_id, tie, advance, words)


def _candidates(
    state: RoutingState, pool: str, judged: Mapping[str, str | None]
) -> tuple[Candidate, ...]:
    counters = _counters(state, pool, [rep_id for rep_id, why in judged.items() if why is None])
    return tuple(
        Candidate(rep_id, why, counters.get(rep_id), len(state.load(rep_id).open_leads))
        for rep_id, why in judged.items()
    )


def _advance(
    rule: Rule, pool: str, rep_id: str, eligible: Sequence[Candidate], state: RoutingState
) -> Advance | None:
    if pool == DIRECT:
        return None
    weight = state.reps[rep_id].weight if rule.strategy != "round_robin" else 1
    passes = {c.rep_id: c.counter or 0 for c in eligible}
    return state.pool(pool).advance(rep_id, weight, passes)


def _members(
    rule: Rule, lead: Mapping[str, Any], state: RoutingState
) -> tuple[list[Rep], str, str]:
    """The reps of the target, the counters' pool, and why there are none (if so)."""
    if rule.key_account_owner:
        owner = field_value(lead, "key_account.owner")
        rep = state.reps.get(str(owner)) if owner else None
        missing = (
            "" if rep else ("no key account matched" if not owner else f"owner {owner} unknown")
        )
        return ([rep] if rep else []), DIRECT, missing
    if rule.rep is not None:
        rep = state.reps.get(rule.rep)
        return (
            ([rep] if rep else []),
            DIRECT,
            "" if rep else f"rep {rule.rep} is not registered",
        )
    pool = rule.pool or ""
    members = sorted(
        (
            r
            for r in state.reps.values()
            if r.role in rule.roles and (pool == "*" or pool in r.pools)
        ),
        key=lambda r: r.rep_id,
    )
    if not any(r.active for r in members):
        return [], pool, f"no active {'/'.join(rule.roles)} in {_where(pool, rule)}"
    return members, pool, ""


def _exclusion(
    rep: Rep,
    scope: Scope,
    state: RoutingState,
    now: datetime,
    relaxed: bool,
    had: Collection[str],
) -> str | None:
    if rep.rep_id in had:
        return "already had this lead"
    if not relaxed:
        return excluded(rep, state.load(rep.rep_id), now, scope)
    if not rep.active:
        return "inactive"
    if rep.webhook_status != "healthy":
        return f"webhook endpoint {rep.webhook_status}"
    absence = rep.absence_at(now)
    return f"absent until {absence.ends_at.isoformat()}" if absence else None


def _counters(state: RoutingState, pool: str, eligible: list[str]) -> dict[str, int]:
    return {} if pool == DIRECT else state.pool(pool).levelled(eligible)


def _choose(strategy: str, eligible: Sequence[Candidate]) -> tuple[Candidate, str]:
    """The next rep, and how a tie (if any) was broken."""

    def key(c: Candidate) -> tuple[int, int, str]:
        first = c.open_leads if strategy == "least_loaded" else 0
        return first, c.counter or 0, c.rep_id

    ranked = sorted(eligible, key=key)
    best = ranked[0]
    tied = [c.rep_id for c in ranked if key(c)[:2] == key(best)[:2]]
    if len(tied) < 2:
        return best, ""
    measure = "open leads and counter" if strategy == "least_loaded" else "counter"
    return best, f"tie on {measure} between {', '.join(tied)}: lowest rep id first"


def _none(rule: Rule, pool: str) -> str:
    return f"no eligible {'/'.join(rule.roles)} in {_where(pool, rule)}"


def _where(pool: str, rule: Rule) -> str:
    if pool == DIRECT:
        return rule.target
    return "every pool" if pool == "*" else f"pool {pool}"
