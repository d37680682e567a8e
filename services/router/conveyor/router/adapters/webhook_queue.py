"""The queue of webhook messages to reps' apps, in the router's database: each rep's
messages go out one at a time in log order; a message is retried on a schedule and then
dead-lettered, where an operator can list and replay it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.router.adapters.tables import webhook_messages as table
from conveyor.router.service_layer.messages import Message

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


async def enqueue(conn: AsyncConnection, messages: Sequence[Message], now: float) -> None:
    """Queue messages (one already queued is left as it is: enqueueing is idempotent)."""
    if not messages:
        return
    rows = [
        {
            **{k: getattr(m, k) for k in ("message_id", "rep_id", "lead_id", "assignment_id")},
            "kind": m.kind,
            "correlation_id": m.correlation_id or m.message_id,
            "body": json.dumps(m.body, separators=(",", ":"), sort_keys=True),
            "position": m.position,
            "recipient": m.recipient,
            "created_at": now,
            "status": PENDING,
            "attempts": 0,
            "due": now,
        }
        for m in messages
    ]
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(dialect_insert(table).values(rows).on_conflict_do_nothing())


async def due_heads(conn: AsyncConnection, now: float, limit: int) -> list[dict[str, Any]]:
    """The first pending message of each rep, where it is due now."""
    first = (
        select(table.c.rep_id, func.min(table.c.position).label("position"))
        .where(table.c.status == PENDING)
        .group_by(table.c.rep_id)
        .subquery()
    )
    query = (
        select(table)
        .join(first, and_(table.c.rep_id == first.c.rep_id, table.c.position == first.c.position))
        .where(table.c.status == PENDING)
        .order_by(table.c.position, table.c.recipient)
    )
    heads: dict[str, dict[str, Any]] = {}
    for row in (await conn.execute(query)).mappings():
        heads.setdefault(row["rep_id"], dict(row))
    return sorted(
        (h for h in heads.values() if h["due"] <= now), key=lambda h: (h["due"], h["position"])
    )[:limit]


async def next_due(conn: AsyncConnection) -> float | None:
    """When the earliest pending message is due (None: nothing pending)."""
    query = select(func.min(table.c.due)).where(table.c.status == PENDING)
    due = (await conn.execute(query)).scalar()
    return None if due is None else float(due)


async def record(conn: AsyncConnection, message_id: str, **values: Any) -> None:
    """Store an attempt's result (status, attempts, due, last_error, last_status)."""
    await conn.execute(update(table).where(table.c.message_id == message_id).values(**values))


async def pending_of(conn: AsyncConnection, rep_id: str) -> list[dict[str, Any]]:
    """The rep's pending messages, in order."""
    query = (
        select(table)
        .where(table.c.rep_id == rep_id, table.c.status == PENDING)
        .order_by(table.c.position, table.c.recipient)
    )
    return [dict(row) for row in (await conn.execute(query)).mappings()]


async def dead_letters(conn: AsyncConnection, rep_id: str | None = None) -> list[dict[str, Any]]:
    """Dead-lettered messages, oldest first (optionally one rep's)."""
    query = select(table).where(table.c.status == DEAD).order_by(table.c.position)
    if rep_id is not None:
        query = query.where(table.c.rep_id == rep_id)
    return [dict(row) for row in (await conn.execute(query)).mappings()]


async def message(conn: AsyncConnection, message_id: str) -> dict[str, Any] | None:
    """One message, whatever its status."""
    row = (await conn.execute(select(table).where(table.c.message_id == message_id))).first()
    return dict(row._mapping) if row else None


async def counts(conn: AsyncConnection) -> dict[str, int]:
    """How many messages are in each status."""
    query = select(table.c.status, func.count()).group_by(table.c.status)
    return {status: n for status, n in (await conn.execute(query)).all()}
