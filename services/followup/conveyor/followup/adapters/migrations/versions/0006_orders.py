"""Repeat orders of accounts, and each account's order count, last order and status.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create orders; add the accounts' order columns and status."""
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("order_ref", sa.String(200), nullable=True),
        sa.Column("amount", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("ordered_at", sa.String(40), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=True),
        sa.UniqueConstraint("account_id", "order_ref", name="uq_orders_account_ref"),
    )
    op.create_index("ix_orders_account_id", "orders", ["account_id"])
    with op.batch_alter_table("accounts") as accounts:
        accounts.add_column(
            sa.Column("order_count", sa.Integer, nullable=False, server_default="0")
        )
        accounts.add_column(sa.Column("last_order_at", sa.String(40), nullable=True))
        accounts.add_column(
            sa.Column("status", sa.String(20), nullable=False, server_default="active")
        )


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("accounts") as accounts:
        for name in ("status", "last_order_at", "order_count"):
            accounts.drop_column(name)
    op.drop_table("orders")
