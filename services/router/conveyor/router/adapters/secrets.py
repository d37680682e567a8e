"""Signing secrets of reps' endpoints, kept in the router's database (never in the log)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.router.adapters.tables import webhook_secrets as table


async def add_secret(
    conn: AsyncConnection,
    rep_id: str,
    secret_id: str,
    secret: str,
    *,
    now: datetime,
    retire_at: datetime,
) -> bool:
    """Keep a new secret; the rep's secrets in force expire at retire_at (returned: any?)."""
    in_force = _in_force(rep_id, now.timestamp())
    retired = await conn.execute(
        update(table).where(in_force).values(expires_at=retire_at.timestamp())
    )
    await conn.execute(
        insert(table).values(
            secret_id=secret_id, rep_id=rep_id, secret=secret, created_at=now.timestamp()
        )
    )
    return bool(retired.rowcount)


async def secrets_in_force(conn: AsyncConnection, rep_id: str, at: float) -> list[str]:
    """The rep's secrets that sign a message sent at ``at``, newest first."""
    query = select(table.c.secret).where(_in_force(rep_id, at)).order_by(table.c.created_at.desc())
    return list((await conn.execute(query)).scalars())


def _in_force(rep_id: str, at: float):  # type: ignore[no-untyped-def]
    return (table.c.rep_id == rep_id) & or_(table.c.expires_at.is_(None), table.c.expires_at > at)
