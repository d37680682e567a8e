"""Fairness counters of a pool: stride scheduling that never resets.

Each rep has a *pass*; the rep with the lowest pass is next, and their pass grows by a
stride of ``STRIDE // weight``. The pool's *floor* is the pass of the last pick. A rep who
joins, or whose pass fell behind the floor while away, is levelled to the lowest pass of
the reps who kept working, so they take their turn and no more (no flood); nobody's counter
is ever reset, and every levelling is recorded in the assignment's counters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

STRIDE = 720720  # divisible by every weight from 1 to 16


@dataclass(frozen=True)
class Advance:
    """The counters of one pick: each candidate's pass before, the pick's after, the floor."""

    before: dict[str, int]
    after: dict[str, int]
    floor_before: int
    floor_after: int
    turn: int


@dataclass
class PoolCounters:
    """One pool's passes, floor and number of turns taken."""

    passes: dict[str, int] = field(default_factory=dict)
    floor: int = 0
    turns: int = 0

    def levelled(self, rep_ids: Sequence[str]) -> dict[str, int]:
        """The reps' passes, the newcomers and the returners levelled to the working reps."""
        working = [p for r in rep_ids if (p := self.passes.get(r)) is not None and p >= self.floor]
        level = min(working, default=self.floor)
        return {r: max(self.passes.get(r, level), level) for r in rep_ids}

    def advance(self, rep_id: str, weight: int, candidates: Mapping[str, int]) -> Advance:
        """The counters after rep_id takes a turn (``candidates``: effective passes)."""
        start = candidates[rep_id]
        after = {**candidates, rep_id: start + STRIDE // max(weight, 1)}
        return Advance(dict(candidates), after, self.floor, start, self.turns)

    def apply(self, advance: Advance) -> None:
        """Take the counters an assignment recorded."""
        self.passes.update(advance.after)
        self.floor = max(self.floor, advance.floor_after)
        self.turns = max(self.turns, advance.turn + 1)
