"""Business days and the plan of the first follow-up."""

from datetime import date

import pytest

from conveyor.followup.domain.cadence import lay_out
from conveyor.followup.domain.calendar import add_business_days
from conveyor.followup.domain.plan import ONBOARDING_CALL, built_in_cadence

MONDAY, FRIDAY, SATURDAY = date(2025, 3, 3), date(2025, 3, 7), date(2025, 3, 8)


def test_friday_plus_two_business_days_is_tuesday() -> None:
    assert add_business_days(FRIDAY, 2) == date(2025, 3, 11)


def test_business_days_within_a_week_are_plain_days() -> None:
    assert add_business_days(MONDAY, 3) == date(2025, 3, 6)


def test_a_weekend_start_counts_monday_as_the_first_business_day() -> None:
    assert add_business_days(SATURDAY, 1) == date(2025, 3, 10)


def test_ten_business_days_are_two_weeks() -> None:
    assert add_business_days(MONDAY, 10) == date(2025, 3, 17)


def test_zero_business_days_is_the_same_day() -> None:
    assert add_business_days(SATURDAY, 0) == SATURDAY


def test_negative_business_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_days(MONDAY, -1)


def test_the_first_task_is_an_onboarding_call_due_after_the_business_days() -> None:
    names = {"client": "Acme", "deal": "1200 EUR"}
    [task] = lay_out(built_in_cadence(2), FRIDAY, holidays=(), names=names)
    assert (task.kind, task.due_on) == (ONBOARDING_CALL, date(2025, 3, 11))
    assert "Acme" in task.notes
    assert "1200 EUR" in task.notes
