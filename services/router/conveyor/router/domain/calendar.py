"""A rep's working calendar: weekly hours on their own clock, minus public holidays.

Each span of hours belongs to the local day it starts on, is read on the wall clock of
that day (so a 09:00-17:00 day lasts 8 hours even on a daylight-saving change day, unless
the change falls inside the span: then the real elapsed time counts), may run past
midnight (22:00-06:00) and may end at "24:00" (``time.max``). A holiday removes the spans
that start on it. A wall time the clock skips begins when the clock jumps past it; a wall
time the clock shows twice is its first showing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from conveyor.router.domain.reps import WEEKDAYS

Interval = tuple[datetime, datetime]

ONE_DAY = timedelta(days=1)
MAX_IDLE_DAYS = 366
WHOLE_DAY = ((time.min, time.max),)


def no_holidays(day: date) -> bool:
    """A holiday checker for calendars without public holidays: never a holiday."""
    return False


@dataclass(frozen=True)
class WorkingCalendar:
    """Working hours per weekday (none given: always working) on a time zone, minus holidays."""

    time_zone: str = "UTC"
    hours: Mapping[str, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: Callable[[date], bool] = no_holidays

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.time_zone!r}") from None

    def is_working(self, moment: datetime) -> bool:
        """Whether the moment (timezone-aware) falls inside working time."""
        day = self._local(moment).date()
        spans = [*self._spans_on(day - ONE_DAY), *self._spans_on(day)]
        return any(start <= moment < end for start, end in spans)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The first working moment (UTC) by which ``amount`` of working time has passed.

        Counting begins at the first working moment at or after start; a moment that falls on
        the end of a span moves to the start of the next, so the answer is always working time.
        """
        if amount < timedelta(0):
            raise ValueError(f"working time to add must not be negative, got {amount}")
        remaining = amount
        for begin, end in self._intervals_after(start):
            if remaining < end - begin:
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("the walk over working days ends only by raising")  # pragma: no cover

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The working time inside [start, end); zero when end is not after start."""
        if end <= start:
            return timedelta(0)
        last_day = self._local(end).date()
        intervals = _disjoint(self._spans_from(self._local(start).date() - ONE_DAY, last_day))
        return sum(
            (min(e, end) - max(s, start) for s, e in intervals if s < end and e > start),
            timedelta(0),
        )

    def business_day(self) -> timedelta:
        """The working time of a typical working day: the longest weekday's total."""
        if not self.hours:
            return ONE_DAY
        longest = max((_wall_total(spans) for spans in self.hours.values()), default=timedelta(0))
        if longest <= timedelta(0):
            raise ValueError("the calendar has no working hours on any weekday")
        return longest

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"a calendar needs timezone-aware moments, got {moment.isoformat()}")
        return moment.astimezone(ZoneInfo(self.time_zone))

    def _intervals_after(self, since: datetime) -> Iterator[Interval]:
        first_day = self._local(since).date() - ONE_DAY
        for begin, end in _disjoint(self._spans_from(first_day)):
            if end > since:
                yield max(begin, since.astimezone(UTC)), end

    def _spans_from(self, day: date, last_day: date | None = None) -> Iterator[Interval]:
        idle = 0
        while last_day is None or day <= last_day:
            spans = self._spans_on(day)
            idle = 0 if spans else idle + 1
            if last_day is None and idle > MAX_IDLE_DAYS:
                raise ValueError(f"no working time in the {MAX_IDLE_DAYS} days up to {day}")
            yield from spans
            day += ONE_DAY

    def _spans_on(self, day: date) -> list[Interval]:
        if self.holidays(day):
            return []
        spans = self.hours.get(WEEKDAYS[day.weekday()], ()) if self.hours else WHOLE_DAY
        zone = ZoneInfo(self.time_zone)
        intervals = [_span(day, begin, end, zone) for begin, end in spans]
        return sorted(interval for interval in intervals if interval[0] < interval[1])


@lru_cache(maxsize=8192)
def _span(day: date, begin: time, end: time, zone: ZoneInfo) -> Interval:
    """The instants (UTC) of a span of wall-clock hours starting on the local day
    (remembered: the SLA clocks of every offer and waiting lead ask about the same few days
    and hours, and each answer converts two wall times through the zone's rules)."""
    end_day = day + ONE_DAY if end == time.max or end < begin else day
    end_time = time.min if end == time.max else end
    return _instant(day, begin, zone), _instant(end_day, end_time, zone)


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the local clock shows the wall time or later."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    low, high = naive.replace(tzinfo=zone, fold=1).astimezone(UTC), first  # a skipped time
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        shown = middle.astimezone(zone).replace(tzinfo=None)
        low, high = (low, middle) if shown >= naive else (middle, high)
    return high.replace(microsecond=0)


def _disjoint(intervals: Iterable[Interval]) -> Iterator[Interval]:
    """Intervals sorted by start, each cut so that no time is covered twice (lazily)."""
    covered: datetime | None = None
    for begin, end in intervals:
        begin = begin if covered is None else max(begin, covered)
        if begin < end:
            yield begin, end
            covered = end


def _wall_total(spans: Iterable[tuple[time, time]]) -> timedelta:
    """The wall-clock length of a weekday's spans, overlaps counted once."""
    reference = date(2001, 1, 1)
    intervals = sorted(_span(reference, begin, end, ZoneInfo("UTC")) for begin, end in spans)
    return sum((end - begin for begin, end in _disjoint(intervals)), timedelta(0))
