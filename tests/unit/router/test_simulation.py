"""Simulation: a draft policy replayed over a period of real decisions."""

from datetime import datetime

from conveyor.router.domain.policy import policy_from_dict
from conveyor.router.service_layer.replay import simulate
from tests.unit.router.fakes import MATCHING, Clock, FakeUnitOfWork
from tests.unit.router.test_routing_handlers import register, route

DRAFT = policy_from_dict(
    -1,
    [
        {"name": "france", "pool": "fr", "when": [
            {"field": "location.country", "op": "equals", "value": "FR"}]},
        {"name": "rest", "pool": "default"},
    ],
    {},
)  # fmt: skip


async def history(leads: int) -> tuple[FakeUnitOfWork, datetime, datetime]:
    uow, clock = FakeUnitOfWork(), Clock()
    for rep_id in ("ana", "ben"):
        await register(uow, rep_id)
    await register(uow, "cy", pools=("fr",))
    start = clock.now
    for n in range(leads):
        clock.advance(minutes=1)
        await route(uow, clock, f"l{n}", country="FR" if n % 4 == 0 else "DE")
    return uow, start, clock.now


async def test_a_draft_policy_shows_which_leads_would_have_gone_elsewhere() -> None:
    uow, start, end = await history(2000)
    before = list(uow.log)
    result = simulate(uow.envelopes(), DRAFT, start=start, end=end, matching=MATCHING)
    summary = result.summary()
    french = {f"l{n}" for n in range(0, 1999, 4)}  # the last lead is at `end`, outside
    assert summary["leads"] == 1999
    to_cy = {d["lead_id"] for d in summary["differences"] if d["simulated_rep"] == "cy"}
    assert to_cy == french  # and the German leads' turns between ana and ben shift
    others = [d for d in summary["differences"] if d["lead_id"] not in french]
    assert {(d["actual_rep"], d["simulated_rep"]) for d in others} <= {
        ("ana", "ben"),
        ("ben", "ana"),
    }
    assert summary["changed"] == len(summary["differences"]) > len(french)
    assert summary["load_before"] == {"ana": 1000, "ben": 999}
    assert summary["load_after"] == {"ana": 750, "ben": 749, "cy": 500}
    assert summary["unroutable_before"] == summary["unroutable_after"] == 0
    assert uow.log == before


async def test_roster_changes_are_simulated_too() -> None:
    uow, start, end = await history(40)
    away = {"cy": {"active": False}}
    summary = simulate(
        uow.envelopes(), DRAFT, start=start, end=end, matching=MATCHING, roster=away
    ).summary()
    assert summary["changed"] == 0
    assert "cy" not in summary["load_after"]
