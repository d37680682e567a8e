"""Event handlers: enrol farmers as the router registers them, hand won accounts over.

Each runs in the consumer's transaction (the conn it is given), next to the record that
the event was handled, so a redelivered event changes nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, Event, new_envelope
from conveyor.events.catalogue.followup import AccountHandedOver, FarmerEnrolled, FollowUpScheduled
from conveyor.events.catalogue.router import DealWon, RepRegistered
from conveyor.events.store import ConcurrencyError
from conveyor.followup.domain.handover import FarmerLoad, Handover, account_id_for, hand_over
from conveyor.followup.domain.plan import PlannedTask, plan_first_task
from conveyor.followup.service_layer.clients import client_key, client_name, traits
from conveyor.followup.service_layer.ports import FarmerLoads, StreamWriter
from conveyor.followup.service_layer.streams import farmer_stream

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dependencies:
    """What the handlers need: where to write, what to read and how to tell the relay."""

    writer: StreamWriter
    farmers: FarmerLoads
    source: str
    first_task_days: int
    committed: Callable[[], None]
    new_task_id: Callable[[], str]
    default_cap: int | None = None


async def enrol_farmer(envelope: Envelope, conn: AsyncConnection, *, deps: Dependencies) -> None:
    """A rep registered with the farmer role becomes a farmer, once."""
    rep = envelope.data
    assert isinstance(rep, RepRegistered)
    if rep.role != "farmer":
        return
    enrolled = FarmerEnrolled(
        farmer_id=rep.rep_id,
        name=rep.name,
        webhook_url=rep.webhook_url,
        territories=_casefolded(getattr(rep, "territories", ())),
        segments=_casefolded(getattr(rep, "segments", ())),
        product_lines=_casefolded(getattr(rep, "product_lines", ())),
        time_zone=rep.time_zone,
        team_lead_id=getattr(rep, "team_lead_id", None),
    )
    await _start_stream(conn, farmer_stream(rep.rep_id), [enrolled], cause=envelope, deps=deps)


async def hand_over_account(
    envelope: Envelope, conn: AsyncConnection, *, deps: Dependencies
) -> None:
    """The first deal on a lead hands its account to a farmer and plans the onboarding call."""
    deal = envelope.data
    assert isinstance(deal, DealWon)
    account_id = account_id_for(deal.lead_id)
    handover = await _choose_farmer(conn, deal, deps)
    task = plan_first_task(
        deal.won_at.date(),
        first_task_days=deps.first_task_days,
        client=client_name(deal),
        deal=f"{deal.amount} {deal.currency}",
    )
    events = _handover_events(deal, account_id, handover, task, task_id=deps.new_task_id())
    await _start_stream(conn, account_id, events, cause=envelope, deps=deps)


async def _choose_farmer(conn: AsyncConnection, deal: DealWon, deps: Dependencies) -> Handover:
    key = client_key(deal)
    owner = await deps.farmers.farmer_of_client(conn, key)
    loads = [_with_default_cap(f, deps.default_cap) for f in await deps.farmers.enrolled(conn)]
    return hand_over(loads, traits(deal, client_farmer=owner))


def _with_default_cap(farmer: FarmerLoad, cap: int | None) -> FarmerLoad:
    return farmer if farmer.cap is not None else dataclasses.replace(farmer, cap=cap)


def _casefolded(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({v.strip().casefold() for v in values if v.strip()}))


def _handover_events(
    deal: DealWon, account_id: str, handover: Handover, task: PlannedTask, *, task_id: str
) -> list[Event]:
    handed_over = AccountHandedOver(
        account_id=account_id,
        lead_id=deal.lead_id,
        hunter_id=deal.rep_id,
        farmer_id=handover.farmer_id,
        reason=handover.reason,
        rule=handover.rule,
        reasons=handover.reasons,
        client_key=client_key(deal),
        company=deal.lead.contact.company,
    )
    scheduled = FollowUpScheduled(
        task_id=task_id,
        account_id=account_id,
        farmer_id=handover.farmer_id,
        kind=task.kind,
        due_on=task.due_on,
        notes=task.notes,
    )
    return [handed_over, scheduled]


async def _start_stream(
    conn: AsyncConnection,
    stream_id: str,
    events: list[Event],
    *,
    cause: Envelope,
    deps: Dependencies,
) -> None:
    """Open a new stream with the events; a stream that exists already means done before."""
    envelopes = [
        new_envelope(e, subject=stream_id, source=deps.source, caused_by=cause) for e in events
    ]
    try:
        await deps.writer.append(conn, stream_id, envelopes, expected_version=0)
    except ConcurrencyError:
        log.info("%s exists already; %s (%s) changes nothing", stream_id, cause.type, cause.id)
        return
    deps.committed()
