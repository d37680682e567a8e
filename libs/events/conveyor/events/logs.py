"""Structured JSON logs, one object per line, with the correlation id and the subject
(the lead, account or rep) of the work in hand."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from conveyor.events.model import current_correlation

correlation_id = current_correlation
subject: ContextVar[str | None] = ContextVar("subject", default=None)
Field = str | int | float
_fields: ContextVar[dict[str, Field] | None] = ContextVar("fields", default=None)


@contextmanager
def context(*, correlation: str | None, about: str | None = None) -> Iterator[None]:
    """Attach a correlation id (and a subject) to every log line and event made inside."""
    tokens = (correlation_id.set(correlation), subject.set(about))
    try:
        yield
    finally:
        correlation_id.reset(tokens[0])
        subject.reset(tokens[1])


@contextmanager
def annotated() -> Iterator[dict[str, Field]]:
    """Collect the fields annotate() adds inside (one HTTP request's, say) into every log line."""
    collected: dict[str, Field] = {}
    token = _fields.set(collected)
    try:
        yield collected
    finally:
        _fields.reset(token)


def annotate(**fields: Field) -> None:
    """Add fields (lead_id=...) to the log lines of the work in hand; outside annotated(),
    nothing happens."""
    if (collected := _fields.get()) is not None:
        collected.update(fields)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON, with the context variables that are set."""
        entry: dict[str, Field] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "pid": record.process or 0,  # which of a server's worker processes
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in (("correlation_id", correlation_id), ("subject", subject)):
            if (value := var.get()) is not None:
                entry[key] = value
        for key, field in (_fields.get() or {}).items():
            entry.setdefault(key, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: int = logging.INFO) -> None:
    """Send every logger's records to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
