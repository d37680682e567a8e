"""Who may read which figures, and the filters of a KPI question.

An administrator sees everything; a team lead (a manager) sees the offers made in their
teams (the pools they belong to) and their own; any other rep sees only their own offers.
A lead belongs to the scope through its offers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from conveyor.router.domain.state import RoutingState
from conveyor.router.service_layer.errors import Forbidden
from conveyor.router.service_layer.kpi_patch import stamp

Row = Mapping[str, Any]
Tables = dict[str, list[Row]]
"""Fact tables read whole, by name: reps, accounts, orders, tasks, plans, offers."""


@dataclass(frozen=True)
class Viewer:
    """Whose figures the caller may read: every pool (pools None) or the named pools,
    and always their own."""

    rep_id: str | None
    pools: frozenset[str] | None
    role: str

    def sees_rep(self, rep_id: str, rep_pools: frozenset[str]) -> bool:
        """Whether the caller may read this rep's figures."""
        return self.pools is None or rep_id == self.rep_id or bool(self.pools & rep_pools)


def viewer_of(rep_id: str | None, state: RoutingState) -> Viewer:
    """The viewer a caller is: the administrator, a team lead, or a rep."""
    if rep_id is None:
        return Viewer(None, None, "admin")
    rep = state.reps.get(rep_id)
    role = rep.role if rep else "hunter"
    pools = frozenset(rep.pools) if rep and role == "team_lead" else frozenset()
    return Viewer(rep_id, pools, role)


@dataclass(frozen=True)
class Scope:
    """A KPI question: the period [start, end), the viewer, and the cuts asked for."""

    start: date
    end: date
    viewer: Viewer
    team: str | None = None
    rep: str | None = None
    source: str | None = None
    product_line: str | None = None

    @property
    def narrowed(self) -> bool:
        """Whether only some offers count (a team, a rep, or a viewer who is not admin)."""
        return self.viewer.pools is not None or self.team is not None or self.rep is not None

    def offer(self, offer: Row) -> bool:
        """Whether an offer is in the scope (visible, in the team and of the rep asked)."""
        visible = self.viewer.sees_rep(offer["rep_id"], frozenset({offer["pool"]}))
        return (
            visible and self.team in (None, offer["pool"]) and self.rep in (None, offer["rep_id"])
        )

    def lead(self, lead: Row) -> bool:
        """Whether a lead has the source and product line asked for."""
        return self.source in (None, lead["source"]) and self.product_line in (
            None,
            lead["product_line"],
        )


def check_cuts(viewer: Viewer, team: str | None, rep: str | None, state: RoutingState) -> None:
    """Refuse a team or a rep the caller may not read (403)."""
    if team is not None and viewer.pools is not None and team not in viewer.pools:
        raise Forbidden(f"you may not read the figures of team {team}")
    if rep is not None and viewer.pools is not None and rep != viewer.rep_id:
        known = state.reps.get(rep)
        if known is None or not viewer.sees_rep(rep, frozenset(known.pools)):
            raise Forbidden(f"you may not read the figures of rep {rep}")


@dataclass
class Facts:
    """The rows a KPI question reads: leads by id, offers, reps by id."""

    leads: dict[str, Row] = field(default_factory=dict)
    offers: list[Row] = field(default_factory=list)
    reps: dict[str, Row] = field(default_factory=dict)


def day_stamp(day: date) -> str:
    """Midnight UTC of a day, as the fact tables write times."""
    return stamp(datetime.combine(day, time(), tzinfo=UTC))


def within(moment: str | None, start: date, end: date) -> bool:
    """Whether a fact time falls in [start, end)."""
    return moment is not None and day_stamp(start) <= moment < day_stamp(end)


def arrived(lead: Row) -> str | None:
    """When a lead counts as arrived: received by intake, else first offered or found
    unroutable."""
    moment: str | None = lead["received_at"] or lead["offered_at"] or lead["unroutable_at"]
    return moment
