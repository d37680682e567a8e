"""Where each account is (country and subdivision), for its public holidays.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add country and subdivision to accounts."""
    with op.batch_alter_table("accounts") as accounts:
        accounts.add_column(sa.Column("country", sa.String(3), nullable=True))
        accounts.add_column(sa.Column("subdivision", sa.String(10), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("accounts") as accounts:
        for name in ("subdivision", "country"):
            accounts.drop_column(name)
