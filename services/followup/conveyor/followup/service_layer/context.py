"""What command handlers are given beside their transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from conveyor.followup.domain.calendar import ONLY_FIXED
from conveyor.followup.domain.dormancy import DEFAULT_QUIET, Quiet
from conveyor.followup.service_layer.ports import (
    CadenceBook,
    Calendars,
    Clock,
    EndpointSecrets,
    Lookups,
)
from conveyor.followup.service_layer.streams import Streams


@dataclass(frozen=True)
class Context:
    """Streams to write to, the read ports, the calendars of public holidays and the clock."""

    streams: Streams
    cadences: CadenceBook
    lookups: Lookups
    clock: Clock
    new_task_id: Callable[[], str]
    calendars: Calendars = ONLY_FIXED
    grace_days: int = 0
    quiet: Quiet = DEFAULT_QUIET
    secrets: EndpointSecrets | None = None
    secret_overlap: timedelta = timedelta(hours=24)
