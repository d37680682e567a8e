"""Reading the whole log to replay it: large chunks in position order, and only the events
of the types asked for decoded (the rest are counted and passed over)."""

from __future__ import annotations

import gc
import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.model import Envelope, Event, Recorded
from conveyor.events.registry import Registry
from conveyor.events.store import EventStore


@dataclass(frozen=True)
class Chunk:
    """Events read in one go: those of the types asked for, how many were read in all,
    and the position of the last one read."""

    events: list[Recorded]
    read: int
    last: int


async def read_chunk(
    conn: AsyncConnection,
    store: EventStore,
    *,
    types: Collection[str],
    after: int = 0,
    limit: int = 10_000,
) -> Chunk | None:
    """Up to ``limit`` events after a position, decoding those of ``types``; None at the end."""
    table = store.table
    query = select(table).where(table.c.position > after).order_by(table.c.position).limit(limit)
    rows = (await conn.execute(query)).all()
    if not rows:
        return None
    events = [
        Recorded(
            Envelope(
                id=row.event_id,
                source=row.source,
                type=row.event_type,
                subject=row.stream_id,
                time=datetime.fromisoformat(row.time),
                schema_version=(data := _decode(store.registry, row)).schema_version,
                data=data,
                correlation_id=row.correlation_id,
                causation_id=row.causation_id,
            ),
            row.stream_id,
            row.version,
            row.position,
        )
        for row in rows
        if row.event_type in types
    ]
    return Chunk(events, len(rows), rows[-1].position)


def _decode(registry: Registry, row: Row[Any]) -> Event:
    return decode_data(registry, row.event_type, row.schema_version, row.data)


def decode_data(registry: Registry, event_type: str, version: int, text: str) -> Event:
    """A stored payload as the current model: parsed straight from its JSON text when it is
    of the current schema version, upcast as ``Registry.decode`` does otherwise."""
    model = registry.model(event_type)
    if version == model.schema_version:
        return model.model_validate_json(text)
    return registry.decode(event_type, version, json.loads(text))


@contextmanager
def fewer_collections(threshold: int = 50_000) -> Iterator[None]:
    """Collect garbage less often while a replay makes many short-lived objects: the objects
    that exist already are frozen out of collections, and the youngest generation is
    collected after ``threshold`` allocations instead of 700; both undone on exit."""
    before = gc.get_threshold()
    freeze = gc.get_freeze_count() == 0  # someone else's freeze is left alone
    if freeze:
        gc.freeze()
    gc.set_threshold(threshold, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if freeze:
            gc.unfreeze()
