"""Metrics counted on every request, message or event go through cached children: the same
figures as ``labels()`` gives, without looking the child up again."""

from prometheus_client import CollectorRegistry, Counter

from conveyor.events.codec import WireMessage
from conveyor.events.metrics import Children, Metrics


def test_a_child_is_looked_up_once_and_counts_where_labels_would() -> None:
    metrics = Metrics("router")
    by = metrics.consumer_messages_by
    assert by("router", "g", "handled") is by("router", "g", "handled")
    by("router", "g", "handled").inc()
    by("router", "g", "handled").inc()
    by("router", "g", "ignored").inc()
    metrics.consumer_messages.labels("router", "g", "handled").inc()
    sample = metrics.registry.get_sample_value
    labels = {"service": "router", "group": "g"}
    assert sample("conveyor_consumer_messages_total", {**labels, "outcome": "handled"}) == 3
    assert sample("conveyor_consumer_messages_total", {**labels, "outcome": "ignored"}) == 1


def test_children_of_any_labelled_metric() -> None:
    registry = CollectorRegistry()
    things = Children(Counter("things", "Things", ["kind"], registry=registry))
    things("a").inc(5)
    assert registry.get_sample_value("things_total", {"kind": "a"}) == 5
    assert things("a") is things.metric.labels("a")


def test_a_published_lead_is_counted_by_type_verdict_source_and_channel() -> None:
    metrics = Metrics("intake")
    received = WireMessage(b"l1", b'{"lead": {"source": "web", "channel": "web_form"}}', ())
    for _ in range(2):
        metrics.published("conveyor.lead.received", received)
    metrics.published("conveyor.lead.qualified", WireMessage(b"l1", b"{}", ()))
    sample = metrics.registry.get_sample_value
    assert sample("conveyor_leads_received_total", {"source": "web", "channel": "web_form"}) == 2
    assert sample("conveyor_lead_verdicts_total", {"verdict": "target"}) == 1
    appended = {"service": "intake", "type": "conveyor.lead.received"}
    assert sample("conveyor_events_appended_total", appended) == 2
