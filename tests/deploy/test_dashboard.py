"""The Grafana season dashboard: valid JSON that queries only the metrics the services expose."""

from __future__ import annotations

import json
import re
from typing import Any

from prometheus_client.metrics_core import Metric

from conveyor.events.metrics import Metrics
from tests.deploy.tools import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "conveyor-season.json"
COUNTERS = {
    "conveyor_http_requests_total",
    "conveyor_events_appended_total",
    "conveyor_leads_received_total",
    "conveyor_consumer_messages_total",
    "conveyor_lead_verdicts_total",
}
GAUGES = {"conveyor_outbox_backlog", "conveyor_consumer_lag", "conveyor_dead_letters"}
HISTOGRAMS = {"conveyor_http_request_duration_seconds", "conveyor_consumer_event_age_seconds"}
SERIES = (
    COUNTERS
    | GAUGES
    | {f"{h}_{suffix}" for h in HISTOGRAMS for suffix in ("bucket", "sum", "count")}
)
ROUTER_SERIES = {  # the router's own, read off its /metrics by tests/e2e/test_observability.py
    "conveyor_router_leads_stuck",
    "conveyor_router_unroutable_waiting",
    "conveyor_router_webhook_dead_letters_total",
    *(f"conveyor_router_webhook_seconds_{s}" for s in ("bucket", "sum", "count")),
}
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "topk", "rate", "irate", "increase",
    "histogram_quantile", "by", "without", "and", "or", "unless", "on", "ignoring",
}  # fmt: skip


def expressions() -> list[str]:
    """Every PromQL expression the dashboard's panels query."""
    panels: list[dict[str, Any]] = json.loads(DASHBOARD.read_text())["panels"]
    return [t["expr"] for p in panels for t in p.get("targets", [])]


def metric_names(expr: str) -> set[str]:
    """The metric names in a PromQL expression: what is left without labels, ranges,
    grouping clauses, strings, numbers and function names."""
    bare = re.sub(r'"[^"]*"', "", expr)
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\b(by|without)\s*\([^)]*\)", " ", bare)
    words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", bare))
    return words - PROMQL_WORDS


def exposed_series() -> set[str]:
    """The sample names the services' metrics registry can expose."""
    families: list[Metric] = list(Metrics("any").registry.collect())
    names = {f.name + ("_total" if f.type == "counter" else "") for f in families}
    return names | {
        f"{f.name}_{s}"
        for f in families
        if f.type == "histogram"
        for s in ("bucket", "sum", "count")
    }


def test_the_dashboard_is_grafana_json_with_panels_that_query() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "conveyor-season"
    assert [v["type"] for v in dashboard["templating"]["list"]] == ["datasource"]
    assert len(expressions()) >= 10


def test_every_metric_the_dashboard_queries_is_one_the_services_expose() -> None:
    used = set().union(*(metric_names(e) for e in expressions())) - ROUTER_SERIES
    assert used, "no metric found: the parser is broken"
    assert used <= SERIES, f"unknown metrics: {sorted(used - SERIES)}"
    assert used <= exposed_series(), (
        f"not in conveyor.events.metrics: {sorted(used - exposed_series())}"
    )


def test_the_dashboard_shows_queue_depth_lag_routing_latency_and_dead_letters() -> None:
    text = " ".join(expressions())
    assert "conveyor_outbox_backlog" in text
    assert "conveyor_consumer_lag" in text
    assert 'conveyor_consumer_event_age_seconds_bucket{group="conveyor.router"}' in text
    assert 'outcome="dead_lettered"' in text
    assert "conveyor_leads_received_total" in text


def test_the_dashboard_shows_sla_webhooks_dead_letter_queues_and_lag_by_group() -> None:
    used = set().union(*(metric_names(e) for e in expressions()))
    assert ROUTER_SERIES - {"conveyor_router_webhook_seconds_sum"} <= used
    text = " ".join(expressions())
    assert "histogram_quantile(0.95, sum by (le, outcome)" in text
    assert "max by (group) (conveyor_dead_letters)" in text
    assert "sum by (group) (max by (group, topic, partition) (conveyor_consumer_lag))" in text
    assert "conveyor_lead_verdicts_total" in text


def test_the_metric_parser_finds_names_among_functions_and_labels() -> None:
    expr = 'histogram_quantile(0.95, sum by (le, route) (rate(x_bucket{route="/v1/leads"}[5m])))'
    assert metric_names(expr) == {"x_bucket"}
