"""Everything routing depends on, folded from the router's own log, in log order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from conveyor.router.domain.accounts import KeyAccount
from conveyor.router.domain.fairness import Advance, PoolCounters
from conveyor.router.domain.load import RepLoad
from conveyor.router.domain.offers import Offer, Waiting
from conveyor.router.domain.policy import PolicyBook
from conveyor.router.domain.reps import Absence, Rep


@dataclass
class RoutingState:
    """Reps, their loads, the pools' fairness counters, the policies and the waiting leads."""

    reps: dict[str, Rep] = field(default_factory=dict)
    loads: dict[str, RepLoad] = field(default_factory=dict)
    counters: dict[str, PoolCounters] = field(default_factory=dict)
    policies: PolicyBook = field(default_factory=PolicyBook)
    holder: dict[str, str] = field(default_factory=dict)
    unroutable: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    accounts: dict[str, KeyAccount] = field(default_factory=dict)
    tried: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a lead's reps so far
    offers: dict[str, Offer] = field(default_factory=dict)
    current: dict[str, str] = field(default_factory=dict)
    waiting: dict[str, Waiting] = field(default_factory=dict)
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    # for the SLA timers: offers whose clock started or moved, and leads that began to wait,
    # since they last looked; ``epoch`` moves when they must look at everything again (a
    # rep's calendar may have changed, or changes piled up while they did not look). Not
    # compared: what the timers have looked at is not the state, and two states folded from
    # the same log are equal whenever the timers took their notes
    clock_moved: set[str] = field(default_factory=set, compare=False)
    began_waiting: set[str] = field(default_factory=set, compare=False)
    epoch: int = field(default=0, compare=False)

    def load(self, rep_id: str) -> RepLoad:
        """The rep's load (empty for a rep with no leads yet)."""
        found = self.loads.get(rep_id)  # not setdefault: it would build a RepLoad every call
        if found is None:
            found = self.loads[rep_id] = RepLoad()
        return found

    def pool(self, name: str) -> PoolCounters:
        """The pool's counters (fresh for a pool with no turns yet)."""
        found = self.counters.get(name)
        if found is None:
            found = self.counters[name] = PoolCounters()
        return found

    def add_rep(self, rep: Rep) -> None:
        """A rep joined."""
        self.reps[rep.rep_id] = rep
        self.epoch += 1

    def change_rep(self, rep_id: str, changes: Mapping[str, Any]) -> None:
        """Some of a rep's settings changed."""
        self.reps[rep_id] = self.reps[rep_id].changed(changes)
        self.epoch += 1

    def set_available(self, rep_id: str, available: bool) -> None:
        """The rep became available or unavailable."""
        self.reps[rep_id] = replace(self.reps[rep_id], available=available)

    def add_absence(self, rep_id: str, absence: Absence) -> None:
        """An absence was scheduled."""
        rep = self.reps[rep_id]
        self.reps[rep_id] = replace(rep, absences=(*rep.absences, absence))

    def cancel_absence(self, rep_id: str, absence_id: str) -> None:
        """An absence was cancelled."""
        rep = self.reps[rep_id]
        kept = tuple(a for a in rep.absences if a.absence_id != absence_id)
        self.reps[rep_id] = replace(rep, absences=kept)

    def assign(
        self,
        lead_id: str,
        rep_id: str,
        at: datetime,
        *,
        pool: str,
        advance: Advance | None,
    ) -> None:
        """The lead was offered to a rep; counters move as the assignment recorded."""
        self.unroutable.pop(lead_id, None)
        self.load(rep_id).offer(lead_id, at)
        self.holder[lead_id] = rep_id
        if rep_id not in (had := self.tried.get(lead_id, ())):
            self.tried[lead_id] = (*had, rep_id)  # a tuple: most leads have one (a set: 216 B)
        self._wait(lead_id, at)
        if advance is not None:
            self.pool(pool).apply(advance)

    def close(self, lead_id: str) -> None:
        """The lead is no longer open for its rep."""
        if (rep_id := self.holder.get(lead_id)) is not None:
            self.load(rep_id).close(lead_id)

    def park(self, lead_id: str, lead: Mapping[str, Any], at: datetime | None = None) -> None:
        """No rep could take the lead; it waits for capacity."""
        self.unroutable[lead_id] = lead
        if at is not None:
            self._wait(lead_id, at)

    def _wait(self, lead_id: str, since: datetime) -> None:
        if lead_id not in self.waiting:
            self.waiting[lead_id] = Waiting(since)
            self._noted(self.began_waiting, lead_id)

    def open_offer(self, offer: Offer) -> None:
        """The lead's current assignment (the one before it is no longer current)."""
        self.offers[offer.assignment_id] = offer
        self.current[offer.lead_id] = offer.assignment_id
        self._noted(self.clock_moved, offer.assignment_id)

    def clock_changed(self, offer: Offer) -> None:
        """The offer's SLA clock started again (accepted) or took a step."""
        self._noted(self.clock_moved, offer.assignment_id)

    def _noted(self, changes: set[str], key: str) -> None:
        """Note a change for the timers; many unread (a replica whose timers do not run)
        are dropped for one look at everything."""
        changes.add(key)
        if len(changes) > 2 * (len(self.offers) + len(self.waiting)) + 1000:
            self.clock_moved.clear()
            self.began_waiting.clear()
            self.epoch += 1

    def offer_of(self, assignment_id: str) -> Offer | None:
        """An assignment still in flight (accepted leads too, until won, lost or moved)."""
        return self.offers.get(assignment_id)

    def finish(self, lead_id: str) -> None:
        """The lead's deal is won or lost: nothing routes it again, so the state forgets it
        (a long-running router holds its open leads, not its whole history)."""
        for held in (self.holder, self.tried, self.waiting, self.unroutable, self.current):
            held.pop(lead_id, None)

    def end_offer(self, assignment_id: str, status: str) -> None:
        """The assignment is over (won, lost, declined, withdrawn): its timers stop."""
        offer = self.offers.pop(assignment_id, None)
        if offer is not None:
            offer.status = status
            if self.current.get(offer.lead_id) == assignment_id:
                del self.current[offer.lead_id]
            self.close(offer.lead_id)
