"""Who takes a won account: the least loaded farmer, or nobody yet (visibly unassigned)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class FarmerLoad:
    """A farmer and the number of accounts in their portfolio."""

    farmer_id: str
    portfolio_size: int


@dataclass(frozen=True)
class Handover:
    """The farmer chosen for an account, and why."""

    farmer_id: str
    reason: str


def account_id_for(lead_id: str) -> str:
    """The account's id: the same for every deal won on one lead."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"conveyor:account:{lead_id}"))


def choose_farmer(farmers: Sequence[FarmerLoad]) -> FarmerLoad | None:
    """The farmer with the smallest portfolio; ties go to the smallest farmer id."""
    return min(farmers, key=lambda f: (f.portfolio_size, f.farmer_id), default=None)


def hand_over(farmers: Sequence[FarmerLoad]) -> Handover:
    """Hand an account to the least loaded farmer, or to nobody when none is enrolled."""
    chosen = choose_farmer(farmers)
    if chosen is None:
        return Handover(UNASSIGNED, "no farmer enrolled")
    plural = "account" if chosen.portfolio_size == 1 else "accounts"
    return Handover(chosen.farmer_id, f"least loaded farmer ({chosen.portfolio_size} {plural})")
