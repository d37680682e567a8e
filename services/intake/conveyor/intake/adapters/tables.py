"""Intake's database: the event store's tables plus the ``leads`` read model."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text

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
    Column("email_key", Text, nullable=True, index=True),
    Column("duplicate_of", String(36), nullable=True),
    Column("previous_lead_id", String(36), nullable=True),
    Column("touches", Integer, nullable=False, server_default="0"),
    Column("lead_type", String(40), nullable=True),
    Column("checklist_version", Integer, nullable=True),
    Column("reasons", Text, nullable=True),
    Column("recheck_after", String(40), nullable=True),
    Column("qualified_by", String(200), nullable=True),
    Column("won_at", String(40), nullable=True),
    Index("ix_leads_phone", "phone"),
)
"""One row per lead (how far intake got with it), and one per touch (status duplicate)."""

sources = Table(
    "sources",
    metadata,
    Column("source_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("channel", String(40), nullable=False),
    Column("rate_limit_per_minute", Integer, nullable=False),
    Column("key_id", String(12), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("registered_at", String(40), nullable=False),
    Column("position", Position, nullable=False),
)
"""One row per registered source: its channel, rate limit, current key id and hash."""

idempotency_replies = Table(
    "idempotency_replies",
    metadata,
    Column("source_id", String(64), primary_key=True),
    Column("idempotency_key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("lead_id", String(36), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("duplicate_of", String(36), nullable=True),
)
"""The reply to each request under an Idempotency-Key, stored with the lead it created."""

rate_windows = Table(
    "rate_windows",
    metadata,
    Column("source_id", String(64), primary_key=True),
    Column("window_start", BigInteger, primary_key=True),
    Column("hits", Integer, nullable=False),
)
"""Requests per source in the current minute, shared by every replica (not a projection)."""
