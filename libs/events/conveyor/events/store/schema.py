"""Tables of the event store and of the followers that track their progress."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

Position = BigInteger().with_variant(Integer(), "sqlite")


def events_table(metadata: MetaData) -> Table:
    """The append-only log: one row per event, unique per (stream_id, version)."""
    return Table(
        "events",
        metadata,
        Column("position", Position, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("stream_id", String(200), nullable=False),
        Column("version", Integer, nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("schema_version", Integer, nullable=False),
        Column("data", Text, nullable=False),
        Column("source", String(200), nullable=False),
        Column("time", String(40), nullable=False),
        Column("correlation_id", String(36), nullable=False),
        Column("causation_id", String(36), nullable=True),
        UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
    )


def tracking_tables(metadata: MetaData) -> tuple[Table, Table]:
    """How far each relay got, and which messages each consumer has handled."""
    positions = Table(
        "log_positions",
        metadata,
        Column("name", String(200), primary_key=True),
        Column("position", BigInteger, nullable=False),
    )
    handled = Table(
        "handled_messages",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(36), primary_key=True),
    )
    return positions, handled


def event_store_metadata(metadata: MetaData | None = None) -> MetaData:
    """A MetaData holding the store's tables (added to the given one if passed)."""
    metadata = metadata if metadata is not None else MetaData()
    events_table(metadata)
    tracking_tables(metadata)
    return metadata
