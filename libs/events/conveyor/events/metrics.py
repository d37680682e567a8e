"""Prometheus metrics of one service, in a registry of its own (nothing global)."""

from __future__ import annotations

import json
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from conveyor.events.codec import WireMessage

LEAD_RECEIVED = "conveyor.lead.received"
VERDICTS = {
    "conveyor.lead.qualified": "target",
    "conveyor.lead.nurtured": "nurture",
    "conveyor.lead.disqualified": "reject",
}

LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
    60,
    300,
    3600,
    86400,
)


M = TypeVar("M", bound=MetricWrapperBase)


class Children(Generic[M]):
    """A labelled metric's children, each looked up once: ``labels()`` checks its values and
    takes a lock on every call, which a count per message or request would pay each time.
    For metrics whose children are never removed."""

    def __init__(self, metric: M) -> None:
        self.metric = metric
        self._known: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        """The child for these label values."""
        child = self._known.get(values)
        if child is None:
            child = self._known[values] = self.metric.labels(*values)
        return child


class Metrics:
    """The metrics every service exposes on /metrics; the ones counted on every request,
    message or event also through ``Children`` (``..._by``)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "conveyor_http_requests",
            "HTTP requests served",
            ["service", "method", "route", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "conveyor_http_request_duration_seconds",
            "Time to serve an HTTP request",
            ["service", "method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.events_appended = Counter(
            "conveyor_events_appended",
            "Events committed to the service's log (counted as the outbox publishes them)",
            ["service", "type"],
            registry=r,
        )
        self.leads_received = Counter(
            "conveyor_leads_received", "Leads accepted by intake", ["source", "channel"], registry=r
        )
        self.lead_verdicts = Counter(
            "conveyor_lead_verdicts",
            "Intake's verdicts on leads (target, nurture, reject)",
            ["verdict"],
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "conveyor_outbox_backlog",
            "Events stored but not yet published",
            ["service"],
            registry=r,
        )
        self.consumer_messages = Counter(
            "conveyor_consumer_messages",
            "Messages consumed, by outcome",
            ["service", "group", "outcome"],
            registry=r,
        )
        self.consumer_lag = Gauge(
            "conveyor_consumer_lag",
            "Messages on the bus not yet consumed by the group",
            ["service", "group", "topic", "partition"],
            registry=r,
        )
        self.dead_letters = Gauge(
            "conveyor_dead_letters",
            "Messages on the group's dead-letter topic not yet replayed",
            ["service", "group"],
            registry=r,
        )
        self.event_age = Histogram(
            "conveyor_consumer_event_age_seconds",
            "Time from an event's creation to its handling by a consumer group",
            ["service", "group"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.http_requests_by = Children(self.http_requests)
        self.http_duration_by = Children(self.http_duration)
        self.events_appended_by = Children(self.events_appended)
        self.lead_verdicts_by = Children(self.lead_verdicts)
        self.leads_received_by = Children(self.leads_received)
        self.consumer_messages_by = Children(self.consumer_messages)
        self.event_age_by = Children(self.event_age)

    def published(self, event_type: str, message: WireMessage) -> None:
        """Count an event the outbox published (the lead's source for LeadReceived, the
        outcome for a verdict)."""
        self.events_appended_by(self.service, event_type).inc()
        if verdict := VERDICTS.get(event_type):
            self.lead_verdicts_by(verdict).inc()
        if event_type == LEAD_RECEIVED:
            lead = json.loads(message.value).get("lead", {})
            self.leads_received_by(lead.get("source", ""), lead.get("channel", "")).inc()
