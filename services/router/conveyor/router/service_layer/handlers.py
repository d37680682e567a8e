"""Router use cases around reps and deals: register and change reps, record won deals."""

from __future__ import annotations

from datetime import datetime

from conveyor.events import Event, new_envelope
from conveyor.events.catalogue.router import (
    DealWon,
    LeadAssigned,
    RepAbsenceCancelled,
    RepAbsenceScheduled,
    RepAvailabilityChanged,
    RepRegistered,
    RepUpdated,
)
from conveyor.router.domain.assignment import Assignment
from conveyor.router.service_layer.commands import (
    CancelAbsence,
    ChangeAvailability,
    RegisterRep,
    ReportWon,
    ScheduleAbsence,
    UpdateRep,
)
from conveyor.router.service_layer.ports import UnitOfWork


class NotFound(LookupError):
    """The thing the command names does not exist."""


async def register_rep(cmd: RegisterRep, uow: UnitOfWork, *, source: str) -> None:
    """Record RepRegistered; a rep id that exists raises ConcurrencyError."""
    event = RepRegistered(**cmd.__dict__)
    await uow.append(
        cmd.rep_id,
        [new_envelope(event, subject=cmd.rep_id, source=source)],
        expected_version=0,
    )


async def update_rep(cmd: UpdateRep, uow: UnitOfWork, *, source: str, now: datetime) -> None:
    """Record RepUpdated for a registered rep."""
    await _append_to_rep(cmd.rep_id, RepUpdated(**cmd.__dict__), uow, source=source, now=now)


async def change_availability(
    cmd: ChangeAvailability, uow: UnitOfWork, *, source: str, now: datetime
) -> None:
    """Record RepAvailabilityChanged for a registered rep."""
    event = RepAvailabilityChanged(**cmd.__dict__)
    await _append_to_rep(cmd.rep_id, event, uow, source=source, now=now)


async def schedule_absence(
    cmd: ScheduleAbsence, uow: UnitOfWork, *, source: str, now: datetime
) -> None:
    """Record RepAbsenceScheduled for a registered rep."""
    event = RepAbsenceScheduled(**cmd.__dict__)
    await _append_to_rep(cmd.rep_id, event, uow, source=source, now=now)


async def cancel_absence(
    cmd: CancelAbsence, uow: UnitOfWork, *, source: str, now: datetime
) -> None:
    """Record RepAbsenceCancelled for an absence the rep has."""
    history = await uow.stream(cmd.rep_id)
    known = {
        r.envelope.data.absence_id
        for r in history
        if isinstance(r.envelope.data, RepAbsenceScheduled)
    }
    if cmd.absence_id not in known:
        raise NotFound(f"rep {cmd.rep_id} has no absence {cmd.absence_id}")
    event = RepAbsenceCancelled(**cmd.__dict__)
    await _append_to_rep(cmd.rep_id, event, uow, source=source, now=now)


async def _append_to_rep(
    rep_id: str, event: Event, uow: UnitOfWork, *, source: str, now: datetime
) -> None:
    history = await uow.stream(rep_id)
    if not history:
        raise NotFound(f"no rep {rep_id}")
    envelope = new_envelope(event, subject=rep_id, source=source, now=now)
    await uow.append(rep_id, [envelope], expected_version=history[-1].version)


async def report_won(cmd: ReportWon, uow: UnitOfWork, *, source: str, now: datetime) -> DealWon:
    """Record DealWon for an open assignment."""
    assignment = await _open_assignment(cmd.assignment_id, uow)
    history = await uow.stream(assignment.lead_id)
    offer = next(
        r.envelope.data
        for r in reversed(history)
        if isinstance(r.envelope.data, LeadAssigned)
        and r.envelope.data.assignment_id == cmd.assignment_id
    )
    won = DealWon(
        lead_id=assignment.lead_id,
        assignment_id=cmd.assignment_id,
        rep_id=assignment.rep_id,
        amount=cmd.amount,
        currency=cmd.currency,
        won_at=now,
        lead=offer.lead,
    )
    cause = history[-1].envelope
    await uow.append(
        assignment.lead_id,
        [new_envelope(won, subject=assignment.lead_id, source=source, caused_by=cause, now=now)],
        expected_version=history[-1].version,
    )
    return won


async def _open_assignment(assignment_id: str, uow: UnitOfWork) -> Assignment:
    assignment = await uow.assignment(assignment_id)
    if assignment is None:
        raise NotFound(f"no assignment {assignment_id}")
    assignment.check_can_close()
    return assignment
