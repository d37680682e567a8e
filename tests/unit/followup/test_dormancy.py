"""When a quiet account goes dormant, and whose reactivation task it gets."""

from datetime import UTC, date, datetime

from conveyor.events.catalogue.followup import (
    AccountWatched,
    AccountWentDormant,
    FollowUpScheduled,
    ReactivationScheduled,
)
from conveyor.followup.domain.dormancy import (
    NO_FIRST_ORDER,
    NO_ORDER,
    REACTIVATION_POOL,
    Quiet,
    dormant_on,
    reactivation_notes,
)
from conveyor.followup.service_layer.firing import Firing, dormant

QUIET = Quiet(first_order_within_days=30, dormant_after_days=90)


def test_without_a_first_order_the_account_goes_dormant_after_the_first_period() -> None:
    assert dormant_on(date(2025, 1, 1), ordered_before=False, quiet=QUIET) == (
        date(2025, 1, 31),
        NO_FIRST_ORDER,
    )


def test_after_an_order_the_account_goes_dormant_after_the_longer_period() -> None:
    assert dormant_on(date(2025, 1, 1), ordered_before=True, quiet=QUIET) == (
        date(2025, 4, 1),
        NO_ORDER,
    )


def test_the_reactivation_notes_carry_the_offer_code_when_there_is_one() -> None:
    assert "Offer code: BACK5." in reactivation_notes(NO_ORDER, "BACK5")
    assert "Offer code" not in reactivation_notes(NO_ORDER, None)


WATCHED = AccountWatched(
    account_id="a-1",
    dormant_on=date(2025, 3, 15),  # a Saturday
    since=datetime(2025, 2, 13, tzinfo=UTC),
    reason=NO_FIRST_ORDER,
    time_zone="Europe/Berlin",
)


def test_a_dormant_account_with_an_active_farmer_gets_their_reactivation_task() -> None:
    firing = Firing(farmer_id="f-1", offer_code="BACK5", new_task_id=lambda: "t-1")
    went, reactivation, task = dormant(WATCHED, firing)
    assert isinstance(went, AccountWentDormant) and went.reason == NO_FIRST_ORDER
    assert reactivation == ReactivationScheduled(
        account_id="a-1", task_id="t-1", offer_code="BACK5", farmer_id="f-1", pool=None
    )
    assert isinstance(task, FollowUpScheduled)
    assert (task.farmer_id, task.kind, task.offer_code) == ("f-1", "reactivation", "BACK5")
    assert (task.due_on, task.time_zone) == (date(2025, 3, 17), "Europe/Berlin")


def test_without_an_active_farmer_the_task_goes_to_the_reactivation_pool() -> None:
    _, reactivation, task = dormant(WATCHED, Firing(new_task_id=lambda: "t-1"))
    assert isinstance(reactivation, ReactivationScheduled)
    assert (reactivation.pool, reactivation.farmer_id) == (REACTIVATION_POOL,) * 2
    assert isinstance(task, FollowUpScheduled) and task.farmer_id == REACTIVATION_POOL
    _, pooled, _ = dormant(WATCHED, Firing(reactivation_pool="winback"))
    assert isinstance(pooled, ReactivationScheduled) and pooled.pool == "winback"
