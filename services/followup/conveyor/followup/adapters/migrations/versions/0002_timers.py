"""Timers: due work kept in followup's own database until it fires.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the timers read model."""
    op.create_table(
        "timers",
        sa.Column("timer_id", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("stream_id", sa.String(200), nullable=False),
        sa.Column("due_at", sa.String(20), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("correlation_id", sa.String(36), nullable=False),
        sa.Column("causation_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_timers_status_due_at", "timers", ["status", "due_at"])


def downgrade() -> None:
    """Drop the timers read model."""
    op.drop_table("timers")
