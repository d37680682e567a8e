"""Who takes a won account: its client's farmer, else a farmer whose portfolio rules match,
else the least loaded farmer under their cap, else nobody yet (visibly unassigned)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

UNASSIGNED = "unassigned"
EXISTING, RULES, LEAST_LOADED, NONE = "existing_farmer", "portfolio_rules", "least_loaded", "none"


@dataclass(frozen=True)
class FarmerLoad:
    """A farmer, their portfolio rules and the number of accounts they hold."""

    farmer_id: str
    portfolio_size: int
    territories: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    product_lines: frozenset[str] = frozenset()
    cap: int | None = None
    available: bool = True
    time_zone: str = "UTC"

    def has_room(self) -> bool:
        """Whether the farmer is available and under their portfolio cap."""
        return self.available and (self.cap is None or self.portfolio_size < self.cap)


@dataclass(frozen=True)
class AccountTraits:
    """What the portfolio rules look at: where the client is, what it is and wants."""

    territories: frozenset[str] = frozenset()
    segment: str | None = None
    product_lines: frozenset[str] = frozenset()
    client_farmer: str | None = None


@dataclass(frozen=True)
class Handover:
    """The farmer chosen for an account, the rule that chose them, and why."""

    farmer_id: str
    reason: str
    rule: str = LEAST_LOADED
    reasons: tuple[str, ...] = field(default=())


def account_id_for(lead_id: str) -> str:
    """The account's id: the same for every deal won on one lead."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"conveyor:account:{lead_id}"))


def choose_farmer(farmers: Sequence[FarmerLoad]) -> FarmerLoad | None:
    """The farmer with the smallest portfolio; ties go to the smallest farmer id."""
    return min(farmers, key=lambda f: (f.portfolio_size, f.farmer_id), default=None)


def hand_over(
    farmers: Sequence[FarmerLoad],
    account: AccountTraits | None = None,
    *,
    excluding: Iterable[str] = (),
) -> Handover:
    """Apply the portfolio rules in order: client's farmer, matching rules, least loaded."""
    account = account or AccountTraits()
    left = [f for f in farmers if f.farmer_id not in set(excluding)]
    return (
        _existing(left, account)
        or _matching(left, account)
        or _least_loaded(left)
        or _nobody(farmers, left)
    )


def matches(farmer: FarmerLoad, account: AccountTraits) -> tuple[str, ...]:
    """The rules of the farmer's portfolio the account matches, named."""
    found = [f"territory {t}" for t in sorted(farmer.territories & account.territories)]
    if account.segment and account.segment in farmer.segments:
        found.append(f"segment {account.segment}")
    found += [f"product line {p}" for p in sorted(farmer.product_lines & account.product_lines)]
    return tuple(found)


def _existing(farmers: Sequence[FarmerLoad], account: AccountTraits) -> Handover | None:
    owner = next((f for f in farmers if f.farmer_id == account.client_farmer), None)
    if owner is None or not owner.available:
        return None
    reason = "existing farmer of the client"
    return Handover(owner.farmer_id, reason, EXISTING, (reason,))


def _matching(farmers: Sequence[FarmerLoad], account: AccountTraits) -> Handover | None:
    scored = [(matches(f, account), f) for f in farmers if f.has_room()]
    scored = [(m, f) for m, f in scored if m]
    if not scored:
        return None
    found, best = min(scored, key=lambda s: (-len(s[0]), s[1].portfolio_size, s[1].farmer_id))
    reason = f"portfolio rules match ({', '.join(found)}); {_accounts(best.portfolio_size)}"
    return Handover(best.farmer_id, reason, RULES, found)


def _least_loaded(farmers: Sequence[FarmerLoad]) -> Handover | None:
    chosen = choose_farmer([f for f in farmers if f.has_room()])
    if chosen is None:
        return None
    reason = f"least loaded farmer ({_accounts(chosen.portfolio_size)})"
    return Handover(chosen.farmer_id, reason, LEAST_LOADED, (reason,))


def _nobody(farmers: Sequence[FarmerLoad], left: Sequence[FarmerLoad]) -> Handover:
    if not farmers:
        reason = "no farmer enrolled"
    elif not left:
        reason = "no other farmer enrolled"
    elif not any(f.available for f in left):
        reason = "no farmer available"
    else:
        reason = "every available farmer is at their portfolio cap"
    return Handover(UNASSIGNED, reason, NONE, (reason,))


def _accounts(n: int) -> str:
    return f"{n} account" if n == 1 else f"{n} accounts"
