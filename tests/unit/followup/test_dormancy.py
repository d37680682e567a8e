"""When a quiet account goes dormant."""

from datetime import date

from conveyor.followup.domain.dormancy import (
    NO_FIRST_ORDER,
    NO_ORDER,
    Quiet,
    dormant_on,
    reactivation_notes,
)

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
