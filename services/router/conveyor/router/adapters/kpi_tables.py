"""The KPI read models: the events they are folded from (the inbox), one row per lead, per
offer, per rep, per account, per order, per task, and the reps' plans.

Times are ISO 8601 strings in UTC (they sort as text); money is a decimal string."""

from sqlalchemy import Column, Index, Integer, String, Table, Text

from conveyor.router.adapters.tables import metadata


def _time(name: str) -> Column[str]:
    return Column(name, String(40), nullable=True)


kpi_events = Table(
    "kpi_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("type", String(100), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("source", String(200), nullable=False),
    Column("time", String(40), nullable=False),
    Column("lead_id", String(64), nullable=True, index=True),
    Column("account_id", String(100), nullable=True, index=True),
    Column("data", Text, nullable=False),
)

kpi_leads = Table(
    "kpi_leads",
    metadata,
    Column("lead_id", String(64), primary_key=True),
    Column("source", String(100), nullable=True),
    Column("channel", String(100), nullable=True),
    Column("campaign", String(200), nullable=True),
    Column("product_line", String(100), nullable=True),
    _time("received_at"),
    Column("verdict", String(20), nullable=True),
    Column("verdict_reason", Text, nullable=True),
    _time("verdict_at"),
    _time("offered_at"),
    _time("accepted_at"),
    _time("contacted_at"),
    _time("meeting_at"),
    Column("outcome", String(10), nullable=True),
    _time("outcome_at"),
    _time("unroutable_at"),
    _time("stuck_at"),
    Index("kpi_leads_received", "received_at"),
)

kpi_offers = Table(
    "kpi_offers",
    metadata,
    Column("assignment_id", String(64), primary_key=True),
    Column("lead_id", String(64), nullable=False, index=True),
    Column("rep_id", String(100), nullable=False, index=True),
    Column("pool", String(100), nullable=False),
    _time("offered_at"),
    _time("accepted_at"),
    _time("declined_at"),
    _time("withdrawn_at"),
    _time("contacted_at"),
    _time("meeting_at"),
    _time("won_at"),
    _time("lost_at"),
    _time("accept_breached_at"),
    _time("contact_breached_at"),
    Column("amount", String(40), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("reason", Text, nullable=True),
    Index("kpi_offers_offered", "offered_at"),
)

kpi_reps = Table(
    "kpi_reps",
    metadata,
    Column("rep_id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("pools", Text, nullable=False),
    Column("weight", Integer, nullable=False),
    Column("active", Integer, nullable=False),
)

kpi_accounts = Table(
    "kpi_accounts",
    metadata,
    Column("account_id", String(100), primary_key=True),
    Column("lead_id", String(64), nullable=True),
    Column("name", String(200), nullable=True),
    Column("farmer_id", String(100), nullable=True),
    _time("handed_over_at"),
    _time("dormant_at"),
    _time("reactivated_at"),
)

kpi_orders = Table(
    "kpi_orders",
    metadata,
    Column("order_id", String(100), primary_key=True),
    Column("account_id", String(100), nullable=True, index=True),
    Column("lead_id", String(64), nullable=True),
    Column("rep_id", String(100), nullable=True),
    Column("kind", String(10), nullable=False),
    _time("ordered_at"),
    Column("amount", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
)

kpi_tasks = Table(
    "kpi_tasks",
    metadata,
    Column("task_id", String(100), primary_key=True),
    Column("account_id", String(100), nullable=True),
    Column("farmer_id", String(100), nullable=True),
    Column("kind", String(50), nullable=True),
    Column("due_on", String(10), nullable=True),
    _time("completed_at"),
    _time("overdue_at"),
    _time("cancelled_at"),
)

kpi_plans = Table(
    "kpi_plans",
    metadata,
    Column("rep_id", String(100), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("metric", String(10), nullable=False),
    Column("target", String(40), nullable=False),
    Column("currency", String(3), nullable=True),
    _time("set_at"),
)

KPI_TABLES = (kpi_leads, kpi_offers, kpi_reps, kpi_accounts, kpi_orders, kpi_tasks, kpi_plans)
"""Everything folded from kpi_events (emptied and refilled by a rebuild)."""
