"""A per-source request limit in fixed one-minute windows: each request takes the next
place in its source's window, and is admitted while its place is within the limit."""

from __future__ import annotations

import math
from dataclasses import dataclass

from conveyor.intake.service_layer.access import Caller

WINDOW_SECONDS = 60


class KeyNotCurrent(Exception):
    """The key is no longer its source's current key, or the source was revoked."""

    def __init__(self, key_id: str) -> None:
        super().__init__(key_id)
        self.key_id = key_id


class RateLimited(Exception):
    """The source has made its requests for this minute: try again after ``retry_after``
    seconds."""

    def __init__(self, limit: int, retry_after: float) -> None:
        super().__init__(f"At most {limit} requests a minute for this source.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Hit:
    """One request made with a key, at a time, under a limit."""

    key_id: str
    limit: int
    now: float

    @classmethod
    def of(cls, caller: Caller, key_id: str, now: float) -> Hit:
        """A request of a source's caller, made with the key of that id."""
        return cls(key_id, caller.rate_limit_per_minute, now)

    @property
    def window(self) -> int:
        """The start of the minute the request falls in."""
        return int(self.now // WINDOW_SECONDS) * WINDOW_SECONDS

    def at_place(self, place: int) -> float | None:
        """None if the request's place in its window is within the limit, else the seconds
        until the next window."""
        if place <= self.limit:
            return None
        return float(max(1, math.ceil(self.window + WINDOW_SECONDS - self.now)))

    def refusal(self, admission: Admission) -> RateLimited | KeyNotCurrent | None:
        """Why the request is refused, given its count (None: admitted)."""
        if admission is None or isinstance(admission, KeyNotCurrent):
            return admission
        return RateLimited(self.limit, admission)


Admission = float | None | KeyNotCurrent
"""None: within the limit; seconds until the next window; or the key is not current."""
