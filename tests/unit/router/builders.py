"""Builders of leads, reps and states for the router's domain tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conveyor.router.domain.reps import Rep, parse_settings
from conveyor.router.domain.state import RoutingState

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def lead(lead_id: str = "l1", **fields: Any) -> dict[str, Any]:
    """A lead in its JSON shape; keyword sections (location=..., custom=...) override."""
    base: dict[str, Any] = {
        "lead_id": lead_id,
        "source": "web",
        "channel": "web_form",
        "contact": {"name": "Ada", "email": "ada@example.com", "phone": None},
        "location": {"country": None, "region": None, "city": None, "postal_code": None},
        "interest": {"product_lines": [], "industry": None, "company_size": None},
        "custom": {},
    }
    for key, value in fields.items():
        base[key] = {**base[key], **value} if isinstance(base.get(key), dict) else value
    return base


def rep(rep_id: str, role: str = "hunter", **settings: Any) -> Rep:
    """A rep with settings in their event shape (pools=[...], capacity={...}...)."""
    return Rep(rep_id=rep_id, name=rep_id.title(), role=role, **parse_settings(settings))


def state(*reps: Rep) -> RoutingState:
    """A routing state holding the reps."""
    routing = RoutingState()
    for item in reps:
        routing.add_rep(item)
    return routing


def at(text: str) -> datetime:
    """A UTC moment from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
