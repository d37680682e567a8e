"""Appends on PostgreSQL in one statement on the asyncpg connection under SQLAlchemy's: it
reads the stream's version, checks it and inserts the events with their versions, inside
the caller's transaction (started by the log lock taken before it)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

APPEND = """
WITH current AS (
    SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1
)
INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, source,
                    time, correlation_id, causation_id)
SELECT e.event_id, $1, current.version + e.n, e.event_type, e.schema_version, e.data,
       e.source, e.time, e.correlation_id, e.causation_id
FROM current,
     unnest($3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[],
            $9::text[], $10::text[])
         WITH ORDINALITY AS e(event_id, event_type, schema_version, data, source, time,
                              correlation_id, causation_id, n)
WHERE $2::int < 0 OR current.version = $2::int
RETURNING position, version
"""
APPEND_MANY = """
WITH e AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::bool[])
        WITH ORDINALITY AS e(stream_id, event_id, event_type, schema_version, data, source,
                             time, correlation_id, causation_id, new, n)
), current AS (  -- one index probe per stream, whatever the planner knows of the table
    SELECT s.stream_id,
           (SELECT max(version) FROM events WHERE events.stream_id = s.stream_id) AS version
    FROM (SELECT DISTINCT stream_id FROM e WHERE NOT e.new) AS s
)
INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, source,
                    time, correlation_id, causation_id)
SELECT e.event_id, e.stream_id,
       CASE WHEN e.new THEN 0 ELSE coalesce(current.version, 0) END
           + row_number() OVER (PARTITION BY e.stream_id ORDER BY e.n),
       e.event_type, e.schema_version, e.data, e.source, e.time, e.correlation_id,
       e.causation_id
FROM e LEFT JOIN current ON current.stream_id = e.stream_id
ORDER BY e.n
RETURNING event_id, position, version
"""
COLUMNS = (
    "event_id",
    "event_type",
    "schema_version",
    "data",
    "source",
    "time",
    "correlation_id",
    "causation_id",
)


def applies_to(conn: AsyncConnection) -> bool:
    """Whether this connection is PostgreSQL through asyncpg."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "asyncpg"


class UniqueViolation(Exception):
    """An event id or a (stream, version) is taken: the transaction is spoilt."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        # the server's detail: "Key (stream_id, version)=(s, 2) already exists."
        self.detail = detail or ""

    def stream_among(self, rows: Sequence[dict[str, Any]]) -> str | None:
        """The stream, among the rows appended, whose version or event id was taken (None if
        the server's detail does not say)."""
        found = _TAKEN.match(self.detail)
        if found is None:
            return None
        columns, values = found.groups()
        if columns == "stream_id, version":
            return values.rsplit(", ", 1)[0]
        if columns == "event_id":
            return next((row["stream_id"] for row in rows if row["event_id"] == values), None)
        return None


_TAKEN = re.compile(r"Key \((.+?)\)=\((.*)\) already exists\.")


async def append(
    conn: AsyncConnection, stream_id: str, rows: Sequence[dict[str, Any]], expected: int
) -> list[tuple[int, int]]:
    """Insert rows if the stream is at expected (any version if negative); return
    (position, version) per row in order, or nothing when the version did not match."""
    columns = [[row[name] for row in rows] for name in COLUMNS]
    found = await _fetch(conn, APPEND, stream_id, expected, *columns)
    return sorted(((r["position"], r["version"]) for r in found), key=lambda pv: pv[1])


async def append_many(
    conn: AsyncConnection, rows: Sequence[dict[str, Any]], new: Collection[str] = ()
) -> dict[str, tuple[int, int]]:
    """Insert rows of several streams, each at its stream's end (a stream in ``new`` from
    version 1: one that exists makes the versions collide), in the order given; return
    (position, version) by event id."""
    columns = [[row[name] for row in rows] for name in ("stream_id", *COLUMNS)]
    fresh = [row["stream_id"] in new for row in rows]
    found = await _fetch(conn, APPEND_MANY, *columns, fresh)
    return {r["event_id"]: (r["position"], r["version"]) for r in found}


async def _fetch(conn: AsyncConnection, query: str, *args: Any) -> list[asyncpg.Record]:
    """Run an append on the asyncpg connection under SQLAlchemy's (in its transaction)."""
    raw = await conn.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    try:
        found: list[asyncpg.Record] = await driver.fetch(query, *args)
    except asyncpg.UniqueViolationError as exc:
        raise UniqueViolation(str(exc), exc.detail) from exc
    return found
