"""SLA policies and their ladders on working calendars with weekends and public holidays."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conveyor.router.adapters.holidays import holiday_checker
from conveyor.router.domain.calendar import WorkingCalendar
from conveyor.router.domain.reps import parse_settings
from conveyor.router.domain.sla import (
    DEFAULT_SLA,
    Clock,
    SlaError,
    Step,
    due_at,
    next_due,
    sla_from_dict,
    steps_due,
    stuck_since,
)

EXAMPLE = {
    "accept": {
        "within_minutes": 30,
        "ladder": [
            {"at_minutes": 15, "action": "remind"},
            {"at_minutes": 30, "action": "notify_team_lead"},
            {"at_minutes": 45, "action": "reroute"},
            {"at_minutes": 120, "action": "escalate"},
        ],
    },
    "contact": {
        "within_minutes": 240,
        "ladder": [
            {"at_minutes": 240, "action": "notify_team_lead"},
            {"at_minutes": 480, "action": "escalate"},
        ],
    },
}
NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
BERLIN = WorkingCalendar(
    time_zone="Europe/Berlin",
    hours=parse_settings({"working_hours": NINE_TO_FIVE})["working_hours"],
    holidays=holiday_checker("DE"),
)
FRIDAY_BEFORE_WHIT_MONDAY = datetime(2026, 5, 22, 16, 30, tzinfo=ZoneInfo("Europe/Berlin"))


def berlin(text: str) -> datetime:
    """A moment on the Berlin wall clock, from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Berlin"))


def ladder(clock: Clock | None) -> list[tuple[float, str]]:
    """The clock's steps as (working minutes, action), in order."""
    assert clock is not None
    return [(step.at / timedelta(minutes=1), step.action) for step in clock.steps]


def test_the_example_policy_reads_into_two_clocks_with_their_breach_steps() -> None:
    policy = sla_from_dict(EXAMPLE)
    assert policy.accept is not None
    assert policy.accept.within == timedelta(minutes=30)
    assert ladder(policy.accept) == [
        (15, "remind"),
        (30, "breach"),
        (30, "notify_team_lead"),
        (45, "reroute"),
        (120, "escalate"),
    ]
    assert [step.index for step in policy.accept.steps] == [0, 1, 2, 3, 4]
    assert ladder(policy.contact) == [(240, "breach"), (240, "notify_team_lead"), (480, "escalate")]


def test_the_default_policy_reminds_then_breaches_then_reroutes_within_an_hour() -> None:
    assert ladder(DEFAULT_SLA.accept) == [
        (30, "remind"),
        (60, "breach"),
        (60, "notify_team_lead"),
        (60, "reroute"),
    ]
    assert ladder(DEFAULT_SLA.contact) == [
        (480, "breach"),
        (480, "notify_team_lead"),
        (960, "escalate"),
    ]
    assert sla_from_dict(None) == DEFAULT_SLA


def test_a_ladder_given_out_of_order_is_sorted_and_fractions_of_minutes_are_kept() -> None:
    policy = sla_from_dict(
        {
            "contact": {
                "within_minutes": 90.5,
                "ladder": [
                    {"at_minutes": 200, "action": "escalate"},
                    {"at_minutes": 0, "action": "remind"},
                    {"at_minutes": 90.5, "action": "reroute"},
                ],
            }
        }
    )
    assert policy.accept is None
    assert ladder(policy.contact) == [
        (0, "remind"),
        (90.5, "breach"),
        (90.5, "reroute"),
        (200, "escalate"),
    ]


def test_an_empty_policy_switches_both_clocks_off() -> None:
    assert sla_from_dict({}) == sla_from_dict({"accept": None, "contact": None})
    assert sla_from_dict({}).accept is None
    assert sla_from_dict({"accept": {"within_minutes": 5}}).contact is None


def accept_step(**step: Any) -> dict[str, Any]:
    """An accept clock whose second step has the given fields."""
    first = {"at_minutes": 15, "action": "remind"}
    return {"accept": {"within_minutes": 30, "ladder": [first, step]}}


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        (["accept"], "sla", "must be an object"),
        ({"first_touch": {}}, "sla.first_touch", "unknown clock"),
        ({"accept": 30}, "sla.accept", "must be an object"),
        ({"accept": {"ladder": []}}, "sla.accept.within_minutes", "is required"),
        ({"accept": {"within_minutes": 0}}, "sla.accept.within_minutes", "more than 0"),
        ({"accept": {"within_minutes": -5}}, "sla.accept.within_minutes", "more than 0"),
        ({"accept": {"within_minutes": "30"}}, "sla.accept.within_minutes", "a number"),
        ({"accept": {"within_minutes": True}}, "sla.accept.within_minutes", "a number"),
        ({"accept": {"within_minutes": float("nan")}}, "sla.accept.within_minutes", "a number"),
        ({"accept": {"within_minutes": 10**9}}, "sla.accept.within_minutes", "at most"),
        ({"accept": {"within_minutes": 5, "grace": 1}}, "sla.accept.grace", "unknown field"),
        ({"contact": {"within_minutes": 5, "ladder": {}}}, "sla.contact.ladder", "a list"),
        (
            {"contact": {"within_minutes": 5, "ladder": ["remind"]}},
            "sla.contact.ladder[0]",
            "an object",
        ),
        (accept_step(at_minutes=20, action="call"), "sla.accept.ladder[1].action", "one of remind"),
        (accept_step(at_minutes=20, action="breach"), "sla.accept.ladder[1].action", "one of"),
        (accept_step(action="remind"), "sla.accept.ladder[1].at_minutes", "is required"),
        (accept_step(at_minutes=20), "sla.accept.ladder[1].action", "is required"),
        (
            accept_step(at_minutes=-1, action="remind"),
            "sla.accept.ladder[1].at_minutes",
            "at least 0",
        ),
        (
            accept_step(at_minutes=15, action="remind"),
            "sla.accept.ladder[1]",
            "repeats remind at 15",
        ),
        (accept_step(at_minutes=1, action="remind", to="x"), "sla.accept.ladder[1].to", "unknown"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field_and_why(
    data: Any, field: str, reason: str
) -> None:
    with pytest.raises(SlaError, match=reason) as raised:
        sla_from_dict(data)
    assert raised.value.field == field
    assert reason in raised.value.reason


def test_errors_name_the_field_under_the_path_given() -> None:
    with pytest.raises(SlaError) as raised:
        sla_from_dict({"accept": {"within_minutes": 0}}, path="rules[2].sla")
    assert raised.value.field == "rules[2].sla.accept.within_minutes"
    assert str(raised.value) == "rules[2].sla.accept.within_minutes: must be more than 0"


def test_the_same_action_twice_at_different_minutes_is_allowed_and_reroute_may_follow_contact() -> (
    None
):
    policy = sla_from_dict(
        {
            "contact": {
                "within_minutes": 60,
                "ladder": [
                    {"at_minutes": 15, "action": "remind"},
                    {"at_minutes": 45, "action": "remind"},
                    {"at_minutes": 60, "action": "reroute"},
                ],
            }
        }
    )
    assert ladder(policy.contact) == [
        (15, "remind"),
        (45, "remind"),
        (60, "breach"),
        (60, "reroute"),
    ]


def test_the_accept_ladder_waits_over_the_weekend_and_whit_monday() -> None:
    clock = DEFAULT_SLA.accept
    assert clock is not None
    offered = FRIDAY_BEFORE_WHIT_MONDAY  # 30 working minutes left on Friday
    due = [due_at(clock, BERLIN, offered, step) for step in clock.steps]
    assert due == [
        berlin("2026-05-26T09:00"),  # remind: Friday's last half hour, then Tuesday
        berlin("2026-05-26T09:30"),  # breach
        berlin("2026-05-26T09:30"),  # notify the team lead
        berlin("2026-05-26T09:30"),  # re-route
    ]
    assert steps_due(clock, BERLIN, offered, 0, berlin("2026-05-25T23:59")) == []
    assert next_due(clock, BERLIN, offered, 0) == berlin("2026-05-26T09:00")


def test_steps_fall_due_in_order_and_each_only_until_it_is_done() -> None:
    clock = sla_from_dict(EXAMPLE).accept
    assert clock is not None
    offered = FRIDAY_BEFORE_WHIT_MONDAY
    first = steps_due(clock, BERLIN, offered, 0, berlin("2026-05-26T09:10"))
    assert [(step.action, moment) for step, moment in first] == [
        ("remind", berlin("2026-05-22T16:45")),
        ("breach", berlin("2026-05-26T09:00")),
        ("notify_team_lead", berlin("2026-05-26T09:00")),
    ]
    assert next_due(clock, BERLIN, offered, 3) == berlin("2026-05-26T09:15")
    later = steps_due(clock, BERLIN, offered, 3, berlin("2026-05-26T10:30"))
    assert [(step.action, moment) for step, moment in later] == [
        ("reroute", berlin("2026-05-26T09:15")),
        ("escalate", berlin("2026-05-26T10:30")),
    ]
    assert steps_due(clock, BERLIN, offered, 5, berlin("2026-06-30T12:00")) == []
    assert next_due(clock, BERLIN, offered, 5) is None
    with pytest.raises(ValueError, match="cannot be negative"):
        steps_due(clock, BERLIN, offered, -1, offered)


def test_the_contact_clock_counts_business_hours_from_acceptance() -> None:
    clock = sla_from_dict(EXAMPLE).contact
    assert clock is not None
    accepted = berlin("2026-12-24T14:00")  # Thursday; 25th and 26th are holidays
    due = [
        (step.action, moment)
        for step, moment in steps_due(clock, BERLIN, accepted, 0, berlin("2027-01-01T00:00"))
    ]
    assert due == [
        ("breach", berlin("2026-12-28T10:00")),  # 3 hours on Thursday, 1 on Monday
        ("notify_team_lead", berlin("2026-12-28T10:00")),
        ("escalate", berlin("2026-12-28T14:00")),
    ]


def test_a_step_of_another_clock_has_no_due_time() -> None:
    accept, contact = DEFAULT_SLA.accept, DEFAULT_SLA.contact
    assert accept is not None and contact is not None
    with pytest.raises(ValueError, match="not a step of this clock"):
        due_at(accept, BERLIN, FRIDAY_BEFORE_WHIT_MONDAY, Step(1, timedelta(hours=8), "breach"))
    assert due_at(contact, BERLIN, FRIDAY_BEFORE_WHIT_MONDAY, contact.steps[0]) == berlin(
        "2026-05-26T16:30"
    )


def test_a_lead_is_stuck_after_more_than_one_business_day_of_working_time() -> None:
    offered = FRIDAY_BEFORE_WHIT_MONDAY  # half an hour on Friday, then Tuesday from 09:00
    assert not stuck_since(BERLIN, offered, berlin("2026-05-25T23:00"))
    assert not stuck_since(BERLIN, offered, berlin("2026-05-26T16:30"))  # exactly 8 hours
    assert stuck_since(BERLIN, offered, berlin("2026-05-26T16:31"))
    always = WorkingCalendar()
    assert not stuck_since(always, offered, offered + timedelta(hours=24))
    assert stuck_since(always, offered, offered + timedelta(hours=24, seconds=1))
