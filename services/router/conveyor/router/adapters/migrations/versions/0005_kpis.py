"""The KPI read models: the inbox of events they are folded from, leads, offers, reps,
accounts, orders, tasks and the reps' plans.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _time(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.String(40), nullable=True)


def upgrade() -> None:
    op.create_table(
        "kpi_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("lead_id", sa.String(64), nullable=True, index=True),
        sa.Column("account_id", sa.String(100), nullable=True, index=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "kpi_leads",
        sa.Column("lead_id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("channel", sa.String(100), nullable=True),
        sa.Column("campaign", sa.String(200), nullable=True),
        sa.Column("product_line", sa.String(100), nullable=True),
        _time("received_at"),
        sa.Column("verdict", sa.String(20), nullable=True),
        sa.Column("verdict_reason", sa.Text, nullable=True),
        *(_time(n) for n in ("verdict_at", "offered_at", "accepted_at", "contacted_at")),
        _time("meeting_at"),
        sa.Column("outcome", sa.String(10), nullable=True),
        _time("outcome_at"),
        _time("unroutable_at"),
        _time("stuck_at"),
    )
    op.create_index("kpi_leads_received", "kpi_leads", ["received_at"])
    op.create_table(
        "kpi_offers",
        sa.Column("assignment_id", sa.String(64), primary_key=True),
        sa.Column("lead_id", sa.String(64), nullable=False, index=True),
        sa.Column("rep_id", sa.String(100), nullable=False, index=True),
        sa.Column("pool", sa.String(100), nullable=False),
        *(_time(n) for n in ("offered_at", "accepted_at", "declined_at", "withdrawn_at")),
        *(_time(n) for n in ("contacted_at", "meeting_at", "won_at", "lost_at")),
        _time("accept_breached_at"),
        _time("contact_breached_at"),
        sa.Column("amount", sa.String(40), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("kpi_offers_offered", "kpi_offers", ["offered_at"])
    op.create_table(
        "kpi_reps",
        sa.Column("rep_id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("pools", sa.Text, nullable=False),
        sa.Column("weight", sa.Integer, nullable=False),
        sa.Column("active", sa.Integer, nullable=False),
    )
    op.create_table(
        "kpi_accounts",
        sa.Column("account_id", sa.String(100), primary_key=True),
        sa.Column("lead_id", sa.String(64), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("farmer_id", sa.String(100), nullable=True),
        _time("handed_over_at"),
        _time("dormant_at"),
        _time("reactivated_at"),
    )
    op.create_table(
        "kpi_orders",
        sa.Column("order_id", sa.String(100), primary_key=True),
        sa.Column("account_id", sa.String(100), nullable=True, index=True),
        sa.Column("lead_id", sa.String(64), nullable=True),
        sa.Column("rep_id", sa.String(100), nullable=True),
        sa.Column("kind", sa.String(10), nullable=False),
        _time("ordered_at"),
        sa.Column("amount", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
    )
    op.create_table(
        "kpi_tasks",
        sa.Column("task_id", sa.String(100), primary_key=True),
        sa.Column("account_id", sa.String(100), nullable=True),
        sa.Column("farmer_id", sa.String(100), nullable=True),
        sa.Column("kind", sa.String(50), nullable=True),
        sa.Column("due_on", sa.String(10), nullable=True),
        _time("completed_at"),
        _time("overdue_at"),
        _time("cancelled_at"),
    )
    op.create_table(
        "kpi_plans",
        sa.Column("rep_id", sa.String(100), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("metric", sa.String(10), nullable=False),
        sa.Column("target", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        _time("set_at"),
    )


def downgrade() -> None:
    for table in ("kpi_plans", "kpi_tasks", "kpi_orders", "kpi_accounts", "kpi_reps"):
        op.drop_table(table)
    op.drop_index("kpi_offers_offered", "kpi_offers")
    op.drop_table("kpi_offers")
    op.drop_index("kpi_leads_received", "kpi_leads")
    op.drop_table("kpi_leads")
    op.drop_table("kpi_events")
