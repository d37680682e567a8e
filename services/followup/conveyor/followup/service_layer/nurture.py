"""The nurture pool: leads intake nurtured wait here on a durable timer and go back to
intake (NurtureRecheckDue) on their recheck date; intake decides again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope
from conveyor.events.catalogue.followup import (
    NurtureEnded,
    NurtureRecheckDue,
    NurtureRecheckScheduled,
)
from conveyor.events.catalogue.intake import LeadDisqualified, LeadNurtured, LeadQualified
from conveyor.followup.domain.timers import nurture_timer_id
from conveyor.followup.service_layer.ports import TimerStore
from conveyor.followup.service_layer.streams import Streams


@dataclass(frozen=True)
class NurturePool:
    """Where the pool writes, how it knows a lead waits, and the default wait."""

    streams: Streams
    timers: TimerStore
    committed: Callable[[], None]
    default_days: int = 30


def nurture_stream(lead_id: str) -> str:
    """The stream of a lead's time in the nurture pool."""
    return f"nurture-{lead_id}"


async def keep(envelope: Envelope, conn: AsyncConnection, *, pool: NurturePool) -> None:
    """A nurtured lead waits until its recheck_after (else the default wait from now)."""
    lead = envelope.data
    assert isinstance(lead, LeadNurtured)
    recheck_at = lead.recheck_after or envelope.time + timedelta(days=pool.default_days)
    if recheck_at.tzinfo is None:
        recheck_at = recheck_at.replace(tzinfo=UTC)
    scheduled = NurtureRecheckScheduled(
        lead_id=lead.lead_id, recheck_at=recheck_at, reasons=lead.reasons
    )
    await _append(conn, pool, lead.lead_id, scheduled, envelope)


async def release(envelope: Envelope, conn: AsyncConnection, *, pool: NurturePool) -> None:
    """Intake decided about a lead (qualified or disqualified) that waits in the pool or was
    sent back to it for a recheck: the lead leaves the pool, and the log says how. A lead
    that never entered the pool (most leads) has no nurture stream: one read says so."""
    lead = envelope.data
    assert isinstance(lead, LeadQualified | LeadDisqualified)
    if not await pool.streams.version(conn, nurture_stream(lead.lead_id)):
        return
    verdict = "qualified" if isinstance(lead, LeadQualified) else "disqualified"
    if await pool.timers.is_pending(conn, nurture_timer_id(lead.lead_id)):
        reason = f"intake {verdict} the lead"
    elif isinstance(await pool.streams.last(conn, nurture_stream(lead.lead_id)), NurtureRecheckDue):
        reason = f"intake {verdict} the lead on its recheck"
    else:
        return
    ended = NurtureEnded(lead_id=lead.lead_id, reason=reason)
    await _append(conn, pool, lead.lead_id, ended, envelope)


def batch_scope(
    conn: AsyncConnection, envelopes: Sequence[Envelope], *, pool: NurturePool
) -> AbstractAsyncContextManager[None]:
    """Around a consumer batch: one statement says which of its decided leads never entered
    the pool (most), instead of one read per lead in ``release``."""
    decided = {
        nurture_stream(e.data.lead_id)
        for e in envelopes
        if isinstance(e.data, LeadQualified | LeadDisqualified)
    }
    return pool.streams.absent_known(conn, decided)


async def _append(
    conn: AsyncConnection,
    pool: NurturePool,
    lead_id: str,
    event: NurtureRecheckScheduled | NurtureEnded,
    cause: Envelope,
) -> None:
    stream = nurture_stream(lead_id)
    version = await pool.streams.version(conn, stream)
    await pool.streams.append(conn, stream, [event], expected_version=version, cause=cause)
    pool.committed()
