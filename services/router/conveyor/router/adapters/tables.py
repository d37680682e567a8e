"""The router's database: the event store plus its read models."""

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text, true

from conveyor.events.store import event_store_metadata
from conveyor.webhooks.store import SecretStore, WebhookQueue, message_table, secret_table

metadata = event_store_metadata(MetaData())

reps = Table(
    "reps",
    metadata,
    Column("rep_id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("pools", Text, nullable=False),
    Column("webhook_url", Text, nullable=True),
    Column("time_zone", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("settings", Text, nullable=False, server_default="{}"),
    Column("available", Boolean, nullable=False, server_default=true()),
)

pools = Table(
    "pools",
    metadata,
    Column("pool", String(100), primary_key=True),
    Column("rotation", Integer, nullable=False),
)

assignments = Table(
    "assignments",
    metadata,
    Column("assignment_id", String(36), primary_key=True),
    Column("lead_id", String(36), nullable=False, index=True),
    Column("rep_id", String(100), nullable=False, index=True),
    Column("pool", String(100), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("delivery", String(20), nullable=False),
    Column("assigned_at", String(40), nullable=False),
    Column("amount", String(40), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("accepted_at", String(40), nullable=True),
    Column("outcome_reason", Text, nullable=True),
)

unroutable = Table(
    "unroutable_leads",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("at", String(40), nullable=False),
)

webhook_messages = message_table(metadata)
webhook_secrets = secret_table(metadata)
webhook_queue = WebhookQueue(webhook_messages)
secret_store = SecretStore(webhook_secrets)

# The KPI read models live in their own module on the same metadata (migrations see them).
from conveyor.router.adapters import kpi_tables  # noqa: E402, F401
