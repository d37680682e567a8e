"""A synthetic team and policy: reps with hours, caps and weights; rules that mostly miss."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conveyor.router.domain.policy import Policy, policy_from_dict
from conveyor.router.domain.reps import Rep
from conveyor.router.domain.state import RoutingState

COUNTRIES = ("DE", "AT", "CH", "FR", "IT", "ES", "NL", "BE", "PL", "SE")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def team(reps: int) -> RoutingState:
    """A state with ``reps`` hunters in one pool, spread over time zones and territories."""
    state = RoutingState()
    for n in range(reps):
        settings = {
            "territories": [COUNTRIES[n % len(COUNTRIES)], COUNTRIES[(n + 3) % len(COUNTRIES)]],
            "working_hours": {day: [["00:00", "24:00"]] for day in WEEKDAYS},
            "capacity": {"per_day": 10_000, "max_open": 10_000},
            "weight": 1 + n % 3,
        }
        zone = ("Europe/Berlin", "Europe/London", "America/New_York")[n % 3]
        rep = Rep(rep_id=f"rep-{n:04d}", name=f"Rep {n}", role="hunter", pools=("sales",))
        state.add_rep(rep.changed({**settings, "time_zone": zone}))
    return state


def policy(rules: int) -> Policy:
    """``rules - 1`` rules that do not match the leads, then one that routes by territory."""
    missing: list[dict[str, Any]] = [
        {"name": f"segment-{n}", "pool": "sales",
         "when": [{"field": "custom.segment", "op": "equals", "value": f"s{n}"},
                  {"field": "location.postal_code", "op": "range", "value": ["10000", "19999"]}]}
        for n in range(rules - 1)
    ]  # fmt: skip
    last = {"name": "territory", "pool": "sales", "strategy": "weighted_round_robin",
            "match_rep": {"territories": "location.country"}}  # fmt: skip
    return policy_from_dict(1, [*missing, last], {"team_lead": True})


def lead(n: int) -> dict[str, Any]:
    """The n-th lead: a country, a postal code and a segment no rule asks for."""
    return {
        "lead_id": f"lead-{n}",
        "contact": {"name": f"Lead {n}", "email": f"l{n}@example.com"},
        "location": {"country": COUNTRIES[n % len(COUNTRIES)], "postal_code": "80331"},
        "custom": {"segment": "none"},
    }


def moment(n: int) -> datetime:
    """The time of the n-th lead: one a second."""
    return START + timedelta(seconds=n)
