"""Folding the router's own events into the routing state, in log order."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from conveyor.events import Envelope, Event
from conveyor.events.catalogue.delivery import (
    LeadContacted,
    LeadMeetingSet,
    LeadReminded,
    RepKeyIssued,
    RepKeyRevoked,
    RepWebhookStatusChanged,
    TeamLeadNotified,
)
from conveyor.events.catalogue.router import (
    DealLost,
    DealWon,
    KeyAccountOwnerChanged,
    KeyAccountRegistered,
    LeadAccepted,
    LeadAssigned,
    LeadDeclined,
    LeadEscalated,
    LeadReassigned,
    LeadSlaBreached,
    LeadUnroutable,
    RepAbsenceCancelled,
    RepAbsenceScheduled,
    RepAvailabilityChanged,
    RepRegistered,
    RepUpdated,
    RoutingPolicyDrafted,
    RoutingPolicyPublished,
    RoutingPolicyRolledBack,
)
from conveyor.router.domain.accounts import FREE_MAIL, KeyAccount
from conveyor.router.domain.distribution import DIRECT
from conveyor.router.domain.fairness import STRIDE, Advance
from conveyor.router.domain.offers import Offer
from conveyor.router.domain.policy import Activation, policy_from_dict
from conveyor.router.domain.reps import Absence, Rep
from conveyor.router.domain.state import RoutingState
from conveyor.router.service_layer.routing import parked_lead

Fold = Callable[[RoutingState, Any, Envelope], None]


def fold(state: RoutingState, envelope: Envelope) -> None:
    """Apply one of the router's events to the state (events routing ignores pass by)."""
    step = _FOLDS.get(type(envelope.data))
    if step is not None:
        step(state, envelope.data, envelope)


def _registered(state: RoutingState, event: RepRegistered, _: Envelope) -> None:
    rep = Rep(
        rep_id=event.rep_id,
        name=event.name,
        role=event.role,
        pools=event.pools,
        webhook_url=event.webhook_url,
        time_zone=event.time_zone,
        active=event.active,
    )
    state.add_rep(rep.changed(event.settings))


def _updated(state: RoutingState, event: RepUpdated, _: Envelope) -> None:
    if event.rep_id in state.reps:
        state.change_rep(event.rep_id, {**event.changes.get("settings", {}), **event.changes})


def _availability(state: RoutingState, event: RepAvailabilityChanged, _: Envelope) -> None:
    state.set_available(event.rep_id, event.available)


def _absent(state: RoutingState, event: RepAbsenceScheduled, _: Envelope) -> None:
    absence = Absence(event.absence_id, event.starts_at, event.ends_at, event.reason)
    state.add_absence(event.rep_id, absence)


def _present(state: RoutingState, event: RepAbsenceCancelled, _: Envelope) -> None:
    state.cancel_absence(event.rep_id, event.absence_id)


def _drafted(state: RoutingState, event: RoutingPolicyDrafted, _: Envelope) -> None:
    state.policies.add(policy_from_dict(event.policy_version, event.rules, event.fallback))


def _published(state: RoutingState, event: RoutingPolicyPublished, env: Envelope) -> None:
    state.policies.add(policy_from_dict(event.policy_version, event.rules, event.fallback))
    effective = event.effective_at or env.time
    state.policies.activate(Activation(effective, event.policy_version))


def _rolled_back(state: RoutingState, event: RoutingPolicyRolledBack, _: Envelope) -> None:
    state.policies.activate(Activation(event.effective_at, event.policy_version, "rolled_back"))


def _assigned(state: RoutingState, event: LeadAssigned, env: Envelope) -> None:
    at, rep_id = event.decided_at or env.time, sys.intern(event.rep_id)  # one copy per rep
    state.assign(event.lead_id, rep_id, at, pool=event.pool, advance=_advance(state, event))
    offer = Offer(event.assignment_id, event.lead_id, rep_id, at, event.sla)
    state.open_offer(offer)


def _advance(state: RoutingState, event: LeadAssigned) -> Advance | None:
    """The counters the assignment recorded (skeleton-era offers: one plain turn)."""
    if event.pool == DIRECT:
        return None
    if event.counters_after:
        floor = event.floor_after if event.floor_after is not None else 0
        return Advance(event.counters_before, event.counters_after, 0, floor, event.rotation)
    start = state.pool(event.pool).levelled([event.rep_id])[event.rep_id]
    return Advance({}, {event.rep_id: start + STRIDE}, 0, start, event.rotation)


def _account(state: RoutingState, event: KeyAccountRegistered, _: Envelope) -> None:
    account = KeyAccount(
        event.account_id, event.name, event.owner_rep_id, event.domains, event.phones
    )
    state.accounts[event.account_id] = account


def _owner(state: RoutingState, event: KeyAccountOwnerChanged, _: Envelope) -> None:
    if (account := state.accounts.get(event.account_id)) is not None:
        state.accounts[event.account_id] = replace(account, owner=event.owner_rep_id)


def _won(state: RoutingState, event: DealWon, _: Envelope) -> None:
    """A won customer is an account of the rep who won it (a returning customer)."""
    state.end_offer(event.assignment_id, "won")
    state.finish(event.lead_id)
    contact = event.lead.contact
    domain = (contact.email or "").rpartition("@")[2].casefold()
    state.accounts[f"customer:{event.lead_id}"] = KeyAccount(
        account_id=f"customer:{event.lead_id}",
        name=contact.company or "",
        owner=event.rep_id,
        domains=(domain,) if domain and domain not in FREE_MAIL else (),
        phones=(contact.phone,) if contact.phone else (),
    )


def _unroutable(state: RoutingState, event: LeadUnroutable, env: Envelope) -> None:
    at = event.decided_at or env.time
    state.park(event.lead_id, parked_lead(event.lead, event.qualification), at)


def _accepted(state: RoutingState, event: LeadAccepted, env: Envelope) -> None:
    state.close(event.lead_id)
    state.waiting.pop(event.lead_id, None)
    if (offer := state.offer_of(event.assignment_id)) is not None:
        offer.status, offer.accepted_at = "accepted", env.time
        state.clock_changed(offer)


def _progressed(state: RoutingState, event: LeadContacted | LeadMeetingSet, _: Envelope) -> None:
    if (offer := state.offer_of(event.assignment_id)) is not None:
        offer.status = "contacted" if isinstance(event, LeadContacted) else "meeting_set"


def _declined(state: RoutingState, event: LeadDeclined, _: Envelope) -> None:
    state.end_offer(event.assignment_id, "declined")


def _reassigned(state: RoutingState, event: LeadReassigned, _: Envelope) -> None:
    assignment_id = event.assignment_id or state.current.get(event.lead_id, "")
    state.end_offer(assignment_id, "withdrawn")
    state.close(event.lead_id)


def _lost(state: RoutingState, event: DealLost, _: Envelope) -> None:
    state.end_offer(event.assignment_id, "lost")
    state.finish(event.lead_id)


def _stepped(state: RoutingState, event: Any, _: Envelope) -> None:
    """An SLA ladder step was taken: the offer's ladder moves past it."""
    if isinstance(event, LeadEscalated) and not event.assignment_id:
        if (waiting := state.waiting.get(event.lead_id)) is not None:
            waiting.alerted = True
        return
    offer = state.offer_of(event.assignment_id)
    if offer is not None and event.step is not None and event.sla:
        step = max(offer.done.get(event.sla, 0), event.step + 1)
        offer.done = {**offer.done, event.sla: step}
        state.clock_changed(offer)


def _key_issued(state: RoutingState, event: RepKeyIssued, _: Envelope) -> None:
    state.keys[event.key_id] = (event.rep_id, event.key_hash)


def _key_revoked(state: RoutingState, event: RepKeyRevoked, _: Envelope) -> None:
    state.keys.pop(event.key_id, None)


def _endpoint(state: RoutingState, event: RepWebhookStatusChanged, _: Envelope) -> None:
    if (rep := state.reps.get(event.rep_id)) is not None:
        state.reps[event.rep_id] = replace(rep, webhook_status=event.status)


_FOLDS: dict[type[Event], Fold] = {
    RepRegistered: _registered,
    RepUpdated: _updated,
    RepAvailabilityChanged: _availability,
    RepAbsenceScheduled: _absent,
    RepAbsenceCancelled: _present,
    RoutingPolicyDrafted: _drafted,
    RoutingPolicyPublished: _published,
    RoutingPolicyRolledBack: _rolled_back,
    LeadAssigned: _assigned,
    LeadUnroutable: _unroutable,
    LeadAccepted: _accepted,
    LeadContacted: _progressed,
    LeadMeetingSet: _progressed,
    LeadDeclined: _declined,
    LeadReassigned: _reassigned,
    DealWon: _won,
    DealLost: _lost,
    LeadReminded: _stepped,
    TeamLeadNotified: _stepped,
    LeadSlaBreached: _stepped,
    LeadEscalated: _stepped,
    KeyAccountRegistered: _account,
    KeyAccountOwnerChanged: _owner,
    RepKeyIssued: _key_issued,
    RepKeyRevoked: _key_revoked,
    RepWebhookStatusChanged: _endpoint,
}

FOLDED_TYPES = frozenset(model.event_type for model in _FOLDS)
"""The event types that change the routing state (the rest of the log passes it by)."""
