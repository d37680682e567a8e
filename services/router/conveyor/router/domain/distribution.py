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
    why = (
        f"round robin: {rep_id} is next, {rotation % len(ordered) + 1} of "
        f"{len(ordered)} eligible hunters (turn {rotation})"
    )
    return Pick(rep_id, rotation, why)
