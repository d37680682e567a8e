"""When to try a failed webhook again.

The schedule is the Standard Webhooks (Svix) one — 5 seconds, 5 minutes, 30 minutes, 2 hours,
5 hours, 10 hours, 10 hours — extended by 14, 20 and 24 hours, so retries run for about three
and a half days in 11 attempts: longer than Stripe's 3 days. After the last one, the caller
dead-letters the message.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
"""Delays before attempts 2, 3, ...: the Svix schedule extended to about 3.5 days."""


def next_attempt_at(
    attempt: int,
    now: datetime,
    *,
    schedule: tuple[timedelta, ...] = RETRY_SCHEDULE,
    rng: random.Random | None = None,
    jitter: float = 0.1,
) -> datetime | None:
    """When to try again after failed attempt number ``attempt`` (1-based); None when exhausted."""
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    if not 0 <= jitter < 1:
        raise ValueError("jitter is a fraction of the delay, from 0 up to 1")
    if attempt > len(schedule):
        return None
    spread = (rng or random.Random()).uniform(-jitter, jitter)
    return now + schedule[attempt - 1] * (1 + spread)
