"""Alembic helpers: the event store's tables, as of each schema revision of this library.

Each service's first migration calls ``create_event_store_v1(op)``; a later change to the
store's tables gets a new function here, called by a new migration in every service.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def create_event_store_v1(op: Any) -> None:
    """Create events, log_positions and handled_messages."""
    op.create_table(
        "events",
        sa.Column("position", Position, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("stream_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("correlation_id", sa.String(36), nullable=False),
        sa.Column("causation_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
    )
    op.create_table(
        "log_positions",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "handled_messages",
        sa.Column("consumer", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
    )


def drop_event_store_v1(op: Any) -> None:
    """Drop what create_event_store_v1 made."""
    for table in ("handled_messages", "log_positions", "events"):
        op.drop_table(table)
