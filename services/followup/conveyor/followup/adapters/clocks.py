"""Clocks: the system's, or one that starts at a chosen moment and runs on from there."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        """The current moment."""
        return datetime.now(UTC)


class ShiftedClock:
    """A clock that read start when it was made and has run at normal speed since."""

    def __init__(self, start: datetime) -> None:
        self.start = start if start.tzinfo else start.replace(tzinfo=UTC)
        self._began = time.monotonic()

    def now(self) -> datetime:
        """start plus the time elapsed since the clock was made."""
        return self.start + timedelta(seconds=time.monotonic() - self._began)
