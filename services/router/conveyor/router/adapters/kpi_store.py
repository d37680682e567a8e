"""The KPI read models' store: every event the KPIs read is kept as received (the inbox)
and folded into the fact rows in the same transaction; a rebuild empties the facts and
folds the inbox again, in the order it arrived."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events import Envelope, Event
from conveyor.events.bulk import insert_rows
from conveyor.events.codec import data_json_of
from conveyor.events.registry import Registry
from conveyor.events.replay import log_reader
from conveyor.events.row_buffer import RowBuffer
from conveyor.events.rows import Rows, SqlRows
from conveyor.router.adapters.kpi_tables import KPI_TABLES, kpi_events
from conveyor.router.service_layer.kpi_facts import PATCHERS, patches
from conveyor.router.service_layer.kpi_patch import Patch, merge, stamp

TABLES: dict[str, Table] = {table.name: table for table in KPI_TABLES}
KEPT_COLUMNS = [column.name for column in kpi_events.columns if column.name != "seq"]


def kpi_event_types(registry: Registry) -> list[str]:
    """The event types the KPIs keep: those they fold, and every event about a lead or an
    account (a lead's story shows them all)."""
    folded = {model.event_type for model in PATCHERS if issubclass(model, Event)}
    about = {
        name
        for name in registry.types()
        if {"lead_id", "account_id"} & set(registry.model(name).model_fields)
    }
    return sorted(folded | about)


async def record(envelope: Envelope, conn: AsyncConnection) -> None:
    """Keep the event and fold it into the facts (the consumer runs this once per event id:
    it records the ids it handled in the same transaction)."""
    await record_all([envelope], conn)


async def record_all(envelopes: Sequence[Envelope], conn: AsyncConnection) -> None:
    """Keep the events and fold them into the facts, in order: the kept events in one
    statement, the fact rows the batch touches read together (a patch names its row without
    reading any), the changed rows written in bulk."""
    if not envelopes:
        return
    kept = [_kept(envelope) for envelope in envelopes]
    await insert_rows(conn, kpi_events, kept, columns=KEPT_COLUMNS)  # seq numbered in order
    if len(envelopes) == 1:
        await fold(envelopes[0].data, envelopes[0].time, SqlRows(conn))
        return
    planned = [patch for envelope in envelopes for patch in patches(envelope.data, envelope.time)]
    rows = RowBuffer(conn, empty=False)
    for name in dict.fromkeys(patch.table for patch in planned):
        await rows.preload(TABLES[name], (p.key for p in planned if p.table == name))
    for patch in planned:
        await _apply(patch, rows)
    await rows.flush()


def _kept(envelope: Envelope) -> dict[str, Any]:
    data = envelope.data
    return {
        "event_id": envelope.id,
        "type": envelope.type,
        "schema_version": envelope.schema_version,
        "source": envelope.source,
        "time": stamp(envelope.time),
        "lead_id": getattr(data, "lead_id", None),
        "account_id": getattr(data, "account_id", None),
        "data": data_json_of(envelope),  # as received: not dumped again
    }


async def fold(data: Event, time: datetime, rows: Rows) -> None:
    """Apply the event's patches to the fact rows."""
    for patch in patches(data, time):
        await _apply(patch, rows)


async def _apply(patch: Patch, rows: Rows) -> None:
    table = TABLES[patch.table]
    row = await rows.get(table, patch.key)
    values = merge(row, patch)
    if values is None:
        return
    if row is None:
        await rows.insert(table, {**_defaults(table), **patch.key, **values})
    elif values:
        await rows.update(table, patch.key, values)


def _defaults(table: Table) -> dict[str, Any]:
    """Values for the NOT NULL columns a first patch may not carry (a rep's update seen
    before the registration, say)."""
    return {c.name: "" if c.type.python_type is str else 0 for c in table.c if not c.nullable}


async def rebuild(
    engine: AsyncEngine, registry: Registry, *, batch_size: int = 10_000, max_rows: int = 100_000
) -> int:
    """Empty the fact tables and fold every kept event again, in one transaction (the facts
    are folded in memory, at most about ``max_rows`` held, and written in bulk, on
    PostgreSQL while the folding goes on, the kept events read on a connection of their
    own: ``conveyor.events.projection.rebuild``); return how many events."""
    folded, after = 0, 0
    async with engine.begin() as conn, log_reader(engine, conn) as reader:
        for table in KPI_TABLES:
            await conn.execute(delete(table))
        buffer = RowBuffer(conn, max_rows=max_rows, write_behind=reader is not conn)
        async with buffer.written():
            while kept := await _batch(reader, after, batch_size):
                for row in kept:
                    data = registry.decode_json(row.type, row.schema_version, row.data)
                    await fold(data, datetime.fromisoformat(row.time), buffer)
                    await buffer.spill()
                after, folded = kept[-1].seq, folded + len(kept)
    return folded


async def _batch(conn: AsyncConnection, after: int, limit: int) -> Sequence[Row[Any]]:
    query = select(kpi_events).where(kpi_events.c.seq > after).order_by(kpi_events.c.seq)
    return (await conn.execute(query.limit(limit))).all()
