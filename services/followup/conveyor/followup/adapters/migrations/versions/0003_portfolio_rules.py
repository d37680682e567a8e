"""Portfolio rules of farmers (territories, segments, product lines, cap, team lead, time
zone, availability) and the client key of accounts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the farmers' rules and the accounts' client key."""
    with op.batch_alter_table("farmers") as farmers:
        for name in ("territories", "segments", "product_lines"):
            farmers.add_column(sa.Column(name, sa.Text, nullable=False, server_default="[]"))
        farmers.add_column(sa.Column("cap", sa.Integer, nullable=True))
        farmers.add_column(sa.Column("team_lead_id", sa.String(200), nullable=True))
        farmers.add_column(
            sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC")
        )
        farmers.add_column(
            sa.Column("available", sa.Boolean, nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("accounts") as accounts:
        accounts.add_column(sa.Column("client_key", sa.String(320), nullable=True))
        accounts.create_index("ix_accounts_client_key", ["client_key"])


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("accounts") as accounts:
        accounts.drop_index("ix_accounts_client_key")
        accounts.drop_column("client_key")
    with op.batch_alter_table("farmers") as farmers:
        for name in ("available", "time_zone", "team_lead_id", "cap"):
            farmers.drop_column(name)
        for name in ("product_lines", "segments", "territories"):
            farmers.drop_column(name)
