"""Duplicates: person keys, touches and returning leads on the leads read model.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("email_key", sa.Text, nullable=True))
        batch.add_column(sa.Column("duplicate_of", sa.String(36), nullable=True))
        batch.add_column(sa.Column("previous_lead_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("touches", sa.Integer, nullable=False, server_default="0"))
        batch.create_index("ix_leads_email_key", ["email_key"])
        batch.create_index("ix_leads_phone", ["phone"])
    with op.batch_alter_table("idempotency_replies") as batch:
        batch.add_column(sa.Column("duplicate_of", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_replies") as batch:
        batch.drop_column("duplicate_of")
    with op.batch_alter_table("leads") as batch:
        batch.drop_index("ix_leads_phone")
        batch.drop_index("ix_leads_email_key")
        for column in ("touches", "previous_lead_id", "duplicate_of", "email_key"):
            batch.drop_column(column)
