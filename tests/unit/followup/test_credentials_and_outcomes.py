"""Reps' keys, and the task each outcome plans next."""

from datetime import date

from conveyor.followup.domain.credentials import hash_key, issue_key, key_id_of, key_matches
from conveyor.followup.domain.outcomes import next_task, overdue_on

HOLIDAYS = frozenset({date(2025, 3, 17)})
FRIDAY = date(2025, 3, 14)


def test_a_key_names_its_id_and_matches_only_its_hash() -> None:
    key = issue_key()
    assert key_id_of(key.key) == key.key_id
    assert key_matches(key.key, key.key_hash)
    assert not key_matches(key.key + "x", key.key_hash)
    assert key.key_hash == hash_key(key.key) != key.key


def test_a_token_of_another_shape_names_no_key() -> None:
    assert key_id_of("admin-token") is None
    assert key_id_of("fu_abc") is None
    assert key_id_of("xx_abc_def") is None


def test_a_call_back_on_a_weekend_or_holiday_moves_to_the_next_business_day() -> None:
    planned = next_task(
        "call_back", today=FRIDAY, call_back_on=date(2025, 3, 15), holidays=HOLIDAYS
    )
    assert planned is not None
    assert (planned.kind, planned.due_on) == ("call_back", date(2025, 3, 18))


def test_churn_risk_plans_a_retention_call_the_next_business_day() -> None:
    planned = next_task("churn_risk", today=FRIDAY, call_back_on=None, holidays=HOLIDAYS)
    assert planned is not None
    assert (planned.kind, planned.due_on) == ("retention_call", date(2025, 3, 18))


def test_the_other_outcomes_plan_nothing() -> None:
    for outcome in ("reorder_placed", "no_need_now", "lost"):
        assert next_task(outcome, today=FRIDAY, call_back_on=None, holidays=HOLIDAYS) is None


def test_a_task_is_overdue_the_business_day_after_its_grace() -> None:
    assert overdue_on(date(2025, 3, 13), 0, HOLIDAYS) == FRIDAY
    assert overdue_on(FRIDAY, 0, HOLIDAYS) == date(2025, 3, 18)
    assert overdue_on(FRIDAY, 2, HOLIDAYS) == date(2025, 3, 20)
