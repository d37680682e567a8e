"""Where a service keeps its webhooks: a queue of messages (each endpoint's go out one at a
time, in order; retried on a schedule; dead-lettered at the end, replayable) and the
endpoints' signing secrets. Both live in the service's own database, in its transactions.

Endpoint, subject and reference are the service's words: for the router a rep, a lead and
an assignment; for followup a farmer, an account and a task.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Float,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import TableValuedAlias, Update

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


@dataclass(frozen=True)
class Message:
    """One webhook to one endpoint; ``message_id`` is the webhook-id, stable across
    attempts; messages to an endpoint go out in (position, recipient) order."""

    message_id: str
    endpoint_id: str
    subject_id: str
    reference_id: str
    kind: str
    body: dict[str, Any]
    position: int
    recipient: int = 0
    correlation_id: str = ""


def message_table(metadata: MetaData) -> Table:
    """The queue of messages."""
    return Table(
        "webhook_messages",
        metadata,
        Column("message_id", String(36), primary_key=True),
        Column("endpoint_id", String(100), nullable=False),
        Column("subject_id", String(100), nullable=False),
        Column("reference_id", String(100), nullable=False),
        Column("kind", String(40), nullable=False),
        Column("correlation_id", String(100), nullable=False),
        Column("body", Text, nullable=False),
        Column("position", BigInteger, nullable=False),
        Column("recipient", Integer, nullable=False),
        Column("created_at", Float, nullable=False),
        Column("status", String(20), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("due", Float, nullable=False),
        Column("last_error", Text, nullable=True),
        Column("last_status", Integer, nullable=True),
        Index("webhook_messages_queue", "status", "endpoint_id", "position", "recipient"),
    )


def secret_table(metadata: MetaData) -> Table:
    """The endpoints' signing secrets (never in the event log)."""
    return Table(
        "webhook_secrets",
        metadata,
        Column("secret_id", String(36), primary_key=True),
        Column("endpoint_id", String(100), nullable=False, index=True),
        Column("secret", Text, nullable=False),
        Column("created_at", Float, nullable=False),
        Column("expires_at", Float, nullable=True),
    )


class WebhookQueue:
    """The queue's operations, inside the caller's connection or transaction."""

    def __init__(self, table: Table) -> None:
        self.table = table
        # PostgreSQL: one statement whatever the count, each column an array; SQLite: one
        # executemany of a statement compiled once (a VALUES list is compiled per count)
        names = [c.name for c in table.c if c.name not in ("last_error", "last_status")]
        given = _unnested(table, names)
        self._enqueue_pg = (
            pg_insert(table)
            .from_select(names, select(*(given.c[name] for name in names)))
            .on_conflict_do_nothing()
        )
        self._enqueue_sqlite = sqlite_insert(table).on_conflict_do_nothing()
        self._updates: dict[tuple[str, ...], Update] = {}
        self._runs: dict[tuple[str, int], Select[Any]] = {}

    async def enqueue(self, conn: AsyncConnection, messages: Sequence[Message], now: float) -> None:
        """Queue messages; one already queued is left as it is (enqueueing is idempotent)."""
        if not messages:
            return
        rows = [_row(m, now) for m in messages]
        if conn.dialect.name == "postgresql":
            await conn.execute(self._enqueue_pg, _arrays(rows))
        else:
            await conn.execute(self._enqueue_sqlite, rows)

    async def due_runs(
        self, conn: AsyncConnection, now: float, limit: int, *, per_endpoint: int
    ) -> list[list[dict[str, Any]]]:
        """For up to ``limit`` endpoints whose first pending message is due now (the longest
        due first), that message and up to ``per_endpoint - 1`` due ones after it, in order:
        what may be sent one after another while each is delivered."""
        runs: dict[str, list[dict[str, Any]]] = {}
        held: set[str] = set()  # endpoints whose next message is not due yet
        query = self._runs_query(conn.dialect.name, per_endpoint)
        for row in (await conn.execute(query)).mappings():
            endpoint = row["endpoint_id"]
            if endpoint in held or row["due"] > now:
                held.add(endpoint)
            else:
                runs.setdefault(endpoint, []).append(dict(row))
        return sorted(runs.values(), key=lambda run: (run[0]["due"], run[0]["position"]))[:limit]

    def _runs_query(self, dialect: str, per_endpoint: int) -> Select[Any]:
        """The runs statement for the dialect, built once per run length (the construct is
        large, and cyclic garbage for the collector after each use)."""
        if (query := self._runs.get((dialect, per_endpoint))) is None:
            query = (
                self._runs_by_endpoint(per_endpoint)
                if dialect == "postgresql"
                else self._runs_ranked(per_endpoint)
            )
            self._runs[(dialect, per_endpoint)] = query
        return query

    def _runs_by_endpoint(self, per_endpoint: int) -> Select[Any]:
        """Each endpoint's first pending messages, found through the queue index without
        reading the rest of the backlog: the endpoints with pending messages one after
        another (each the next one up from the last), then up to ``per_endpoint`` of each's,
        in order. What it reads grows with the endpoints, not with the messages pending."""
        t, later = self.table, self.table.alias("later")
        first = select(func.min(t.c.endpoint_id).label("endpoint_id")).where(t.c.status == PENDING)
        endpoints = first.cte("endpoints", recursive=True)
        following = (
            select(func.min(later.c.endpoint_id))
            .where(later.c.status == PENDING, later.c.endpoint_id > endpoints.c.endpoint_id)
            .scalar_subquery()
        )
        endpoints = endpoints.union_all(
            select(following).where(endpoints.c.endpoint_id.is_not(None))
        )
        run = (
            select(t)
            .where(t.c.status == PENDING, t.c.endpoint_id == endpoints.c.endpoint_id)
            .order_by(t.c.position, t.c.recipient)
            .limit(per_endpoint)
            .lateral("run")
        )
        return (
            select(run)
            .select_from(endpoints.join(run, true()))
            .order_by(run.c.endpoint_id, run.c.position, run.c.recipient)
        )

    def _runs_ranked(self, per_endpoint: int) -> Select[Any]:
        """The same rows by ranking every pending message (SQLite has no LATERAL; its
        embedded queue stays small)."""
        t = self.table
        rank = func.row_number().over(
            partition_by=t.c.endpoint_id, order_by=(t.c.position, t.c.recipient)
        )
        ranked = select(t, rank.label("rank")).where(t.c.status == PENDING).subquery()
        return (
            select(*(ranked.c[c.name] for c in t.c))
            .where(ranked.c.rank <= per_endpoint)
            .order_by(ranked.c.endpoint_id, ranked.c.rank)
        )

    async def next_due(self, conn: AsyncConnection) -> float | None:
        """When the earliest pending message is due (None: nothing pending)."""
        query = select(func.min(self.table.c.due)).where(self.table.c.status == PENDING)
        due = (await conn.execute(query)).scalar()
        return None if due is None else float(due)

    async def record(self, conn: AsyncConnection, message_id: str, **values: Any) -> None:
        """Store an attempt's result (status, attempts, due, last_error, last_status)."""
        query = update(self.table).where(self.table.c.message_id == message_id)
        await conn.execute(query.values(**values))

    async def record_all(
        self, conn: AsyncConnection, results: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> None:
        """Store several attempts' results (message id, values as ``record`` takes them):
        one executemany per set of columns changed, the last result of a message winning
        (an UPDATE per message by its key: one statement joining an array of them let the
        planner read the whole queue, now and then, for a generic plan)."""
        latest: dict[str, Mapping[str, Any]] = {}
        for message_id, values in results:
            latest[message_id] = {**latest.get(message_id, {}), **values}
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for message_id, values in latest.items():
            names = tuple(sorted(values))
            groups.setdefault(names, []).append({"_id": message_id, **values})
        for names, params in groups.items():
            await conn.execute(self._update(names), params)

    def _update(self, names: tuple[str, ...]) -> Update:
        """Set these columns of the message ``_id`` (built once per set of columns)."""
        if (query := self._updates.get(names)) is None:
            query = (
                update(self.table)
                .where(self.table.c.message_id == bindparam("_id"))
                .values({name: bindparam(name) for name in names})
            )
            self._updates[names] = query
        return query

    async def pending_of(self, conn: AsyncConnection, endpoint_id: str) -> list[dict[str, Any]]:
        """The endpoint's pending messages, in order."""
        t = self.table
        query = (
            select(t)
            .where(t.c.endpoint_id == endpoint_id, t.c.status == PENDING)
            .order_by(t.c.position, t.c.recipient)
        )
        return [dict(row) for row in (await conn.execute(query)).mappings()]

    async def dead_letters(
        self, conn: AsyncConnection, endpoint_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Dead-lettered messages, oldest first (optionally one endpoint's)."""
        t = self.table
        query = select(t).where(t.c.status == DEAD).order_by(t.c.position, t.c.recipient)
        if endpoint_id is not None:
            query = query.where(t.c.endpoint_id == endpoint_id)
        return [dict(row) for row in (await conn.execute(query)).mappings()]

    async def message(self, conn: AsyncConnection, message_id: str) -> dict[str, Any] | None:
        """One message, whatever its status."""
        query = select(self.table).where(self.table.c.message_id == message_id)
        row = (await conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def replay(
        self, conn: AsyncConnection, message_id: str, now: float
    ) -> dict[str, Any] | None:
        """Make a dead letter pending again from a fresh schedule; None if it is not one."""
        row = await self.message(conn, message_id)
        if row is None or row["status"] != DEAD:
            return None
        await self.record(conn, message_id, status=PENDING, attempts=0, due=now)
        return {**row, "status": PENDING, "attempts": 0, "due": now}

    async def counts(self, conn: AsyncConnection) -> dict[str, int]:
        """How many messages are in each status."""
        query = select(self.table.c.status, func.count()).group_by(self.table.c.status)
        return {status: n for status, n in (await conn.execute(query)).all()}


class SecretStore:
    """Endpoints' signing secrets: a new one retires the ones in force after an overlap."""

    def __init__(self, table: Table) -> None:
        self.table = table
        # the secrets in force at ``at`` of the endpoints ``ids``, newest first: built once
        # (built per call, the statement left cyclic garbage for the collector)
        self._in_force_of = (
            select(table.c.endpoint_id, table.c.secret)
            .where(
                table.c.endpoint_id.in_(bindparam("ids", expanding=True)),
                self._unexpired(bindparam("at", type_=Float)),
            )
            .order_by(table.c.created_at.desc())
        )

    async def add(
        self,
        conn: AsyncConnection,
        endpoint_id: str,
        secret_id: str,
        secret: str,
        *,
        now: datetime,
        retire_at: datetime,
    ) -> bool:
        """Keep a new secret; the endpoint's secrets in force expire at retire_at.
        Returns whether there were any."""
        in_force = self._in_force(endpoint_id, now.timestamp())
        retired = await conn.execute(
            update(self.table).where(in_force).values(expires_at=retire_at.timestamp())
        )
        row = {"secret_id": secret_id, "endpoint_id": endpoint_id, "secret": secret}
        await conn.execute(insert(self.table).values(**row, created_at=now.timestamp()))
        return bool(retired.rowcount)

    async def in_force(self, conn: AsyncConnection, endpoint_id: str, at: float) -> list[str]:
        """The endpoint's secrets that sign a message sent at ``at``, newest first."""
        return (await self.in_force_of(conn, [endpoint_id], at)).get(endpoint_id, [])

    async def in_force_of(
        self, conn: AsyncConnection, endpoint_ids: Sequence[str], at: float
    ) -> dict[str, list[str]]:
        """Several endpoints' secrets in force at ``at``, newest first (one statement); an
        endpoint without any is left out."""
        found: dict[str, list[str]] = {}
        params = {"ids": list(endpoint_ids), "at": at}
        for endpoint_id, secret in await conn.execute(self._in_force_of, params):
            found.setdefault(endpoint_id, []).append(secret)
        return found

    def _in_force(self, endpoint_id: str, at: float) -> ColumnElement[bool]:
        return and_(self.table.c.endpoint_id == endpoint_id, self._unexpired(at))

    def _unexpired(self, at: float | ColumnElement[float]) -> ColumnElement[bool]:
        t = self.table
        return or_(t.c.expires_at.is_(None), t.c.expires_at > at)


def _row(message: Message, now: float) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
        "endpoint_id": message.endpoint_id,
        "subject_id": message.subject_id,
        "reference_id": message.reference_id,
        "kind": message.kind,
        "correlation_id": message.correlation_id or message.message_id,
        "body": json.dumps(message.body, separators=(",", ":"), sort_keys=True),
        "position": message.position,
        "recipient": message.recipient,
        "created_at": now,
        "status": PENDING,
        "attempts": 0,
        "due": now,
    }


def _unnested(table: Table, names: Sequence[str]) -> TableValuedAlias:
    """Rows of these columns of the table, from one array parameter per column (named
    ``<column>_all``), side by side: PostgreSQL's one statement for many rows."""
    arrays = [bindparam(f"{name}_all", type_=ARRAY(table.c[name].type)) for name in names]
    return func.unnest(*arrays).table_valued(*names).render_derived(name="given")


def _arrays(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The rows' values column by column, as ``_unnested`` takes them."""
    return {f"{name}_all": [row[name] for row in rows] for name in rows[0]}


def create_tables(connection: Any) -> None:
    """Create the queue and secret tables with their indexes (from a migration:
    ``create_tables(op.get_bind())``); the shape is the one this module declares."""
    metadata = MetaData()
    message_table(metadata)
    secret_table(metadata)
    metadata.create_all(connection)
