"""The event store and the leads read model.

Revision ID: 0001
Revises:
Create Date: 2024-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from conveyor.events.migrations import create_event_store_v1, drop_event_store_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    create_event_store_v1(op)
    op.create_table(
        "leads",
        sa.Column("lead_id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=True),
        sa.Column("phone", sa.Text, nullable=True),
        sa.Column("company", sa.Text, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("temperature", sa.String(10), nullable=True),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("position", Position, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leads")
    drop_event_store_v1(op)
