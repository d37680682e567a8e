"""When a quiet account goes dormant: no first order within N days of the handover, or no
order for a configured period since the last one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

NO_FIRST_ORDER = "no first order"
NO_ORDER = "no order"
REACTIVATION = "reactivation"
REACTIVATION_POOL = "reactivation-pool"


@dataclass(frozen=True)
class Quiet:
    """How long an account may stay without orders."""

    first_order_within_days: int
    dormant_after_days: int


DEFAULT_QUIET = Quiet(first_order_within_days=30, dormant_after_days=90)


def dormant_on(day: date, *, ordered_before: bool, quiet: Quiet) -> tuple[date, str]:
    """The day an account quiet since day (the handover's or the last order's) goes dormant,
    and why."""
    if ordered_before:
        return day + timedelta(days=quiet.dormant_after_days), NO_ORDER
    return day + timedelta(days=quiet.first_order_within_days), NO_FIRST_ORDER


def reactivation_notes(reason: str, offer_code: str | None) -> str:
    """What the reactivation task tells the farmer."""
    offer = f" Offer code: {offer_code}." if offer_code else ""
    return f"The account went dormant ({reason}): call to win it back.{offer}"
