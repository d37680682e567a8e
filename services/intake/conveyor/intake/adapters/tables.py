"""Intake's database: the event store's tables plus the ``leads`` read model."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

from conveyor.events.store import event_store_metadata

Position = BigInteger().with_variant(Integer(), "sqlite")

metadata = event_store_metadata(MetaData())

leads = Table(
    "leads",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("source", String(200), nullable=False),
    Column("channel", String(40), nullable=False),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=True),
    Column("phone", Text, nullable=True),
    Column("company", Text, nullable=True),
    Column("status", String(20), nullable=False),
    Column("score", Integer, nullable=True),
    Column("temperature", String(10), nullable=True),
    Column("received_at", String(40), nullable=False),
    Column("position", Position, nullable=False),
)
"""One row per lead: who it is and how far intake got with it (received, qualified)."""
