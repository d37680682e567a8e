"""Verdicts on the leads read model: lead type, checklist version, reasons, recheck, by whom.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("lead_type", sa.String(40)),
    ("checklist_version", sa.Integer()),
    ("reasons", sa.Text()),
    ("recheck_after", sa.String(40)),
    ("qualified_by", sa.String(200)),
)


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
