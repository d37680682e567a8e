"""Commands followup's API gives: each names one change and has one handler."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SetFarmerPortfolio:
    """Set the rules of a farmer's portfolio (replacing the ones before)."""

    farmer_id: str
    territories: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    product_lines: tuple[str, ...] = ()
    cap: int | None = None
    team_lead_id: str | None = None
