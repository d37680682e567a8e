"""Who takes a won account."""

import uuid

from conveyor.followup.domain.handover import (
    LEAST_LOADED,
    NONE,
    UNASSIGNED,
    FarmerLoad,
    Handover,
    account_id_for,
    choose_farmer,
    hand_over,
)


def test_the_least_loaded_farmer_is_chosen() -> None:
    farmers = [FarmerLoad("a", 3), FarmerLoad("b", 1), FarmerLoad("c", 2)]
    assert choose_farmer(farmers) == FarmerLoad("b", 1)


def test_a_tie_goes_to_the_smallest_farmer_id() -> None:
    farmers = [FarmerLoad("f-9", 1), FarmerLoad("f-2", 1), FarmerLoad("f-5", 4)]
    assert choose_farmer(farmers) == FarmerLoad("f-2", 1)


def test_nobody_is_chosen_when_no_farmer_is_enrolled() -> None:
    assert choose_farmer([]) is None


def test_the_handover_says_why_the_farmer_was_chosen() -> None:
    handover = hand_over([FarmerLoad("a", 3), FarmerLoad("b", 4)])
    reason = "least loaded farmer (3 accounts)"
    assert handover == Handover("a", reason, LEAST_LOADED, (reason,))


def test_without_farmers_the_account_is_visibly_unassigned() -> None:
    assert hand_over([]) == Handover(
        UNASSIGNED, "no farmer enrolled", NONE, ("no farmer enrolled",)
    )


def test_every_deal_on_one_lead_names_the_same_account() -> None:
    assert account_id_for("lead-1") == account_id_for("lead-1") != account_id_for("lead-2")
    assert uuid.UUID(account_id_for("lead-1")).version == 5
