"""The event catalogue: every integration event Conveyor's services publish, in one registry."""

from conveyor.events.catalogue import delivery, followup, intake, router, values
from conveyor.events.catalogue.topics import ASSIGNMENTS, DEALS, FOLLOWUPS, LEADS, REPS
from conveyor.events.registry import Registry


def build_registry() -> Registry:
    """A registry holding the whole catalogue and its upcasters."""
    registry = Registry()
    for module in (intake, router, delivery, followup):
        module.register(registry)
    return registry


__all__ = ["ASSIGNMENTS", "DEALS", "FOLLOWUPS", "LEADS", "REPS", "build_registry", "values"]
