"""Cadences (the newest version of each) and the cadence each account follows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create cadences; add the cadence columns of accounts."""
    op.create_table(
        "cadences",
        sa.Column("cadence_id", sa.String(100), primary_key=True),
        sa.Column("cadence_version", sa.Integer, nullable=False),
        sa.Column("segment", sa.String(100), nullable=True),
        sa.Column("product_line", sa.String(100), nullable=True),
        sa.Column("steps", sa.Text, nullable=False),
        sa.Column("published_at", sa.String(40), nullable=False),
    )
    with op.batch_alter_table("accounts") as accounts:
        accounts.add_column(sa.Column("cadence_id", sa.String(100), nullable=True))
        accounts.add_column(sa.Column("cadence_version", sa.Integer, nullable=True))
        accounts.add_column(sa.Column("started_on", sa.String(10), nullable=True))
        accounts.add_column(sa.Column("time_zone", sa.String(64), nullable=True))
        accounts.create_index("ix_accounts_cadence_id", ["cadence_id"])


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("accounts") as accounts:
        accounts.drop_index("ix_accounts_cadence_id")
        for name in ("time_zone", "started_on", "cadence_version", "cadence_id"):
            accounts.drop_column(name)
    op.drop_table("cadences")
