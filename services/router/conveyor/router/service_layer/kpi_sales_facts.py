"""What a lead's events change in the KPI facts: the lead's row (source, verdict, first
offer, accept, contact, outcome) and each offer's row (rep, pool, steps, money, reasons)."""

from __future__ import annotations

from typing import Any

from conveyor.events.catalogue import delivery, intake, router
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.router.service_layer.kpi_patch import Patch, Patcher, stamp


def _lead(lead_id: str, **parts: Any) -> Patch:
    return Patch("kpi_leads", {"lead_id": lead_id}, **parts)


def _offer(assignment_id: str, **parts: Any) -> Patch:
    return Patch("kpi_offers", {"assignment_id": assignment_id}, **parts)


def _snapshot(lead: LeadSnapshot) -> dict[str, Any]:
    """The attributes KPIs are cut by: source, channel, campaign, product line."""
    utm = lead.utm
    return {
        "source": lead.source,
        "channel": lead.channel,
        "campaign": utm.get("utm_campaign") or utm.get("campaign"),
        "product_line": next(iter(lead.interest.product_lines), None),
    }


def _received(data: intake.LeadReceived, at: str) -> list[Patch]:
    received = stamp(data.received_at)
    return [_lead(data.lead_id, fill=_snapshot(data.lead), first={"received_at": received})]


def _verdict(name: str) -> Patcher:
    def patch(data: Any, at: str) -> list[Patch]:
        verdict = {"verdict": name, "verdict_reason": "\n".join(data.reasons)}
        parts: dict[str, Any] = {"newer": ("verdict_at", at, verdict)}
        if isinstance(data, intake.LeadQualified):
            parts["fill"] = _snapshot(data.lead)
        return [_lead(data.lead_id, **parts)]

    return patch


def _assigned(data: router.LeadAssigned, at: str) -> list[Patch]:
    offered = stamp(data.decided_at) if data.decided_at else at
    offer = {"lead_id": data.lead_id, "rep_id": data.rep_id, "pool": data.pool}
    return [
        _lead(data.lead_id, fill=_snapshot(data.lead), first={"offered_at": offered}),
        _offer(data.assignment_id, fill=offer, first={"offered_at": offered}),
    ]


def _unroutable(data: router.LeadUnroutable, at: str) -> list[Patch]:
    return [_lead(data.lead_id, fill=_snapshot(data.lead), first={"unroutable_at": at})]


def _step(column: str, lead_column: str | None = None) -> Patcher:
    """An offer reached a step (accepted, contacted...); the lead's first time too."""

    def patch(data: Any, at: str) -> list[Patch]:
        moment = _moment(data, at)
        found = [_offer(data.assignment_id, first={column: moment})]
        if lead_column:
            found.append(_lead(data.lead_id, first={lead_column: moment}))
        return found

    return patch


def _moment(data: Any, at: str) -> str:
    for name in ("contacted_at", "lost_at"):
        if (value := getattr(data, name, None)) is not None:
            return stamp(value)
    return at


def _ended(column: str) -> Patcher:
    """The offer ended without a deal (declined, withdrawn), with the reason."""

    def patch(data: Any, at: str) -> list[Patch]:
        if not data.assignment_id:
            return []
        return [_offer(data.assignment_id, first={column: at}, set={"reason": data.reason})]

    return patch


def _won(data: router.DealWon, at: str) -> list[Patch]:
    won, amount = stamp(data.won_at), str(data.amount)
    order = {"lead_id": data.lead_id, "rep_id": data.rep_id, "kind": "first", "ordered_at": won}
    money = {"amount": amount, "currency": data.currency}
    return [
        _offer(data.assignment_id, first={"won_at": won}, set=money),
        _lead(data.lead_id, newer=("outcome_at", won, {"outcome": "won"})),
        Patch("kpi_orders", {"order_id": data.assignment_id}, set=order | money),
    ]


def _lost(data: router.DealLost, at: str) -> list[Patch]:
    lost = _moment(data, at)
    return [
        _offer(data.assignment_id, first={"lost_at": lost}, set={"reason": data.reason}),
        _lead(data.lead_id, newer=("outcome_at", lost, {"outcome": "lost"})),
    ]


def _breached(data: router.LeadSlaBreached, at: str) -> list[Patch]:
    column = "accept_breached_at" if data.sla == "accept" else "contact_breached_at"
    return [_offer(data.assignment_id, first={column: at})]


def _escalated(data: router.LeadEscalated, at: str) -> list[Patch]:
    """A lead with no accepted owner for a business day is stuck (told to operations)."""
    return [_lead(data.lead_id, first={"stuck_at": at})] if data.to == "operations" else []


SALES: dict[type, Patcher] = {
    intake.LeadReceived: _received,
    intake.LeadQualified: _verdict("qualified"),
    intake.LeadNurtured: _verdict("nurtured"),
    intake.LeadDisqualified: _verdict("disqualified"),
    router.LeadAssigned: _assigned,
    router.LeadUnroutable: _unroutable,
    router.LeadAccepted: _step("accepted_at", "accepted_at"),
    delivery.LeadContacted: _step("contacted_at", "contacted_at"),
    delivery.LeadMeetingSet: _step("meeting_at", "meeting_at"),
    router.LeadDeclined: _ended("declined_at"),
    router.LeadReassigned: _ended("withdrawn_at"),
    router.DealWon: _won,
    router.DealLost: _lost,
    router.LeadSlaBreached: _breached,
    router.LeadEscalated: _escalated,
}
"""The patcher of each lead event the KPIs read."""
