"""Cadences laid out on business days with public holidays, and which cadence an account gets."""

from datetime import date

from conveyor.followup.domain.cadence import (
    Cadence,
    Step,
    choose_cadence,
    lay_out,
    next_occurrence,
)
from conveyor.followup.domain.calendar import add_business_days, next_business_day
from conveyor.followup.domain.handover import AccountTraits

GOOD_FRIDAY, EASTER_MONDAY, LABOUR_DAY = date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 1)
HOLIDAYS = frozenset({GOOD_FRIDAY, EASTER_MONDAY, LABOUR_DAY})
WEDNESDAY = date(2025, 4, 16)
STEPS = (
    Step("onboarding_call", 2, script="Call {client}"),
    Step("delivery_check", 10, business_days=False),
    Step("reorder_check", 15, business_days=False),
    Step("review", 30, business_days=False, every_days=90),
)


def test_business_days_skip_weekends_and_holidays() -> None:
    assert add_business_days(WEDNESDAY, 2, HOLIDAYS) == date(2025, 4, 22)
    assert next_business_day(LABOUR_DAY, HOLIDAYS) == date(2025, 5, 2)


def test_a_cadence_is_laid_out_on_business_days() -> None:
    tasks = lay_out(Cadence("c", 1, STEPS), WEDNESDAY, holidays=HOLIDAYS, names={"client": "Acme"})
    assert [(t.kind, t.due_on) for t in tasks] == [
        ("onboarding_call", date(2025, 4, 22)),  # Thu, then Good Friday, weekend, Easter Monday
        ("delivery_check", date(2025, 4, 28)),  # day 10 is a Saturday
        ("reorder_check", date(2025, 5, 2)),  # day 15 is Labour Day
        ("review", date(2025, 5, 16)),
    ]
    assert tasks[0].notes == "Call Acme"
    assert tasks[3].every_days == 90


def test_a_repeating_task_comes_back_on_a_business_day() -> None:
    assert next_occurrence(date(2025, 5, 16), 90, HOLIDAYS) == date(2025, 8, 14)
    assert next_occurrence(date(2025, 2, 1), 89, HOLIDAYS) == date(2025, 5, 2)


def test_laid_out_after_a_day_only_later_tasks_remain_and_repeats_move_on() -> None:
    cadence = Cadence("c", 2, STEPS)
    tasks = lay_out(cadence, WEDNESDAY, holidays=HOLIDAYS, after=date(2025, 6, 1))
    assert [(t.kind, t.due_on) for t in tasks] == [("review", date(2025, 8, 14))]


def test_the_product_line_cadence_wins_over_the_segment_one_and_the_default() -> None:
    default = Cadence("default", 1, STEPS)
    smb = Cadence("smb", 1, STEPS, segment="smb")
    pumps = Cadence("pumps", 1, STEPS, product_line="pumps")
    account = AccountTraits(segment="smb", product_lines=frozenset({"pumps"}))
    assert choose_cadence([default, smb, pumps], account) == pumps
    assert choose_cadence([default, smb], account) == smb
    assert choose_cadence([default, smb], AccountTraits()) == default
    assert choose_cadence([smb], AccountTraits()) is None
