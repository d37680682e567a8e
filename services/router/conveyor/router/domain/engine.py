"""The routing engine: ordered rules, targets, distribution, fallback chain — pure and
deterministic (same state, lead and moment give the same decision)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from conveyor.router.domain.conditions import check_all
from conveyor.router.domain.decision import Attempt, Decision, RuleTrace
from conveyor.router.domain.distribution import pick
from conveyor.router.domain.eligibility import local_time, next_window
from conveyor.router.domain.policy import Policy, Rule
from conveyor.router.domain.reps import Rep
from conveyor.router.domain.state import RoutingState

Lead = Mapping[str, Any]


def decide(
    lead: Lead, state: RoutingState, now: datetime, *, policy: Policy | None = None
) -> Decision:
    """Route one lead with the policy in force at ``now`` (or the one given)."""
    policy = policy or state.policies.active(now)
    decision = _route(lead, state, now, policy)
    extra: dict[str, Any] = {}
    if account := lead.get("key_account"):
        extra["key_account"] = account
    rule = next((r for r in policy.rules if r.name == decision.rule), None)
    if rule is not None and rule.sla is not None and decision.rep_id is not None:
        extra["sla"] = dict(rule.sla)
    if rule is not None and decision.fallback is None and decision.rep_id is not None:
        extra |= _window(rule, state.reps[decision.rep_id], now)
    return replace(decision, extra=extra) if extra else decision


def _window(rule: Rule, rep: Rep, now: datetime) -> dict[str, Any]:
    """When a next-window rule placed the lead with a rep not at work now, since when."""
    if rule.outside_hours != "next_window" or rep.working_at(now):
        return {}
    start = next_window(rep, now)
    if start is None:
        return {}
    when = {"rep_id": rep.rep_id, "starts_at": start.isoformat(), "local": local_time(rep, start)}
    return {"next_window": when}


def _route(lead: Lead, state: RoutingState, now: datetime, policy: Policy) -> Decision:
    traces: list[RuleTrace] = []
    attempts: list[Attempt] = []
    for rule in policy.rules:
        matched, reasons = check_all(rule.when, lead)
        if not matched:
            traces.append(RuleTrace(rule.name, False, tuple(reasons), "did not match"))
            continue
        attempt = pick(rule, lead, state, now)
        attempts.append(attempt)
        traces.append(RuleTrace(rule.name, True, tuple(reasons), attempt.summary))
        if attempt.rep_id is not None:
            return _decided(policy, traces, attempts, rule.name, None)
        if rule.on_no_candidate == "fallback":
            break
    return _fall_back(lead, state, now, policy=policy, traces=traces, attempts=attempts)


def _fall_back(
    lead: Lead,
    state: RoutingState,
    now: datetime,
    *,
    policy: Policy,
    traces: list[RuleTrace],
    attempts: list[Attempt],
) -> Decision:
    for name, rule in _fallbacks(policy):
        attempt = pick(rule, lead, state, now, relaxed=name == "team lead")
        attempts.append(attempt)
        if attempt.rep_id is not None:
            return _decided(policy, traces, attempts, rule.name, name)
    return _decided(policy, traces, attempts, None, None)


def _fallbacks(policy: Policy) -> list[tuple[str, Rule]]:
    chain = []
    if policy.last_resort_pool:
        chain.append(("pool of last resort", Rule("last resort", pool=policy.last_resort_pool)))
    if policy.team_lead:
        chain.append(("team lead", Rule("team lead", pool="*", roles=("team_lead",))))
    return chain


def _decided(
    policy: Policy,
    traces: list[RuleTrace],
    attempts: list[Attempt],
    rule: str | None,
    fallback: str | None,
) -> Decision:
    last = attempts[-1] if attempts else None
    if rule is not None and last is not None:
        via = f" via {fallback}" if fallback else ""
        words = f"{last.summary} (rule {rule}{via}, policy v{policy.version})"
    else:
        tried = "; ".join(a.summary for a in attempts) or "no rule matched"
        words = f"unroutable: {tried} (policy v{policy.version})"
    return Decision(policy.version, tuple(traces), tuple(attempts), rule, words, fallback)


def record(state: RoutingState, lead: Lead, decision: Decision, now: datetime) -> None:
    """Fold a decision into the state, as its event will when it is read back."""
    lead_id = str(lead["lead_id"])
    chosen = decision.chosen
    if chosen is None or chosen.rep_id is None:
        state.park(lead_id, lead)
        return
    state.assign(lead_id, chosen.rep_id, now, pool=chosen.pool, advance=chosen.advance)
