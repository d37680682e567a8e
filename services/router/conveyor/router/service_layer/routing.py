"""Routing use cases: route a qualified lead, and retry the leads that found nobody."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.intake import LeadQualified
from conveyor.events.catalogue.router import LeadAssigned, LeadUnroutable
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.events.store import ConcurrencyError
from conveyor.router.domain.accounts import match_account
from conveyor.router.domain.decision import Decision
from conveyor.router.domain.engine import decide
from conveyor.router.domain.state import RoutingState
from conveyor.router.service_layer.ports import AccountMatching, UnitOfWork


async def route_lead(
    envelope: Envelope,
    uow: UnitOfWork,
    *,
    source: str,
    now: datetime,
    matching: AccountMatching,
) -> None:
    """Offer a target lead to a rep by the policy in force, or record it unroutable; a lead
    routed already is left as it is (its stream exists: the append refuses, without spoiling
    the transaction)."""
    qualified = envelope.data
    assert isinstance(qualified, LeadQualified)
    state = await uow.routing_state()
    verdict = qualified.model_dump(mode="json", exclude={"lead", "lead_id"})
    decision = decide(lead_fields(qualified.lead, verdict, state, matching), state, now)
    event = decision_event(
        decision, qualified.lead, verdict, assignment_id=assignment_id_for(envelope), now=now
    )
    decided = new_envelope(
        event, subject=qualified.lead_id, source=source, caused_by=envelope, now=now
    )
    try:
        await uow.start_stream(qualified.lead_id, [decided])
    except ConcurrencyError:
        return  # routed already (the stream exists); requalification has its own command


async def retry_unroutable(
    uow: UnitOfWork, *, source: str, now: datetime, matching: AccountMatching
) -> str | None:
    """Offer the oldest waiting lead that a rep can now take; return its id (None: none can)."""
    state = await uow.routing_state()
    for lead_id, parked in list(state.unroutable.items()):
        snapshot, verdict = _split(parked)
        decision = decide(lead_fields(snapshot, verdict, state, matching), state, now)
        if decision.rep_id is None:
            continue
        history = await uow.stream(lead_id)
        cause = history[-1].envelope
        event = decision_event(
            decision, snapshot, verdict, assignment_id=assignment_id_for(cause), now=now
        )
        envelope = new_envelope(event, subject=lead_id, source=source, caused_by=cause, now=now)
        await uow.append(lead_id, [envelope], expected_version=history[-1].version)
        return lead_id
    return None


def lead_fields(
    snapshot: LeadSnapshot,
    verdict: Mapping[str, Any],
    state: RoutingState,
    matching: AccountMatching,
) -> dict[str, Any]:
    """The lead as the rules see it: every snapshot field (custom fields included), the
    verdict's fields (score, temperature, lead_type...), and ``key_account`` (account_id,
    owner, matched_on, evidence, score) when one matches."""
    lead = {**verdict, **snapshot.model_dump(mode="json")}
    match = match_account(
        lead,
        state.accounts.values(),
        similarity=matching.similarity,
        threshold=matching.threshold,
    )
    return {**lead, "key_account": match.as_field()} if match else lead


def parked_lead(snapshot: LeadSnapshot, verdict: Mapping[str, Any]) -> dict[str, Any]:
    """How a waiting lead is kept: its snapshot's fields and its verdict's, side by side."""
    return {**verdict, **snapshot.model_dump(mode="json")}


def _split(parked: Mapping[str, Any]) -> tuple[LeadSnapshot, dict[str, Any]]:
    snapshot = LeadSnapshot.model_validate(parked)
    own = set(LeadSnapshot.model_fields) | {"key_account"}
    return snapshot, {k: v for k, v in parked.items() if k not in own}


def decision_event(
    decision: Decision,
    lead: LeadSnapshot,
    verdict: Mapping[str, Any],
    *,
    assignment_id: str,
    now: datetime,
) -> LeadAssigned | LeadUnroutable:
    """The event that records a decision with its whole explanation."""
    chosen = decision.chosen
    if chosen is None or chosen.rep_id is None:
        return LeadUnroutable(
            lead_id=lead.lead_id,
            lead=lead,
            reason=decision.explanation,
            policy_version=decision.policy_version,
            decision=decision.trace(),
            decided_at=now,
            qualification=dict(verdict),
        )
    advance = chosen.advance
    return LeadAssigned(
        lead_id=lead.lead_id,
        assignment_id=assignment_id,
        rep_id=chosen.rep_id,
        pool=chosen.pool,
        rule=decision.rule or "",
        policy_version=decision.policy_version,
        explanation=decision.explanation,
        rotation=advance.turn if advance else 0,
        lead=lead,
        strategy=chosen.strategy,
        counters_before=advance.before if advance else {},
        counters_after=advance.after if advance else {},
        floor_after=advance.floor_after if advance else None,
        decision=decision.trace(),
        decided_at=now,
        key_account=decision.extra.get("key_account"),
        qualification=dict(verdict),
        sla=decision.extra.get("sla"),
    )


def assignment_id_for(cause: Envelope) -> str:
    """The id of the assignment a decision caused by ``cause`` makes (stable on replay)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"conveyor:assignment:{cause.id}"))
