"""Published checklists, decoded once: a version never changes, only a newer one comes."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.store import EventStore
from conveyor.intake.adapters.tables import metadata
from conveyor.intake.domain.checklist import Checklist
from conveyor.intake.service_layer.checklists import CHECKLIST_STREAM, checklist_of

events = metadata.tables["events"]
NEWEST = (
    select(events.c.event_id, events.c.version)
    .where(events.c.stream_id == CHECKLIST_STREAM)
    .order_by(events.c.version.desc())
    .limit(1)
)


class ChecklistHead(NamedTuple):
    """The newest checklist event: its id and its version in the checklist stream."""

    event_id: str
    version: int


class ChecklistCache:
    """Checklists by the id of the event that published them (at most ``size`` kept)."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._known: dict[str, Checklist] = {}

    async def newest(self, conn: AsyncConnection) -> ChecklistHead | None:
        """The newest checklist event as conn's transaction sees it (None if none yet)."""
        row = (await conn.execute(NEWEST)).first()
        return None if row is None else ChecklistHead(row.event_id, row.version)

    async def get(self, head: ChecklistHead, conn: AsyncConnection, store: EventStore) -> Checklist:
        """The checklist published by that event, read from the log the first time only."""
        if (known := self._known.get(head.event_id)) is not None:
            return known
        found = await store.read_stream(conn, CHECKLIST_STREAM, after_version=head.version - 1)
        if not found or found[0].envelope.id != head.event_id:
            raise LookupError(f"no checklist event {head.event_id!r} in {CHECKLIST_STREAM!r}")
        checklist = checklist_of(found[0].envelope)
        if checklist is None:
            raise LookupError(f"event {head.event_id!r} does not publish a checklist")
        if len(self._known) >= self.size:
            self._known.clear()
        self._known[head.event_id] = checklist
        return checklist
