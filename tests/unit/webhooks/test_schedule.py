"""The retry schedule: Svix's, extended past Stripe's three days, with bounded jitter."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from conveyor.webhooks.schedule import RETRY_SCHEDULE, next_attempt_at

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_schedule_starts_like_svix_and_lasts_longer_than_stripes_three_days() -> None:
    svix = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
    assert list(RETRY_SCHEDULE[:4]) == svix
    assert sum(RETRY_SCHEDULE, timedelta()) > timedelta(days=3)
    assert sum(RETRY_SCHEDULE, timedelta()) < timedelta(days=4)


def test_without_jitter_each_retry_waits_exactly_its_delay() -> None:
    for attempt, delay in enumerate(RETRY_SCHEDULE, start=1):
        assert next_attempt_at(attempt, NOW, jitter=0) == NOW + delay


def test_jitter_stays_within_its_fraction_of_the_delay_and_varies() -> None:
    rng = random.Random(7)
    times = {next_attempt_at(4, NOW, rng=rng) for _ in range(200)}
    assert all(t is not None for t in times)
    low, high = NOW + timedelta(hours=2) * 0.9, NOW + timedelta(hours=2) * 1.1
    assert all(t is not None and low <= t <= high for t in times)
    assert len(times) > 100


def test_a_seeded_rng_gives_the_same_time_again() -> None:
    first = next_attempt_at(2, NOW, rng=random.Random(1))
    assert first == next_attempt_at(2, NOW, rng=random.Random(1))


def test_after_the_last_attempt_there_is_no_next_one() -> None:
    assert next_attempt_at(len(RETRY_SCHEDULE), NOW) is not None
    assert next_attempt_at(len(RETRY_SCHEDULE) + 1, NOW) is None


def test_a_custom_schedule_is_followed() -> None:
    schedule = (timedelta(seconds=1), timedelta(seconds=2))
    assert next_attempt_at(2, NOW, schedule=schedule, jitter=0) == NOW + timedelta(seconds=2)
    assert next_attempt_at(3, NOW, schedule=schedule) is None


@pytest.mark.parametrize(
    ("attempt", "jitter", "reason"),
    [(0, 0.1, "numbered from 1"), (1, -0.1, "fraction"), (1, 1.0, "fraction")],
)
def test_attempt_numbers_start_at_one_and_jitter_is_a_fraction(
    attempt: int, jitter: float, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        next_attempt_at(attempt, NOW, jitter=jitter)
