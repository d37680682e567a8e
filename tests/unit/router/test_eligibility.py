"""Who may take a lead: working hours across time zones and DST, absences, caps, scope."""

from dataclasses import replace
from datetime import timedelta

import pytest

from conveyor.router.domain.eligibility import capacity_reached, exclusion
from conveyor.router.domain.load import RepLoad
from conveyor.router.domain.reps import Absence
from tests.support import calls_to
from tests.unit.router.builders import at, lead, rep

NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def why(hunter_settings: dict[str, object], moment: str, load: RepLoad | None = None) -> str | None:
    hunter = rep("ana", **hunter_settings)
    return exclusion(hunter, load or RepLoad(), at(moment), lead=lead(), match_rep={})


def test_working_hours_are_read_on_the_reps_own_clock() -> None:
    berlin = {"time_zone": "Europe/Berlin", "working_hours": NINE_TO_FIVE}
    assert why(berlin, "2026-01-12T08:30:00") is None  # 09:30 in Berlin (winter, UTC+1)
    assert why(berlin, "2026-01-12T07:30:00") == "outside working hours (Mon 08:30 Europe/Berlin)"
    new_york = {"time_zone": "America/New_York", "working_hours": NINE_TO_FIVE}
    assert why(new_york, "2026-01-12T15:00:00") is None  # 10:00 in New York
    assert why(new_york, "2026-01-12T23:00:00") is not None  # 18:00 in New York


def test_working_hours_follow_daylight_saving_changes() -> None:
    berlin = {"time_zone": "Europe/Berlin", "working_hours": NINE_TO_FIVE}
    assert why(berlin, "2026-03-27T08:30:00") is None  # Friday 09:30 CET
    assert why(berlin, "2026-03-30T07:30:00") is None  # Monday 09:30 CEST, after the change
    assert why(berlin, "2026-03-30T15:30:00") is not None  # 17:30 CEST
    assert why(berlin, "2026-03-28T10:00:00") == "outside working hours (Sat 11:00 Europe/Berlin)"


def test_a_partial_day_absence_excludes_only_its_hours() -> None:
    doctor = Absence("a1", at("2026-03-02T10:00:00"), at("2026-03-02T12:30:00"), "doctor")
    hunter = replace(rep("ana"), absences=(doctor,))
    assert (
        exclusion(hunter, RepLoad(), at("2026-03-02T09:59:00"), lead=lead(), match_rep={}) is None
    )
    reason = exclusion(hunter, RepLoad(), at("2026-03-02T11:00:00"), lead=lead(), match_rep={})
    assert reason == "absent until 2026-03-02T12:30:00+00:00 (doctor)"
    assert (
        exclusion(hunter, RepLoad(), at("2026-03-02T12:30:00"), lead=lead(), match_rep={}) is None
    )


def test_inactive_and_unavailable_reps_are_excluded() -> None:
    assert why({"active": False}, "2026-03-02T10:00:00") == "inactive"
    hunter = replace(rep("ana"), available=False)
    assert exclusion(hunter, RepLoad(), at("2026-03-02T10:00"), lead=lead(), match_rep={}) == (
        "unavailable"
    )


def test_daily_cap_counts_the_reps_local_day() -> None:
    tokyo = rep("ana", time_zone="Asia/Tokyo", capacity={"per_day": 2})
    load = RepLoad()
    load.offer("l1", at("2026-03-02T14:00:00"))  # 23:00 Monday in Tokyo
    load.offer("l2", at("2026-03-02T16:00:00"))  # 01:00 Tuesday in Tokyo
    load.close("l1")
    load.close("l2")
    assert capacity_reached(tokyo, load, at("2026-03-02T17:00:00")) is None
    load.offer("l3", at("2026-03-02T16:30:00"))
    load.close("l3")
    assert capacity_reached(tokyo, load, at("2026-03-02T17:00:00")) == "daily cap reached (2/2)"


def test_weekly_and_open_lead_caps() -> None:
    capped = rep("ana", capacity={"per_week": 3, "max_open": 2})
    load = RepLoad()
    monday = at("2026-03-02T09:00:00")
    for n in range(3):
        load.offer(f"l{n}", monday + timedelta(days=n))
    assert (
        capacity_reached(capped, load, monday + timedelta(days=3)) == "open leads cap reached (3/2)"
    )
    for n in range(3):
        load.close(f"l{n}")
    assert capacity_reached(capped, load, monday + timedelta(days=3)) == "weekly cap reached (3/3)"
    assert capacity_reached(capped, load, monday + timedelta(days=7)) is None


def test_offers_are_counted_only_for_the_caps_a_rep_has(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load, now = RepLoad(), at("2026-03-02T09:00:00")
    for n in range(5):
        load.offer(f"l{n}", now - timedelta(hours=n))
    counted = calls_to(monkeypatch, load, "offered_between")
    assert capacity_reached(rep("ana", capacity={"max_open": 9}), load, now) is None
    assert counted == []
    daily = rep("ana", capacity={"per_day": 3})
    assert capacity_reached(daily, load, now) == "daily cap reached (5/3)"
    assert counted == ["offered_between"]


def test_scope_matches_rep_territories_exactly_or_by_prefix() -> None:
    hunter = rep("ana", territories=["DE", "AT"], product_lines=["crm"])
    munich = lead(location={"country": "DE", "postal_code": "80331"})
    scope = {"territories": "location.country"}
    assert (
        exclusion(hunter, RepLoad(), at("2026-03-02T10:00"), lead=munich, match_rep=scope) is None
    )
    paris = lead(location={"country": "FR"})
    assert exclusion(hunter, RepLoad(), at("2026-03-02T10:00"), lead=paris, match_rep=scope) == (
        "not in territories (location.country=FR; rep has [DE, AT])"
    )
    south = rep("bo", territories=["8*"])
    by_code = {"territories": "location.postal_code"}
    assert (
        exclusion(south, RepLoad(), at("2026-03-02T10:00"), lead=munich, match_rep=by_code) is None
    )
