"""Signed webhooks: endpoint secrets and the queue of messages to reps' apps; assignments
keep the time the rep accepted.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_secrets",
        sa.Column("secret_id", sa.String(36), primary_key=True),
        sa.Column("rep_id", sa.String(100), nullable=False, index=True),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=True),
    )
    op.create_table(
        "webhook_messages",
        sa.Column("message_id", sa.String(36), primary_key=True),
        sa.Column("rep_id", sa.String(100), nullable=False),
        sa.Column("lead_id", sa.String(36), nullable=False),
        sa.Column("assignment_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("correlation_id", sa.String(100), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("recipient", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due", sa.Float, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_status", sa.Integer, nullable=True),
    )
    op.create_index(
        "webhook_messages_queue",
        "webhook_messages",
        ["status", "rep_id", "position", "recipient"],
    )
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(sa.Column("accepted_at", sa.String(40), nullable=True))
        batch.add_column(sa.Column("outcome_reason", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assignments") as batch:
        batch.drop_column("outcome_reason")
        batch.drop_column("accepted_at")
    op.drop_index("webhook_messages_queue", "webhook_messages")
    op.drop_table("webhook_messages")
    op.drop_table("webhook_secrets")
