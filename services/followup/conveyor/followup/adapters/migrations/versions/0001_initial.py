"""The event store and the farmers, accounts and tasks read models.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from conveyor.events.migrations import create_event_store_v1, drop_event_store_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the store's tables and the read models."""
    create_event_store_v1(op)
    op.create_table(
        "farmers",
        sa.Column("farmer_id", sa.String(200), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("portfolio_size", sa.Integer, nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("lead_id", sa.String(200), nullable=False),
        sa.Column("hunter_id", sa.String(200), nullable=False),
        sa.Column("farmer_id", sa.String(200), nullable=False),
        sa.Column("company", sa.String(200), nullable=True),
        sa.Column("handed_over_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_accounts_farmer_id", "accounts", ["farmer_id"])
    op.create_table(
        "tasks",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("farmer_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("due_on", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
    )
    op.create_index("ix_tasks_account_id", "tasks", ["account_id"])
    op.create_index("ix_tasks_farmer_id", "tasks", ["farmer_id"])


def downgrade() -> None:
    """Drop the read models and the store's tables."""
    for table in ("tasks", "accounts", "farmers"):
        op.drop_table(table)
    drop_event_store_v1(op)
