"""Integration events and the envelope that carries them (CloudEvents 1.0 attributes)."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

SPECVERSION = "1.0"
current_correlation: ContextVar[str | None] = ContextVar("correlation_id", default=None)
DATACONTENTTYPE = "application/json"


class Event(BaseModel):
    """Base of every integration event: a named, versioned, immutable fact."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str]


class EventView(Event):
    """A narrower reading of one event type: some of its model's fields, for a reader that
    needs only those (a rebuild decodes an event into the view its projections read it
    through: parsing fewer fields makes fewer objects to build and free). ``of`` names the
    model; every field must be one of its fields, with the same annotation and default,
    checked when the class is made, and the view takes the model's type name and schema
    version. A view is never registered: an event is stored and published as its whole
    model."""

    of: ClassVar[type[Event]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        model = cls.of
        for name, part in cls.model_fields.items():
            whole = model.model_fields.get(name)
            if whole is None:
                raise TypeError(f"{cls.__name__}.{name} is not a field of {model.__name__}")
            if whole.annotation != part.annotation:
                raise TypeError(
                    f"{cls.__name__}.{name} is {part.annotation!r}, "
                    f"but {model.__name__}.{name} is {whole.annotation!r}"
                )
            if (whole.default, whole.default_factory) != (part.default, part.default_factory):
                raise TypeError(f"{cls.__name__}.{name}'s default is not {model.__name__}'s")
        cls.event_type = model.event_type
        cls.schema_version = model.schema_version


@dataclass(frozen=True)
class Envelope:
    """An event with its CloudEvents attributes plus correlation and causation ids."""

    id: str
    source: str
    type: str
    subject: str
    time: datetime
    schema_version: int
    data: Event
    correlation_id: str
    causation_id: str | None = None
    specversion: str = field(default=SPECVERSION)
    datacontenttype: str = field(default=DATACONTENTTYPE)
    data_json: str | None = field(default=None, compare=False, repr=False)
    """The data's JSON text as read (from the bus or a log), when it is of the current schema
    version: what ``codec.data_json_of`` gives instead of dumping the model again."""


@dataclass(frozen=True)
class Recorded:
    """An envelope as stored: its stream, its version in the stream and its global position."""

    envelope: Envelope
    stream_id: str
    version: int
    position: int


def new_envelope(
    data: Event,
    *,
    subject: str,
    source: str,
    caused_by: Envelope | None = None,
    correlation_id: str | None = None,
    now: datetime | None = None,
) -> Envelope:
    """Wrap an event in a fresh envelope; correlation flows from the causing event."""
    event_id = str(uuid.uuid4())
    correlation = (
        correlation_id
        or (caused_by.correlation_id if caused_by else None)
        or current_correlation.get()
        or event_id
    )
    return Envelope(
        id=event_id,
        source=source,
        type=data.event_type,
        subject=subject,
        time=now or datetime.now(UTC),
        schema_version=data.schema_version,
        data=data,
        correlation_id=correlation,
        causation_id=caused_by.id if caused_by else None,
    )
