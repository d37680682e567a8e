"""The traits of accounts the portfolio rules look at, for rebalancing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add territories, segment and product lines to accounts."""
    with op.batch_alter_table("accounts") as accounts:
        accounts.add_column(sa.Column("territories", sa.Text, nullable=False, server_default="[]"))
        accounts.add_column(sa.Column("segment", sa.String(100), nullable=True))
        accounts.add_column(
            sa.Column("product_lines", sa.Text, nullable=False, server_default="[]")
        )


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("accounts") as accounts:
        for name in ("product_lines", "segment", "territories"):
            accounts.drop_column(name)
