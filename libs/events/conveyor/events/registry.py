"""A registry from event type to model, with upcasting of older schema versions on read."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from conveyor.events.model import Event, EventView

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]
E = TypeVar("E", bound=type[Event])
RECENT = 2048
"""How many events decoded by id a registry remembers: a process reads an event more than
once within moments (the router: from its own log and again from the bus; two consumer
groups reading the same topic), and each read after the first is handed the same model."""


class UnknownEventType(LookupError):
    """Raised when a type name has no registered model."""


class Registry:
    """Maps event type names to models and upgrades stored payloads to the current version."""

    def __init__(self, *, recent: int = RECENT) -> None:
        self._models: dict[str, type[Event]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        self._recent: OrderedDict[str, Event] = OrderedDict()  # by event id, oldest first
        self._recent_size = recent

    def register(self, model: E) -> E:
        """Register a model under its event_type (usable as a class decorator)."""
        if issubclass(model, EventView):
            raise ValueError(f"{model.__name__} is a view of {model.of.__name__}, not a model")
        if model.event_type in self._models:
            raise ValueError(f"event type {model.event_type!r} is registered twice")
        self._models[model.event_type] = model
        return model

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function that turns a payload of from_version into from_version + 1."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return decorate

    def knows(self, event_type: str) -> bool:
        """Tell whether a model is registered for the type."""
        return event_type in self._models

    def model(self, event_type: str) -> type[Event]:
        """Return the model registered for the type."""
        try:
            return self._models[event_type]
        except KeyError:
            raise UnknownEventType(event_type) from None

    def types(self) -> list[str]:
        """Every registered type name."""
        return sorted(self._models)

    def decode(self, event_type: str, version: int, payload: Payload) -> Event:
        """Build the current model from a payload of any earlier schema version."""
        model = self.model(event_type)
        if version > model.schema_version:
            raise ValueError(
                f"{event_type} v{version} is newer than this reader's v{model.schema_version}"
            )
        for step in range(version, model.schema_version):
            payload = self._upcaster_for(event_type, step)(dict(payload))
        return model.model_validate(payload)

    def decode_json(
        self, event_type: str, version: int, text: str | bytes, *, event_id: str | None = None
    ) -> Event:
        """Build the current model from a payload's JSON text: parsed straight into the model
        (by pydantic, without building a dict first) when it is of the current schema
        version, upcast as ``decode`` does otherwise.

        With ``event_id``, an event this registry decoded among its last ``RECENT`` is handed
        out again instead of parsed again: an event id names one event for good, and events
        are immutable."""
        if event_id is not None:
            found = self._recent.get(event_id)
            if found is not None and found.event_type == event_type:
                return found
        data = self._decode_json(event_type, version, text)
        if event_id is not None:
            self._remember(event_id, data)
        return data

    def decode_view(self, view: type[EventView], version: int, text: str | bytes) -> Event:
        """Build the view of an event from its payload's JSON text when the payload is of
        the view's schema version (the model's current one), parsing only the view's fields;
        an older payload is upcast and built whole, as ``decode`` does (the whole model has
        every field of the view). Never remembered by id: whoever asks ``decode_json`` for
        the event gets its whole model."""
        if version == view.schema_version and self.model(view.event_type) is view.of:
            return view.model_validate_json(text)
        return self._decode_json(view.event_type, version, text)

    def _decode_json(self, event_type: str, version: int, text: str | bytes) -> Event:
        model = self.model(event_type)
        if version == model.schema_version:
            return model.model_validate_json(text)
        payload = json.loads(text)
        if not isinstance(payload, dict):
            raise ValueError(f"{event_type} v{version}: the payload is not a JSON object")
        return self.decode(event_type, version, payload)

    def _remember(self, event_id: str, data: Event) -> None:
        recent = self._recent
        recent[event_id] = data
        if len(recent) > self._recent_size:
            recent.popitem(last=False)  # a dict's first key is found past every one deleted

    def _upcaster_for(self, event_type: str, version: int) -> Upcaster:
        try:
            return self._upcasters[(event_type, version)]
        except KeyError:
            raise LookupError(f"no upcaster for {event_type} v{version}") from None
