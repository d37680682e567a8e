"""Farmers' webhook endpoints, the queue of task webhooks and the endpoints' signing secrets.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from conveyor.webhooks.store import create_tables

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FOLLOWER = "followup.delivery"
"""The log follower that queues task webhooks (adapters/delivery.py)."""


def upgrade() -> None:
    """Add webhook_url and webhook_status to farmers; create the webhook tables; start the
    follower at the end of the log, so an upgraded database does not send its past tasks."""
    with op.batch_alter_table("farmers") as farmers:
        farmers.add_column(sa.Column("webhook_url", sa.Text, nullable=True))
        farmers.add_column(
            sa.Column("webhook_status", sa.String(20), nullable=False, server_default="enabled")
        )
    create_tables(op.get_bind())
    op.execute(
        sa.text(
            "INSERT INTO log_positions (name, position) "
            "SELECT :name, COALESCE(MAX(position), 0) FROM events"
        ).bindparams(name=FOLLOWER)
    )


def downgrade() -> None:
    """Drop them again."""
    op.execute(sa.text("DELETE FROM log_positions WHERE name = :name").bindparams(name=FOLLOWER))
    op.drop_table("webhook_secrets")
    op.drop_table("webhook_messages")
    with op.batch_alter_table("farmers") as farmers:
        farmers.drop_column("webhook_status")
        farmers.drop_column("webhook_url")
