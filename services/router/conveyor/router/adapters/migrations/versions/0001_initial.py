"""The router's event store and read models: reps, pools, assignments, unroutable leads.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from conveyor.events.migrations import create_event_store_v1, drop_event_store_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_event_store_v1(op)
    op.create_table(
        "reps",
        sa.Column("rep_id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("pools", sa.Text, nullable=False),
        sa.Column("webhook_url", sa.Text, nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "pools",
        sa.Column("pool", sa.String(100), primary_key=True),
        sa.Column("rotation", sa.Integer, nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("assignment_id", sa.String(36), primary_key=True),
        sa.Column("lead_id", sa.String(36), nullable=False, index=True),
        sa.Column("rep_id", sa.String(100), nullable=False, index=True),
        sa.Column("pool", sa.String(100), nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("delivery", sa.String(20), nullable=False),
        sa.Column("assigned_at", sa.String(40), nullable=False),
        sa.Column("amount", sa.String(40), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
    )
    op.create_table(
        "unroutable_leads",
        sa.Column("lead_id", sa.String(36), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    for table in ("unroutable_leads", "assignments", "pools", "reps"):
        op.drop_table(table)
    drop_event_store_v1(op)
