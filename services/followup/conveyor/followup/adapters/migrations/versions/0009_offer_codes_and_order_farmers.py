"""The offer code of a task (reactivation tasks carry one) and the farmer an order counts for.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add offer_code to tasks and farmer_id to orders."""
    with op.batch_alter_table("tasks") as tasks:
        tasks.add_column(sa.Column("offer_code", sa.String(100), nullable=True))
    with op.batch_alter_table("orders") as orders:
        orders.add_column(sa.Column("farmer_id", sa.String(200), nullable=True))
        orders.create_index("ix_orders_farmer_id", ["farmer_id"])


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("orders") as orders:
        orders.drop_index("ix_orders_farmer_id")
        orders.drop_column("farmer_id")
    with op.batch_alter_table("tasks") as tasks:
        tasks.drop_column("offer_code")
