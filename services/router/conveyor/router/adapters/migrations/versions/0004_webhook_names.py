"""The webhook tables take the shared library's shape (conveyor.webhooks.store): the rep,
lead and assignment columns become endpoint, subject and reference (100 characters).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

RENAMES = {  # table: (old name, new name, old length)
    "webhook_messages": [
        ("rep_id", "endpoint_id", 100),
        ("lead_id", "subject_id", 36),
        ("assignment_id", "reference_id", 36),
    ],
    "webhook_secrets": [("rep_id", "endpoint_id", 100)],
}


def upgrade() -> None:
    op.drop_index("webhook_messages_queue", "webhook_messages")
    op.drop_index("ix_webhook_secrets_rep_id", "webhook_secrets")
    for table, pairs in RENAMES.items():
        with op.batch_alter_table(table) as batch:
            for old, new, length in pairs:
                batch.alter_column(
                    old,
                    new_column_name=new,
                    type_=sa.String(100),
                    existing_type=sa.String(length),
                    existing_nullable=False,
                )
    op.create_index(
        "webhook_messages_queue",
        "webhook_messages",
        ["status", "endpoint_id", "position", "recipient"],
    )
    op.create_index("ix_webhook_secrets_endpoint_id", "webhook_secrets", ["endpoint_id"])


def downgrade() -> None:
    op.drop_index("webhook_messages_queue", "webhook_messages")
    op.drop_index("ix_webhook_secrets_endpoint_id", "webhook_secrets")
    for table, pairs in RENAMES.items():
        with op.batch_alter_table(table) as batch:
            for old, new, length in pairs:
                batch.alter_column(
                    new,
                    new_column_name=old,
                    type_=sa.String(length),
                    existing_type=sa.String(100),
                    existing_nullable=False,
                )
    op.create_index(
        "webhook_messages_queue", "webhook_messages", ["status", "rep_id", "position", "recipient"]
    )
    op.create_index("ix_webhook_secrets_rep_id", "webhook_secrets", ["rep_id"])
