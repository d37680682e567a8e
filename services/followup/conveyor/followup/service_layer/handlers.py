"""Event handlers: enrol farmers as the router registers them, hand won accounts over and
put them on their cadence.

Each runs in the consumer's transaction (the conn it is given), next to the record that
the event was handled, so a redelivered event changes nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, Event, new_envelope
from conveyor.events.catalogue.followup import AccountHandedOver, FarmerEnrolled
from conveyor.events.catalogue.router import DealWon, RepRegistered
from conveyor.events.store import ConcurrencyError
from conveyor.followup.domain.cadence import choose_cadence
from conveyor.followup.domain.calendar import ONLY_FIXED, Place
from conveyor.followup.domain.dormancy import DEFAULT_QUIET, Quiet
from conveyor.followup.domain.handover import (
    AccountTraits,
    FarmerLoad,
    Handover,
    account_id_for,
    hand_over,
)
from conveyor.followup.domain.plan import built_in_cadence
from conveyor.followup.service_layer.clients import client_key, client_name, place_of, traits
from conveyor.followup.service_layer.dormancy import watch
from conveyor.followup.service_layer.planning import local_day, plan_events, valid_time_zone
from conveyor.followup.service_layer.ports import (
    CadenceBook,
    Calendars,
    EndpointSecrets,
    FarmerLoads,
    StreamWriter,
)
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
    cadences: CadenceBook | None = None
    calendars: Calendars = ONLY_FIXED
    default_country: str | None = None
    default_time_zone: str = "UTC"
    grace_days: int = 0
    quiet: Quiet = DEFAULT_QUIET
    secrets: EndpointSecrets | None = None


async def enrol_farmer(envelope: Envelope, conn: AsyncConnection, *, deps: Dependencies) -> None:
    """A rep registered with the farmer role becomes a farmer, once; an endpoint of theirs
    gets a signing secret (the back office shows one by rotating it)."""
    rep = envelope.data
    assert isinstance(rep, RepRegistered)
    if rep.role != "farmer":
        return
    enrolled = FarmerEnrolled(
        farmer_id=rep.rep_id,
        name=rep.name,
        webhook_url=rep.webhook_url,
        territories=_casefolded(_setting(rep, "territories") or ()),
        segments=_casefolded(_setting(rep, "segments") or ()),
        product_lines=_casefolded(_setting(rep, "product_lines") or ()),
        time_zone=rep.time_zone if valid_time_zone(rep.time_zone) else "UTC",
        team_lead_id=_setting(rep, "team_lead_id"),
    )
    opened = await _start_stream(
        conn, farmer_stream(rep.rep_id), [enrolled], cause=envelope, deps=deps
    )
    if opened and rep.webhook_url and deps.secrets is not None:
        await deps.secrets.issue(conn, rep.rep_id, overlap=timedelta(0))


async def hand_over_account(
    envelope: Envelope, conn: AsyncConnection, *, deps: Dependencies
) -> None:
    """The first deal on a lead hands its account to a farmer and puts it on its cadence."""
    deal = envelope.data
    assert isinstance(deal, DealWon)
    loads = [_with_default_cap(f, deps.default_cap) for f in await deps.farmers.enrolled(conn)]
    owner = await deps.farmers.farmer_of_client(conn, client_key(deal))
    account = traits(deal, client_farmer=owner)
    handover = hand_over(loads, account)
    place = place_of(deal, deps.default_country)
    handed_over = _handed_over(deal, handover, account, place)
    published = await deps.cadences.published(conn) if deps.cadences else []
    cadence = choose_cadence(published, account) or built_in_cadence(deps.first_task_days)
    time_zone = _time_zone(deal, handover, loads, deps.default_time_zone)
    plan = plan_events(
        cadence,
        account_id=account_id_for(deal.lead_id),
        farmer_id=handover.farmer_id,
        started_on=local_day(deal.won_at, time_zone),
        time_zone=time_zone,
        holidays=deps.calendars.holidays(place),
        new_task_id=deps.new_task_id,
        names={"client": client_name(deal), "deal": f"{deal.amount} {deal.currency}"},
        grace_days=deps.grace_days,
    )
    account_id = account_id_for(deal.lead_id)
    watched = watch(account_id, deal.won_at, time_zone=time_zone, ordered=False, quiet=deps.quiet)
    events = [handed_over, *plan, watched]
    await _start_stream(conn, account_id_for(deal.lead_id), events, cause=envelope, deps=deps)


def _time_zone(deal: DealWon, handover: Handover, loads: list[FarmerLoad], default: str) -> str:
    """The lead's own time zone, else its farmer's, else the default."""
    own = deal.lead.custom.get("time_zone")
    if own and valid_time_zone(own):
        return own
    farmer = next((f for f in loads if f.farmer_id == handover.farmer_id), None)
    return farmer.time_zone if farmer else default


def _setting(rep: RepRegistered, name: str) -> Any:
    """A rep's setting: in its settings, or a field of the event of its own."""
    settings = getattr(rep, "settings", None) or {}
    return settings.get(name, getattr(rep, name, None))


def _with_default_cap(farmer: FarmerLoad, cap: int | None) -> FarmerLoad:
    return farmer if farmer.cap is not None else dataclasses.replace(farmer, cap=cap)


def _casefolded(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({v.strip().casefold() for v in values if v.strip()}))


def _handed_over(
    deal: DealWon, handover: Handover, account: AccountTraits, place: Place
) -> AccountHandedOver:
    return AccountHandedOver(
        account_id=account_id_for(deal.lead_id),
        lead_id=deal.lead_id,
        hunter_id=deal.rep_id,
        farmer_id=handover.farmer_id,
        reason=handover.reason,
        rule=handover.rule,
        reasons=handover.reasons,
        client_key=client_key(deal),
        company=deal.lead.contact.company,
        territories=tuple(sorted(account.territories)),
        segment=account.segment,
        product_lines=tuple(sorted(account.product_lines)),
        country=place.country,
        subdivision=place.subdivision,
    )


async def _start_stream(
    conn: AsyncConnection,
    stream_id: str,
    events: Sequence[Event],
    *,
    cause: Envelope,
    deps: Dependencies,
) -> bool:
    """Open a new stream with the events (True); a stream that exists already means done
    before (False)."""
    envelopes = [
        new_envelope(e, subject=stream_id, source=deps.source, caused_by=cause) for e in events
    ]
    try:
        await deps.writer.append(conn, stream_id, envelopes, expected_version=0)
    except ConcurrencyError:
        log.info("%s exists already; %s (%s) changes nothing", stream_id, cause.type, cause.id)
        return False
    deps.committed()
    return True
