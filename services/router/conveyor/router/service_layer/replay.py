"""Replaying the router's log: re-deciding every recorded decision from the state before
it (determinism), or through a draft policy (simulation) — touching no live state."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from conveyor.events import Envelope
from conveyor.events.catalogue.router import LeadAssigned, LeadUnroutable
from conveyor.router.domain.decision import Decision
from conveyor.router.domain.engine import decide, record
from conveyor.router.domain.policy import Policy
from conveyor.router.domain.state import RoutingState
from conveyor.router.service_layer.folding import fold
from conveyor.router.service_layer.ports import AccountMatching
from conveyor.router.service_layer.routing import lead_fields

Decided = LeadAssigned | LeadUnroutable


@dataclass(frozen=True)
class Replayed:
    """A recorded decision next to the one the engine takes again."""

    lead_id: str
    at: datetime
    recorded: str | None
    decision: Decision


def replay_decisions(envelopes: Iterable[Envelope], matching: AccountMatching) -> list[Replayed]:
    """Every recorded decision, re-decided from the state folded from the events before it."""
    state, replayed = RoutingState(), []
    for envelope in envelopes:
        data = envelope.data
        if isinstance(data, Decided):
            at = data.decided_at or envelope.time
            decision = decide(
                lead_fields(data.lead, data.qualification, state, matching), state, at
            )
            replayed.append(Replayed(data.lead_id, at, _rep(data), decision))
        fold(state, envelope)
    return replayed


@dataclass
class Simulation:
    """Per-lead outcomes live and simulated, over a period."""

    actual: dict[str, str | None] = field(default_factory=dict)
    simulated: dict[str, Decision] = field(default_factory=dict)
    at: dict[str, datetime] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Per-lead differences, per-rep load before and after, unroutable counts."""
        after = {lead: d.rep_id for lead, d in self.simulated.items()}
        diffs = [
            _diff(lead, self, after[lead])
            for lead in self.actual
            if self.actual[lead] != after[lead]
        ]
        return {
            "leads": len(self.actual),
            "changed": len(diffs),
            "differences": diffs,
            "load_before": _load(self.actual.values()),
            "load_after": _load(after.values()),
            "unroutable_before": sum(1 for r in self.actual.values() if r is None),
            "unroutable_after": sum(1 for r in after.values() if r is None),
        }


def simulate(
    envelopes: Iterable[Envelope],
    policy: Policy,
    *,
    start: datetime,
    end: datetime,
    matching: AccountMatching,
    roster: Mapping[str, Mapping[str, Any]] | None = None,
) -> Simulation:
    """Replay the decisions taken in [start, end) through a policy, with the reps as they
    were at each moment (and the roster changes given), on a copy of the state."""
    shadow, result, overrides = RoutingState(), Simulation(), roster or {}
    for envelope in envelopes:
        data = envelope.data
        at = getattr(data, "decided_at", None) or envelope.time
        if isinstance(data, Decided) and start <= at < end:
            _simulate_one(data, at, shadow, policy, result, matching)
            continue
        fold(shadow, envelope)
        rep_id = getattr(data, "rep_id", None)
        if rep_id in overrides and rep_id in shadow.reps and not isinstance(data, Decided):
            shadow.change_rep(rep_id, overrides[rep_id])
    return result


def _simulate_one(
    data: Decided,
    at: datetime,
    shadow: RoutingState,
    policy: Policy,
    result: Simulation,
    matching: AccountMatching,
) -> None:
    result.actual[data.lead_id] = _rep(data)
    earlier = result.simulated.get(data.lead_id)
    if earlier is not None and earlier.rep_id is not None:
        return  # the live retry of a lead the simulated policy had already placed
    lead = lead_fields(data.lead, data.qualification, shadow, matching)
    decision = decide(lead, shadow, at, policy=policy)
    record(shadow, lead, decision, at)
    result.simulated[data.lead_id] = decision
    result.at.setdefault(data.lead_id, at)


def _rep(data: Decided) -> str | None:
    return data.rep_id if isinstance(data, LeadAssigned) else None


def _diff(lead_id: str, result: Simulation, simulated: str | None) -> dict[str, Any]:
    decision = result.simulated[lead_id]
    return {
        "lead_id": lead_id,
        "at": result.at[lead_id].isoformat(),
        "actual_rep": result.actual[lead_id],
        "simulated_rep": simulated,
        "simulated_rule": decision.rule,
        "explanation": decision.explanation,
    }


def _load(reps: Iterable[str | None]) -> dict[str, int]:
    return dict(sorted(Counter(r for r in reps if r is not None).items()))
