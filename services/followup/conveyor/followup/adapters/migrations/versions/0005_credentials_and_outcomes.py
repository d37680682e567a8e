"""Reps' credentials (hashed), and the outcome, completion and escalation of tasks.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create credentials; add the tasks' outcome columns."""
    op.create_table(
        "credentials",
        sa.Column("rep_id", sa.String(200), primary_key=True),
        sa.Column("key_id", sa.String(20), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.String(40), nullable=False),
    )
    with op.batch_alter_table("tasks") as tasks:
        tasks.add_column(sa.Column("outcome", sa.String(30), nullable=True))
        tasks.add_column(sa.Column("completed_at", sa.String(40), nullable=True))
        tasks.add_column(sa.Column("escalated_to", sa.String(200), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("tasks") as tasks:
        for name in ("escalated_to", "completed_at", "outcome"):
            tasks.drop_column(name)
    op.drop_table("credentials")
