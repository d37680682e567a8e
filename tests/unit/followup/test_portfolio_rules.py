"""The portfolio rules, in order: the client's farmer, matching rules, least loaded, caps."""

from datetime import UTC, datetime, timedelta

from conveyor.followup.domain.handover import (
    EXISTING,
    LEAST_LOADED,
    NONE,
    RULES,
    UNASSIGNED,
    AccountTraits,
    FarmerLoad,
    hand_over,
)
from conveyor.followup.service_layer.rebalancing import is_long

NORTH_SMB = AccountTraits(
    territories=frozenset({"de", "north"}),
    segment="smb",
    product_lines=frozenset({"pumps"}),
)


def farmer(farmer_id: str, size: int, **rules: object) -> FarmerLoad:
    sets = {k: frozenset(v) for k, v in rules.items() if isinstance(v, set)}
    cap = rules.get("cap")
    available = rules.get("available", True)
    return FarmerLoad(
        farmer_id,
        size,
        cap=cap if isinstance(cap, int) else None,
        available=bool(available),
        **sets,
    )


def test_the_clients_existing_farmer_comes_first_even_over_cap_and_rules() -> None:
    owner = farmer("f-old", 10, cap=10)
    matcher = farmer("f-match", 0, territories={"north"})
    account = AccountTraits(territories=frozenset({"north"}), client_farmer="f-old")
    handover = hand_over([owner, matcher], account)
    assert (handover.farmer_id, handover.rule) == ("f-old", EXISTING)
    assert handover.reasons == ("existing farmer of the client",)


def test_an_unavailable_existing_farmer_is_passed_over() -> None:
    owner = farmer("f-old", 1, available=False)
    account = AccountTraits(client_farmer="f-old")
    assert hand_over([owner, farmer("f-2", 4)], account).farmer_id == "f-2"


def test_a_farmer_whose_rules_match_wins_over_a_less_loaded_one() -> None:
    idle = farmer("f-idle", 0)
    north = farmer("f-north", 7, territories={"north"})
    handover = hand_over([idle, north], NORTH_SMB)
    assert (handover.farmer_id, handover.rule) == ("f-north", RULES)
    assert handover.reasons == ("territory north",)
    assert handover.reason == "portfolio rules match (territory north); 7 accounts"


def test_the_farmer_matching_more_rules_wins_then_the_less_loaded() -> None:
    one = farmer("f-one", 0, territories={"de"})
    three = farmer("f-three", 5, territories={"de"}, segments={"smb"}, product_lines={"pumps"})
    also_three = farmer("f-also", 4, territories={"de"}, segments={"smb"}, product_lines={"pumps"})
    handover = hand_over([one, three, also_three], NORTH_SMB)
    assert handover.farmer_id == "f-also"
    assert handover.reasons == ("territory de", "segment smb", "product line pumps")


def test_a_matching_farmer_at_their_cap_is_skipped_for_the_least_loaded() -> None:
    full = farmer("f-full", 3, territories={"north"}, cap=3)
    handover = hand_over([full, farmer("f-2", 5), farmer("f-3", 4)], NORTH_SMB)
    assert (handover.farmer_id, handover.rule) == ("f-3", LEAST_LOADED)


def test_when_every_farmer_is_full_the_account_waits_unassigned_and_says_why() -> None:
    handover = hand_over([farmer("f-1", 2, cap=2), farmer("f-2", 1, cap=1)], NORTH_SMB)
    assert (handover.farmer_id, handover.rule) == (UNASSIGNED, NONE)
    assert handover.reason == "every available farmer is at their portfolio cap"


def test_unavailable_farmers_take_nothing() -> None:
    handover = hand_over([farmer("f-1", 0, available=False)], NORTH_SMB)
    assert (handover.farmer_id, handover.reason) == (UNASSIGNED, "no farmer available")


def test_an_excluded_farmer_is_not_chosen() -> None:
    handover = hand_over([farmer("f-1", 0), farmer("f-2", 9)], excluding=["f-1"])
    assert handover.farmer_id == "f-2"
    assert hand_over([farmer("f-1", 0)], excluding=["f-1"]).reason == "no other farmer enrolled"


def test_only_an_open_ended_or_long_leave_moves_accounts() -> None:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    assert is_long(None, start, 14)
    assert is_long(start + timedelta(days=14), start, 14)
    assert not is_long(start + timedelta(days=13), start, 14)
