"""OpenTelemetry trace context that follows a lead across services.

A lead's trace id is its correlation id (a UUID is 128 bits, like a trace id), so every
event caused by one request — in intake, router and followup — belongs to one trace
without storing anything extra. Over HTTP the W3C ``traceparent`` header is read (its
trace id becomes the correlation id) and sent (to reps' apps); on Kafka each message
carries ``ce_traceparent`` (the CloudEvents distributed-tracing extension). Spans are
recorded only where the process configures an OpenTelemetry SDK; otherwise this costs
next to nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

TRACER = "conveyor"


def trace_id_of(correlation_id: str) -> int:
    """The 128-bit trace id of a correlation id (itself when it is a UUID)."""
    try:
        return uuid.UUID(correlation_id).int
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"conveyor:correlation:{correlation_id}").int


def span_id_of(event_id: str) -> int:
    """A 64-bit span id derived from an event id."""
    return trace_id_of(event_id) >> 64 or 1


def traceparent(correlation_id: str, event_id: str) -> str:
    """The W3C traceparent of an event: its trace, and a span named after the event."""
    return f"00-{trace_id_of(correlation_id):032x}-{span_id_of(event_id):016x}-01"


def correlation_from_traceparent(header: str | None) -> str | None:
    """The correlation id a W3C traceparent header stands for, if it is well formed."""
    parts = (header or "").split("-")
    if len(parts) != 4 or len(parts[1]) != 32:
        return None
    try:
        return str(uuid.UUID(hex=parts[1]))
    except ValueError:
        return None


@contextmanager
def span(
    name: str,
    *,
    correlation_id: str,
    parent_event_id: str | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
) -> Iterator[trace.Span]:
    """A span in the lead's trace, child of the event that caused the work (if any). With
    no OpenTelemetry SDK configured nothing would be recorded: a non-recording span is
    yielded without building the context (a tenth of the cost)."""
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        yield trace.INVALID_SPAN
        return
    parent_id = span_id_of(parent_event_id or correlation_id)
    parent = SpanContext(
        trace_id=trace_id_of(correlation_id),
        span_id=parent_id,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    context = trace.set_span_in_context(NonRecordingSpan(parent))
    with trace.get_tracer(TRACER).start_as_current_span(
        name, context=context, kind=kind
    ) as current:
        yield current
