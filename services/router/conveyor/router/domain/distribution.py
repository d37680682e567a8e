"""Distribution of leads inside a pool."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Pick:
    """The rep chosen, the rotation counter used, and why."""

    rep_id: str
    rotation: int
    explanation: str


def round_robin(rep_ids: Sequence[str], rotation: int) -> Pick | None:
    """Take the next rep in a stable order; None when the pool has nobody eligible."""
    if not rep_ids:
        return None
    ordered = sorted(rep_ids)
    rep_id = ordered[rotation % len(ordered)]
    why = f"round robin: turn {rotation} of {len(ordered)} eligible hunters"
    return Pick(rep_id, rotation, why)
