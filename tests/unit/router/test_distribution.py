"""Distribution strategies and fairness counters inside a pool."""

from collections import Counter
from datetime import timedelta
from itertools import count as numbers

from conveyor.router.domain.engine import decide, record
from conveyor.router.domain.policy import Policy, Rule
from conveyor.router.domain.reps import Absence
from conveyor.router.domain.state import RoutingState
from tests.unit.router.builders import MONDAY_NOON, lead, rep, state

LEAD_IDS = numbers()


def route(routing: RoutingState, count: int, policy: Policy | None = None) -> list[str | None]:
    """Route ``count`` new leads (each lead id used once: a lead never returns to a rep)."""
    picked = []
    for n in range(count):
        now = MONDAY_NOON + timedelta(seconds=n)
        item = lead(f"l{next(LEAD_IDS)}")
        decision = decide(item, routing, now, policy=policy)
        record(routing, item, decision, now)
        picked.append(decision.rep_id)
    return picked


def pool_policy(strategy: str) -> Policy:
    return Policy(1, (Rule("all", pool="default", strategy=strategy),))


def test_round_robin_takes_hunters_in_turn_and_skips_other_roles() -> None:
    routing = state(rep("ana"), rep("ben"), rep("fay", "farmer"))
    assert route(routing, 4) == ["ana", "ben", "ana", "ben"]


def test_weighted_round_robin_converges_to_the_weights() -> None:
    routing = state(rep("ana", weight=3), rep("ben", weight=2), rep("cy", weight=1))
    split = Counter(route(routing, 600, pool_policy("weighted_round_robin")))
    assert split == {"ana": 300, "ben": 200, "cy": 100}


def test_weighted_split_is_smooth_not_in_bursts() -> None:
    routing = state(rep("ana", weight=2), rep("ben", weight=1))
    assert route(routing, 6, pool_policy("weighted_round_robin")) == [
        "ana",
        "ben",
        "ana",
        "ana",
        "ben",
        "ana",
    ]


def test_least_loaded_prefers_fewest_open_leads() -> None:
    routing = state(rep("ana"), rep("ben"))
    for n in range(3):
        routing.assign(f"old{n}", "ana", MONDAY_NOON, pool="other", advance=None)
    assert route(routing, 4, pool_policy("least_loaded")) == ["ben", "ben", "ben", "ana"]


def test_a_rep_joining_late_takes_turns_without_a_flood() -> None:
    routing = state(rep("ana"), rep("ben"))
    route(routing, 100)
    routing.add_rep(rep("cy"))
    assert Counter(route(routing, 30)) == {"ana": 10, "ben": 10, "cy": 10}


def test_a_rep_back_from_absence_gets_a_fair_share_not_the_backlog() -> None:
    ana_away = Absence("a1", MONDAY_NOON, MONDAY_NOON + timedelta(seconds=60), "vacation")
    routing = state(rep("ana"), rep("ben"), rep("cy"))
    routing.add_absence("ana", ana_away)
    assert set(route(routing, 60)) == {"ben", "cy"}
    later = []
    for n in range(9):
        now = MONDAY_NOON + timedelta(seconds=120 + n)
        item = lead(f"m{n}")
        decision = decide(item, routing, now)
        record(routing, item, decision, now)
        later.append(decision.rep_id)
    assert Counter(later) == {"ana": 3, "ben": 3, "cy": 3}


def test_counters_are_kept_when_a_rep_leaves_and_comes_back() -> None:
    routing = state(rep("ana"), rep("ben"))
    route(routing, 10)
    before = dict(routing.pool("default").passes)
    routing.change_rep("ben", {"active": False})
    route(routing, 2)
    routing.change_rep("ben", {"active": True})
    assert routing.pool("default").passes["ben"] == before["ben"]
    assert Counter(route(routing, 4)) == {"ana": 2, "ben": 2}


def test_the_decision_records_candidates_counters_and_the_tie_break() -> None:
    routing = state(rep("ana"), rep("ben"), rep("cy", active=False))
    decision = decide(lead(), routing, MONDAY_NOON)
    chosen = decision.chosen
    assert chosen is not None and chosen.advance is not None
    assert decision.explanation.startswith("round robin: ana is next in pool default")
    assert [(c.rep_id, c.excluded) for c in chosen.candidates] == [
        ("ana", None),
        ("ben", None),
        ("cy", "inactive"),
    ]
    assert chosen.tie_break == "tie on counter between ana, ben: lowest rep id first"
    assert chosen.advance.before == {"ana": 0, "ben": 0}
    assert chosen.advance.after["ana"] > 0 and chosen.advance.after["ben"] == 0
