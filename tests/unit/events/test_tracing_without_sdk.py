"""Spans without an OpenTelemetry SDK record nothing (and build no context); once a process
configures one, the same calls record. In a fresh interpreter: the global provider can be
set only once per process."""

import subprocess
import sys

SCRIPT = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from conveyor.events import tracing

correlation = "4bf92f35-77b3-4da6-a3ce-929d0e0e4736"
with tracing.span("before", correlation_id=correlation) as before:
    assert not before.is_recording()
    before.set_attribute("conveyor.subject", "lead-1")  # callers may annotate it anyway
memory = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(memory))
trace.set_tracer_provider(provider)
with tracing.span("after", correlation_id=correlation, parent_event_id=correlation) as after:
    assert after.is_recording()
(span,) = memory.get_finished_spans()
assert span.name == "after"
assert span.context.trace_id == tracing.trace_id_of(correlation)
print("checked")
"""


def test_a_span_records_only_once_an_sdk_is_configured() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "checked"
