"""Conveyor's event backbone: typed events, the envelope, the store, the outbox and the bus."""

from conveyor.events.model import Envelope, Event, Recorded, new_envelope
from conveyor.events.registry import Registry, UnknownEventType

__all__ = ["Envelope", "Event", "Recorded", "Registry", "UnknownEventType", "new_envelope"]
