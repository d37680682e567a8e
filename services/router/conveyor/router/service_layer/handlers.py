"""Router use cases around reps: register and change them, availability and absences."""

from __future__ import annotations

from datetime import datetime

from conveyor.events import Event, new_envelope
from conveyor.events.catalogue.router import (
    RepAbsenceCancelled,
    RepAbsenceScheduled,
    RepAvailabilityChanged,
    RepRegistered,
    RepUpdated,
)
from conveyor.router.service_layer.commands import (
    CancelAbsence,
    ChangeAvailability,
    RegisterRep,
    ScheduleAbsence,
    UpdateRep,
)
from conveyor.router.service_layer.errors import NotFound
from conveyor.router.service_layer.ports import UnitOfWork


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
    await append_to_rep(cmd.rep_id, RepUpdated(**cmd.__dict__), uow, source=source, now=now)


async def change_availability(
    cmd: ChangeAvailability, uow: UnitOfWork, *, source: str, now: datetime
) -> None:
    """Record RepAvailabilityChanged for a registered rep."""
    event = RepAvailabilityChanged(**cmd.__dict__)
    await append_to_rep(cmd.rep_id, event, uow, source=source, now=now)


async def schedule_absence(
    cmd: ScheduleAbsence, uow: UnitOfWork, *, source: str, now: datetime
) -> None:
    """Record RepAbsenceScheduled for a registered rep."""
    event = RepAbsenceScheduled(**cmd.__dict__)
    await append_to_rep(cmd.rep_id, event, uow, source=source, now=now)


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
    await append_to_rep(cmd.rep_id, event, uow, source=source, now=now)


async def append_to_rep(
    rep_id: str, event: Event, uow: UnitOfWork, *, source: str, now: datetime
) -> None:
    """Append an event to a registered rep's stream (NotFound for an unknown rep)."""
    history = await uow.stream(rep_id)
    if not history:
        raise NotFound(f"no rep {rep_id}")
    envelope = new_envelope(event, subject=rep_id, source=source, now=now)
    await uow.append(rep_id, [envelope], expected_version=history[-1].version)
