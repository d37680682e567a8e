"""Reps carry their routing settings and an availability flag.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reps") as batch:
        batch.add_column(sa.Column("settings", sa.Text, nullable=False, server_default="{}"))
        batch.add_column(
            sa.Column("available", sa.Boolean, nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("reps") as batch:
        batch.drop_column("available")
        batch.drop_column("settings")
