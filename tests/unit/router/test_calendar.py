"""Working calendars: weekends, public holidays, overnight spans, DST and far time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor.router.adapters.holidays import holiday_checker
from conveyor.router.domain.calendar import WorkingCalendar
from conveyor.router.domain.reps import parse_settings
from tests.unit.router.builders import rep

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in WEEKDAYS}
SPLIT_DAY = {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in WEEKDAYS}
EVERY_DAY = {day: [["09:00", "17:00"]] for day in (*WEEKDAYS, "sat", "sun")}
GERMANY = holiday_checker("DE")


def calendar(zone: str, hours: dict[str, Any] | None = None, **kwargs: Any) -> WorkingCalendar:
    """A calendar with hours in their JSON shape (as rep settings carry them)."""
    parsed = parse_settings({"working_hours": hours or {}})["working_hours"]
    return WorkingCalendar(time_zone=zone, hours=parsed, **kwargs)


def local(text: str, zone: str) -> datetime:
    """A moment on a local wall clock, from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


BERLIN = calendar("Europe/Berlin", NINE_TO_FIVE, holidays=GERMANY)


def test_working_time_left_on_friday_carries_over_the_weekend_to_monday() -> None:
    friday = local("2026-03-20T16:30", "Europe/Berlin")
    assert BERLIN.add_working_time(friday, minutes(60)) == local(
        "2026-03-23T09:30", "Europe/Berlin"
    )
    assert BERLIN.is_working(friday)
    assert not BERLIN.is_working(local("2026-03-21T12:00", "Europe/Berlin"))


def test_german_public_holidays_are_skipped_like_a_weekend() -> None:
    christmas_eve = local("2026-12-24T16:00", "Europe/Berlin")  # Thursday; 25th and 26th off
    after = BERLIN.add_working_time(christmas_eve, minutes(120))
    assert after == local("2026-12-28T10:00", "Europe/Berlin")
    before_whit_monday = local("2026-05-22T16:30", "Europe/Berlin")
    tuesday = BERLIN.add_working_time(before_whit_monday, minutes(60))
    assert tuesday == local("2026-05-26T09:30", "Europe/Berlin")
    assert not BERLIN.is_working(local("2026-05-25T10:00", "Europe/Berlin"))


def test_a_holiday_of_one_subdivision_only_counts_there() -> None:
    bavaria = calendar("Europe/Berlin", NINE_TO_FIVE, holidays=holiday_checker("DE", "by"))
    monday = local("2026-01-05T16:00", "Europe/Berlin")  # Epiphany, Tue 6th, is Bavarian only
    assert bavaria.add_working_time(monday, minutes(120)) == local(
        "2026-01-07T10:00", "Europe/Berlin"
    )
    assert BERLIN.add_working_time(monday, minutes(120)) == local(
        "2026-01-06T10:00", "Europe/Berlin"
    )


def test_holiday_checker_knows_countries_and_subdivisions_and_says_which_is_unknown() -> None:
    assert holiday_checker(None)(date(2026, 12, 25)) is False
    assert holiday_checker("de", "BY") == holiday_checker("DE", "by")
    assert holiday_checker("US", "NY")(date(2026, 7, 3))  # July 4th falls on a Saturday
    assert holiday_checker("FR")(date(2027, 7, 14))
    assert not holiday_checker("FR")(date(2027, 7, 15))
    with pytest.raises(ValueError, match="unknown country 'XX'"):
        holiday_checker("XX")
    with pytest.raises(ValueError, match="unknown subdivision 'ZZ' of DE"):
        holiday_checker("DE", "ZZ")
    with pytest.raises(ValueError, match="needs a country"):
        holiday_checker(None, "BY")


def test_an_overnight_span_runs_past_midnight_into_the_next_day() -> None:
    nights = calendar("UTC", {"mon": [["22:00", "06:00"]]})
    assert nights.add_working_time(local("2026-03-02T23:00", "UTC"), minutes(180)) == local(
        "2026-03-03T02:00", "UTC"
    )
    assert nights.is_working(local("2026-03-03T05:59", "UTC"))
    assert not nights.is_working(local("2026-03-03T06:00", "UTC"))
    assert not nights.is_working(local("2026-03-02T05:00", "UTC"))  # Sunday night is off
    assert nights.business_day() == timedelta(hours=8)


def test_a_span_ending_at_24_00_joins_the_next_days_first_span() -> None:
    late = calendar("UTC", {"fri": [["18:00", "24:00"]], "sat": [["00:00", "02:00"]]})
    friday = local("2026-03-06T23:00", "UTC")
    assert late.add_working_time(friday, minutes(120)) == local("2026-03-07T01:00", "UTC")
    assert late.working_time_between(local("2026-03-06T18:00", "UTC"), friday + minutes(600)) == (
        timedelta(hours=8)
    )
    assert late.is_working(local("2026-03-06T23:59:59", "UTC"))


def test_overlapping_spans_are_counted_once() -> None:
    overlapping = calendar("UTC", {"mon": [["22:00", "06:00"]], "tue": [["05:00", "09:00"]]})
    monday = local("2026-03-02T22:00", "UTC")
    assert overlapping.working_time_between(monday, monday + timedelta(days=1)) == timedelta(
        hours=11
    )


def test_a_lunch_break_splits_the_day_in_two_spans() -> None:
    split = calendar("Europe/Berlin", SPLIT_DAY)
    morning = local("2026-03-02T11:30", "Europe/Berlin")
    assert split.add_working_time(morning, minutes(60)) == local(
        "2026-03-02T13:30", "Europe/Berlin"
    )
    assert not split.is_working(local("2026-03-02T12:30", "Europe/Berlin"))
    assert split.business_day() == timedelta(hours=7)


def test_a_dst_change_outside_the_span_leaves_the_working_day_eight_hours() -> None:
    every_day = calendar("Europe/Berlin", EVERY_DAY)
    for day in ("2026-03-29", "2026-10-25"):
        start = local(f"{day}T09:00", "Europe/Berlin")
        assert every_day.add_working_time(start, minutes(479)) == local(
            f"{day}T16:59", "Europe/Berlin"
        )
        assert every_day.working_time_between(start, start + timedelta(hours=12)) == (
            timedelta(hours=8)
        )


def test_a_dst_change_inside_an_overnight_span_counts_the_real_elapsed_time() -> None:
    nights = calendar("Europe/Berlin", {"sat": [["22:00", "06:00"]]})
    spring = local("2026-03-28T22:00", "Europe/Berlin")
    assert nights.working_time_between(spring, spring + timedelta(hours=12)) == timedelta(hours=7)
    assert nights.add_working_time(spring, minutes(6 * 60 + 59)) == local(
        "2026-03-29T05:59", "Europe/Berlin"
    )
    autumn = local("2026-10-24T22:00", "Europe/Berlin")
    assert nights.working_time_between(autumn, autumn + timedelta(hours=12)) == timedelta(hours=9)


def test_a_span_starting_in_the_skipped_hour_begins_when_the_clock_jumps() -> None:
    early = calendar("Europe/Berlin", {"sun": [["02:30", "04:00"]]})
    assert not early.is_working(datetime(2026, 3, 29, 0, 59, tzinfo=UTC))  # 01:59 CET
    assert early.is_working(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))  # 03:00 CEST
    sunday = local("2026-03-29T00:00", "Europe/Berlin")
    assert early.working_time_between(sunday, sunday + timedelta(hours=6)) == timedelta(hours=1)


def test_new_york_hours_keep_their_local_times_across_the_spring_change() -> None:
    new_york = calendar("America/New_York", NINE_TO_FIVE)
    friday = local("2026-03-06T16:00", "America/New_York")  # EST; Sunday 8th moves to EDT
    monday = new_york.add_working_time(friday, minutes(120))
    assert monday == local("2026-03-09T10:00", "America/New_York")
    assert monday == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    always = calendar("America/New_York")
    sunday = local("2026-03-08T00:00", "America/New_York")
    assert always.working_time_between(sunday, local("2026-03-09T00:00", "America/New_York")) == (
        timedelta(hours=23)
    )


def test_tokyo_days_start_on_the_previous_utc_day_and_skip_japanese_holidays() -> None:
    tokyo = calendar("Asia/Tokyo", NINE_TO_FIVE, holidays=holiday_checker("JP"))
    sunday_utc = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # Monday 08:00 in Tokyo
    assert tokyo.add_working_time(sunday_utc, minutes(60)) == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    thursday = local("2026-03-19T16:30", "Asia/Tokyo")  # Friday 20th: Vernal Equinox Day
    assert tokyo.add_working_time(thursday, minutes(60)) == local("2026-03-23T09:30", "Asia/Tokyo")


def test_auckland_saturday_begins_on_friday_in_utc() -> None:
    auckland = calendar("Pacific/Auckland", NINE_TO_FIVE)
    friday_utc = datetime(2026, 3, 20, 22, 0, tzinfo=UTC)  # Saturday 11:00 NZDT
    assert not auckland.is_working(friday_utc)
    after = auckland.add_working_time(friday_utc, minutes(60))
    assert after == local("2026-03-23T10:00", "Pacific/Auckland")
    assert after == datetime(2026, 3, 22, 21, 0, tzinfo=UTC)


def test_adding_nothing_gives_the_next_working_moment_at_or_after_the_start() -> None:
    inside = local("2026-03-02T10:00", "Europe/Berlin")
    assert BERLIN.add_working_time(inside, timedelta(0)) == inside
    assert BERLIN.add_working_time(inside, timedelta(0)).tzinfo is UTC
    saturday = local("2026-03-07T10:00", "Europe/Berlin")
    monday = local("2026-03-09T09:00", "Europe/Berlin")
    assert BERLIN.add_working_time(saturday, timedelta(0)) == monday


def test_counting_from_outside_hours_begins_at_the_next_working_moment() -> None:
    early = local("2026-03-03T06:00", "Europe/Berlin")
    assert BERLIN.add_working_time(early, minutes(90)) == local("2026-03-03T10:30", "Europe/Berlin")
    assert BERLIN.working_time_between(early, local("2026-03-03T10:30", "Europe/Berlin")) == (
        minutes(90)
    )


def test_a_deadline_at_the_end_of_a_day_moves_to_the_next_working_moment() -> None:
    afternoon = local("2026-03-06T16:00", "Europe/Berlin")  # Friday
    assert BERLIN.add_working_time(afternoon, minutes(60)) == local(
        "2026-03-09T09:00", "Europe/Berlin"
    )


def test_without_hours_every_minute_works_except_on_holidays() -> None:
    always = calendar("Europe/Berlin", holidays=GERMANY)
    christmas_eve = local("2026-12-24T23:00", "Europe/Berlin")
    after = always.add_working_time(christmas_eve, minutes(120))
    assert after == local("2026-12-27T01:00", "Europe/Berlin")
    assert not always.is_working(local("2026-12-25T12:00", "Europe/Berlin"))
    assert always.is_working(local("2026-12-27T00:00", "Europe/Berlin"))
    week = local("2026-12-21T00:00", "Europe/Berlin")
    assert always.working_time_between(week, week + timedelta(days=7)) == timedelta(days=5)


def test_a_business_day_is_the_longest_weekday_or_a_whole_day_without_hours() -> None:
    assert BERLIN.business_day() == timedelta(hours=8)
    short_friday = calendar("UTC", {**NINE_TO_FIVE, "fri": [["09:00", "13:00"]]})
    assert short_friday.business_day() == timedelta(hours=8)
    assert calendar("UTC").business_day() == timedelta(hours=24)
    assert calendar("UTC", {"mon": [["00:00", "24:00"]]}).business_day() == timedelta(hours=24)


def test_a_calendar_without_any_working_time_is_refused_rather_than_looping() -> None:
    holidays_only = calendar("UTC", NINE_TO_FIVE, holidays=lambda day: True)
    monday = local("2026-03-02T10:00", "UTC")
    with pytest.raises(ValueError, match="no working time in the 366 days"):
        holidays_only.add_working_time(monday, minutes(1))
    assert holidays_only.working_time_between(monday, monday + timedelta(days=30)) == timedelta(0)
    assert not holidays_only.is_working(monday)
    no_spans = WorkingCalendar(hours={"mon": ()})
    with pytest.raises(ValueError, match="no working time"):
        no_spans.add_working_time(monday, timedelta(0))
    with pytest.raises(ValueError, match="no working hours"):
        no_spans.business_day()


def test_bad_arguments_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        BERLIN.is_working(datetime(2026, 3, 2, 10, 0))
    with pytest.raises(ValueError, match="negative"):
        BERLIN.add_working_time(local("2026-03-02T10:00", "UTC"), minutes(-1))
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        WorkingCalendar(time_zone="Mars/Olympus")


CALENDARS = (
    BERLIN,
    calendar("America/New_York", SPLIT_DAY, holidays=holiday_checker("US", "NY")),
    calendar("Pacific/Auckland", {"sat": [["22:00", "06:00"]], "wed": [["00:00", "24:00"]]}),
    calendar("Asia/Tokyo", holidays=holiday_checker("JP")),
    calendar("Europe/Berlin", {"sun": [["02:30", "04:00"]], "sat": [["01:00", "02:30"]]}),
)
MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
AMOUNTS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=60))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CALENDARS), MOMENTS, AMOUNTS)
def test_working_time_between_undoes_add_working_time(
    calendar: WorkingCalendar, start: datetime, amount: timedelta
) -> None:
    after = calendar.add_working_time(start, amount)
    assert after >= start
    assert calendar.is_working(after)
    assert calendar.working_time_between(start, after) == amount


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CALENDARS), MOMENTS, st.timedeltas(timedelta(0), timedelta(days=9)))
def test_adding_the_working_time_between_two_moments_reaches_the_second_less_idle_time(
    calendar: WorkingCalendar, start: datetime, gap: timedelta
) -> None:
    end = start + gap
    between = calendar.working_time_between(start, end)
    reached = calendar.add_working_time(start, between)
    assert calendar.working_time_between(start, reached) == between
    assert calendar.working_time_between(min(reached, end), max(reached, end)) == timedelta(0)


@settings(max_examples=300, deadline=None)
@given(MOMENTS, st.sampled_from([NINE_TO_FIVE, SPLIT_DAY, {}]))
def test_the_calendar_agrees_with_the_reps_own_working_hours(
    moment: datetime, hours: dict[str, Any]
) -> None:
    ana = rep("ana", time_zone="America/New_York", working_hours=hours)
    ana_calendar = WorkingCalendar(time_zone=ana.time_zone, hours=ana.working_hours)
    assert ana_calendar.is_working(moment) == ana.working_at(moment)
