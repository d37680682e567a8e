"""Followup's tables: the event store's plus the read models it projects."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

from conveyor.events.store import event_store_metadata
from conveyor.webhooks.store import SecretStore, WebhookQueue, message_table, secret_table

metadata = event_store_metadata(MetaData())

farmers = Table(
    "farmers",
    metadata,
    Column("farmer_id", String(200), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("portfolio_size", Integer, nullable=False),
    Column("territories", Text, nullable=False, server_default="[]"),
    Column("segments", Text, nullable=False, server_default="[]"),
    Column("product_lines", Text, nullable=False, server_default="[]"),
    Column("cap", Integer, nullable=True),
    Column("team_lead_id", String(200), nullable=True),
    Column("time_zone", String(64), nullable=False, server_default="UTC"),
    Column("available", Boolean, nullable=False, server_default=true()),
    Column("webhook_url", Text, nullable=True),
    Column("webhook_status", String(20), nullable=False, server_default="enabled"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("lead_id", String(200), nullable=False),
    Column("hunter_id", String(200), nullable=False),
    Column("farmer_id", String(200), nullable=False, index=True),
    Column("company", String(200), nullable=True),
    Column("handed_over_at", String(40), nullable=False),
    Column("client_key", String(320), nullable=True, index=True),
    Column("cadence_id", String(100), nullable=True, index=True),
    Column("cadence_version", Integer, nullable=True),
    Column("started_on", String(10), nullable=True),
    Column("time_zone", String(64), nullable=True),
    Column("order_count", Integer, nullable=False, server_default="0"),
    Column("last_order_at", String(40), nullable=True),
    Column("status", String(20), nullable=False, server_default="active"),
    Column("territories", Text, nullable=False, server_default="[]"),
    Column("segment", String(100), nullable=True),
    Column("product_lines", Text, nullable=False, server_default="[]"),
    Column("country", String(3), nullable=True),
    Column("subdivision", String(10), nullable=True),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("order_ref", String(200), nullable=True),
    Column("amount", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("ordered_at", String(40), nullable=False),
    Column("recorded_by", String(200), nullable=True),
    Column("farmer_id", String(200), nullable=True, index=True),
    UniqueConstraint("account_id", "order_ref", name="uq_orders_account_ref"),
)

cadences = Table(
    "cadences",
    metadata,
    Column("cadence_id", String(100), primary_key=True),
    Column("cadence_version", Integer, nullable=False),
    Column("segment", String(100), nullable=True),
    Column("product_line", String(100), nullable=True),
    Column("steps", Text, nullable=False),
    Column("published_at", String(40), nullable=False),
)

tasks = Table(
    "tasks",
    metadata,
    Column("task_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("farmer_id", String(200), nullable=False, index=True),
    Column("kind", String(100), nullable=False),
    Column("due_on", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("notes", Text, nullable=False),
    Column("outcome", String(30), nullable=True),
    Column("completed_at", String(40), nullable=True),
    Column("escalated_to", String(200), nullable=True),
    Column("offer_code", String(100), nullable=True),
)

credentials = Table(
    "credentials",
    metadata,
    Column("rep_id", String(200), primary_key=True),
    Column("key_id", String(20), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),
    Column("issued_at", String(40), nullable=False),
)

timers = Table(
    "timers",
    metadata,
    Column("timer_id", String(200), primary_key=True),
    Column("kind", String(50), nullable=False),
    Column("stream_id", String(200), nullable=False),
    Column("due_at", String(20), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("correlation_id", String(36), nullable=False),
    Column("causation_id", String(36), nullable=True),
    Index("ix_timers_status_due_at", "status", "due_at"),
)

webhook_messages = message_table(metadata)
webhook_secrets = secret_table(metadata)
webhook_queue = WebhookQueue(webhook_messages)
"""Task webhooks to farmers' apps (endpoint = farmer, subject = account, reference = task)."""
secret_store = SecretStore(webhook_secrets)
"""The signing secrets of farmers' endpoints (never in the log)."""
