"""The "next working window" rule: when nobody in the target is eligible now, the lead goes
to the rep whose working hours begin first — across time zones, DST, absences and caps."""

from dataclasses import replace
from typing import Any

import pytest

from conveyor.router.domain.decision import Decision
from conveyor.router.domain.engine import decide, record
from conveyor.router.domain.policy import PolicyError, policy_from_dict
from conveyor.router.domain.reps import Absence, Rep
from conveyor.router.domain.state import RoutingState
from tests.unit.router.builders import at, lead, rep, state

WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def hunter(rep_id: str, time_zone: str, **settings: Any) -> Rep:
    return rep(rep_id, time_zone=time_zone, working_hours=WEEKDAYS_9_TO_5, **settings)


def route(routing: RoutingState, moment: str, outside_hours: str = "next_window",
          strategy: str = "round_robin", lead_id: str = "l1") -> Decision:  # fmt: skip
    rules = [{"name": "all", "pool": "default", "strategy": strategy,
              "outside_hours": outside_hours}]  # fmt: skip
    return decide(lead(lead_id), routing, at(moment), policy=policy_from_dict(1, rules, {}))


def test_the_rep_whose_working_day_begins_first_gets_the_lead_and_the_decision_says_so() -> None:
    routing = state(hunter("ana", "America/New_York"), hunter("ben", "Europe/Berlin"))
    decision = route(routing, "2026-03-01T23:00:00")  # Sunday night: nobody at work
    assert decision.rep_id == "ben"  # Berlin's Monday 09:00 is 08:00 UTC, New York's 14:00
    words = "next working window: ben starts Mon 09:00 Europe/Berlin (nobody in pool default"
    assert decision.explanation.startswith(words)
    assert decision.trace()["next_window"] == {
        "rep_id": "ben", "starts_at": "2026-03-02T08:00:00+00:00",
        "local": "Mon 09:00 Europe/Berlin"}  # fmt: skip
    excluded = {c.rep_id: c.excluded for c in decision.attempts[0].candidates}
    assert excluded == {
        "ana": "outside working hours (Sun 18:00 America/New_York); "
        "next working window later (Mon 09:00 America/New_York)",
        "ben": None,
    }


def test_a_zone_ahead_of_utc_can_begin_its_day_before_utc_midnight_ends() -> None:
    routing = state(hunter("ben", "Europe/Berlin"), hunter("kai", "Asia/Tokyo"))
    decision = route(routing, "2026-03-01T20:00:00")  # Sunday 21:00 Berlin, Monday 05:00 Tokyo
    assert decision.rep_id == "kai"
    assert decision.trace()["next_window"]["starts_at"] == "2026-03-02T00:00:00+00:00"


def test_the_next_window_follows_daylight_saving_changes() -> None:
    routing = state(hunter("ben", "Europe/Berlin"), hunter("lou", "Europe/London"))
    before = route(routing, "2026-03-21T12:00:00")  # Saturday, both on winter time
    assert before.rep_id == "ben"
    assert before.trace()["next_window"]["starts_at"] == "2026-03-23T08:00:00+00:00"
    after = route(routing, "2026-03-28T12:00:00")  # the clocks go forward on Sunday 29 March
    assert after.trace()["next_window"]["starts_at"] == "2026-03-30T07:00:00+00:00"
    new_york = state(hunter("ana", "America/New_York"), hunter("lou", "Europe/London"))
    gap = route(new_york, "2026-03-13T22:00:00")  # New York moved on 8 March, London not yet
    assert gap.rep_id == "lou"
    assert gap.trace()["next_window"]["starts_at"] == "2026-03-16T09:00:00+00:00"


def test_reps_starting_at_the_same_moment_are_split_by_the_strategy() -> None:
    routing = state(hunter("ana", "Europe/Berlin"), hunter("ben", "Europe/Paris"))
    first = route(routing, "2026-03-01T23:00:00", lead_id="l1")
    assert first.rep_id == "ana"
    assert first.attempts[0].tie_break == "tie on counter between ana, ben: lowest rep id first"
    record(routing, lead("l1"), first, at("2026-03-01T23:00:00"))
    second = route(routing, "2026-03-01T23:05:00", lead_id="l2")
    assert second.rep_id == "ben"  # round robin: ana's counter moved on
    routing.load("ana").close("l1")
    routing.load("ana").offer("x1", at("2026-03-01T10:00:00"))
    routing.load("ana").offer("x2", at("2026-03-01T10:00:00"))
    loaded = route(routing, "2026-03-01T23:10:00", strategy="least_loaded", lead_id="l3")
    assert loaded.rep_id == "ben"


def test_an_absence_moves_a_reps_next_window_to_its_end() -> None:
    morning = Absence("a1", at("2026-03-02T06:00:00"), at("2026-03-02T12:00:00"), "dentist")
    ben = replace(hunter("ben", "Europe/Berlin"), absences=(morning,))
    routing = state(hunter("ana", "America/New_York"), ben)
    decision = route(routing, "2026-03-01T23:00:00")
    assert decision.rep_id == "ben"
    assert decision.explanation.startswith("next working window: ben starts Mon 13:00")
    routing.reps["ben"] = replace(ben, absences=(replace(morning, ends_at=at("2026-03-03T06:00")),))
    assert route(routing, "2026-03-01T23:00:00").rep_id == "ana"  # ben is away all Monday


def test_reps_left_out_for_other_reasons_are_not_offered_at_their_next_window() -> None:
    routing = state(
        hunter("ana", "Europe/Berlin", capacity={"max_open": 0}),
        hunter("ben", "Europe/Berlin", active=False),
        hunter("cy", "America/New_York"),
    )
    assert route(routing, "2026-03-01T23:00:00").rep_id == "cy"
    routing.change_rep("cy", {"active": False})
    stuck = route(routing, "2026-03-01T23:00:00")
    assert stuck.rep_id is None and stuck.explanation.startswith("unroutable: no eligible hunter")


def test_a_rep_at_work_now_comes_before_any_next_window() -> None:
    routing = state(hunter("ana", "America/New_York"), hunter("ben", "Europe/Berlin"))
    decision = route(routing, "2026-03-02T15:00:00")  # 10:00 in New York, 16:00 in Berlin
    assert decision.rep_id == "ana" and "next_window" not in decision.trace()
    routing.change_rep("ana", {"capacity": {"per_day": 0}})
    capped = route(routing, "2026-03-02T16:30:00")  # ana capped, ben gone home at 17:00 Berlin
    assert capped.rep_id == "ben"
    assert capped.trace()["next_window"]["local"] == "Tue 09:00 Europe/Berlin"


def test_by_default_reps_outside_working_hours_are_left_out() -> None:
    routing = state(hunter("ana", "America/New_York"), hunter("ben", "Europe/Berlin"))
    decision = route(routing, "2026-03-01T23:00:00", outside_hours="exclude")
    assert decision.rep_id is None
    assert policy_from_dict(1, [{"name": "r", "pool": "p"}], {}).rules[0].outside_hours == (
        "exclude"
    )
    with pytest.raises(PolicyError, match="outside_hours is exclude or next_window"):
        policy_from_dict(1, [{"name": "r", "pool": "p", "outside_hours": "wait"}], {})


def test_a_named_rep_target_waits_for_that_reps_next_window_too() -> None:
    routing = state(hunter("ben", "Europe/Berlin"))
    rules = [{"name": "ben", "rep": "ben", "outside_hours": "next_window"}]
    decision = decide(lead(), routing, at("2026-03-01T23:00:00"),
                      policy=policy_from_dict(1, rules, {}))  # fmt: skip
    assert (decision.rep_id, decision.rule) == ("ben", "ben")
    assert decision.attempts[0].advance is None  # a named rep has no shared counters


def test_the_same_state_and_moment_give_the_same_next_window_decision() -> None:
    def fresh() -> RoutingState:
        return state(hunter("ana", "Asia/Kolkata"), hunter("ben", "Europe/Berlin"))

    first, again = (route(fresh(), "2026-03-06T20:00:00") for _ in range(2))
    assert first.trace() == again.trace()
    assert first.trace()["next_window"]["local"] == "Mon 09:00 Asia/Kolkata"


def test_a_shift_past_midnight_counts_as_working_hours_after_midnight() -> None:
    night = rep("nia", time_zone="Europe/Berlin", working_hours={"mon": [["22:00", "06:00"]]})
    assert night.working_at(at("2026-03-02T22:30:00"))  # Monday 23:30 in Berlin
    assert night.working_at(at("2026-03-03T03:00:00"))  # Tuesday 04:00, the Monday shift
    assert not night.working_at(at("2026-03-03T06:00:00"))  # Tuesday 07:00
    assert not night.working_at(at("2026-03-02T03:00:00"))  # Monday 04:00: no Sunday shift
