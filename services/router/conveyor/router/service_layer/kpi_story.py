"""A lead's story in words: one line for each event about the lead or its account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LINES: dict[str, str] = {
    "conveyor.lead.received": "received from {lead[source]} by {lead[channel]}",
    "conveyor.lead.duplicate_detected": "the same person again (matched on {matched_on})",
    "conveyor.lead.qualified": "qualified as a target lead: {reasons}",
    "conveyor.lead.nurtured": "nurtured (not yet): {reasons}",
    "conveyor.lead.disqualified": "rejected: {reasons}",
    "conveyor.lead.assigned": "offered to {rep_id} by rule {rule}: {explanation}",
    "conveyor.lead.unroutable": "no rep could take it: {reason}",
    "conveyor.webhook.delivered": "{kind} delivered to {rep_id}'s app (HTTP {status_code})",
    "conveyor.webhook.delivery_failed": "{kind} to {rep_id}'s app failed: {error}",
    "conveyor.webhook.dead_lettered": "{kind} to {rep_id}'s app dead-lettered: {error}",
    "conveyor.webhook.replayed": "{kind} to {rep_id}'s app replayed",
    "conveyor.lead.accepted": "accepted by {rep_id}",
    "conveyor.lead.declined": "declined by {rep_id}: {reason}",
    "conveyor.lead.reminded": "{rep_id} reminded ({sla} SLA, step {step})",
    "conveyor.lead.team_lead_notified": "team lead told ({sla} SLA): {team_leads}",
    "conveyor.lead.sla_breached": "{sla} SLA breached by {rep_id}",
    "conveyor.lead.reassigned": "moved from {from_rep_id} to {to_rep_id}: {reason}",
    "conveyor.lead.escalated": "escalated to {to}: {reason}",
    "conveyor.lead.contacted": "{rep_id} reached the lead",
    "conveyor.lead.meeting_set": "{rep_id} set a meeting",
    "conveyor.deal.won": "won by {rep_id}: {amount} {currency}",
    "conveyor.deal.lost": "lost by {rep_id}: {reason}",
    "conveyor.account.handed_over": "account handed by {hunter_id} to farmer {farmer_id}: {reason}",
    "conveyor.account.reassigned": "account moved to farmer {to_farmer_id}: {reason}",
    "conveyor.followup.scheduled": "{kind} for {farmer_id} on {due_on}",
    "conveyor.followup.due": "follow-up {task_id} due",
    "conveyor.followup.completed": "follow-up {task_id} done: {outcome}",
    "conveyor.followup.overdue": "follow-up {task_id} overdue",
    "conveyor.account.repeat_order_recorded": "repeat order: {amount} {currency}",
    "conveyor.account.went_dormant": "the account went quiet",
}


def line(event_type: str, data: Mapping[str, Any]) -> str:
    """What happened, in a line (the event's type where there is no better wording; an
    empty reason leaves no dangling colon)."""
    fallback = event_type.removeprefix("conveyor.").replace("_", " ").replace(".", " ")
    words = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in data.items()}
    try:
        return LINES.get(event_type, fallback).format_map(words).removesuffix(": ")
    except (KeyError, TypeError):
        return fallback
