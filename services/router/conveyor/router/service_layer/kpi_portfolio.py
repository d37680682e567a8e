"""Farmers' and pools' figures: repeat orders and tasks per farmer, the fairness ledger of
each pool, and the accounts' ABC (revenue share) and XYZ (order regularity) classes."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from conveyor.router.domain.kpis import abc_classes, months_between, ratio, xyz_class
from conveyor.router.service_layer.kpi_scope import Row, Scope, Tables, within


def _visible_reps(reps: list[Row], scope: Scope, role: str | None = None) -> list[Row]:
    return [
        r
        for r in reps
        if (role is None or r["role"] == role)
        and scope.viewer.sees_rep(r["rep_id"], frozenset(r["pools"].split(",")))
        and scope.rep in (None, r["rep_id"])
        and (scope.team is None or scope.team in r["pools"].split(","))
    ]


def farmers(tables: Tables, scope: Scope) -> list[dict[str, Any]]:
    """Per farmer: accounts held, repeat orders in the period, the share of accounts that
    ordered again, tasks due and done on time, accounts reactivated."""
    rows = []
    for farmer in _visible_reps(tables["reps"], scope, "farmer"):
        rows.append(_farmer(farmer["rep_id"], farmer["name"], tables, scope))
    return rows


def _farmer(farmer_id: str, name: str, tables: Tables, scope: Scope) -> dict[str, Any]:
    accounts = [a for a in tables["accounts"] if a["farmer_id"] == farmer_id]
    held = {a["account_id"] for a in accounts}
    orders = [
        o
        for o in tables["orders"]
        if o["kind"] == "repeat"
        and o["account_id"] in held
        and within(o["ordered_at"], scope.start, scope.end)
    ]
    tasks = [
        t
        for t in tables["tasks"]
        if t["farmer_id"] == farmer_id and not t["cancelled_at"] and _due_in(t, scope)
    ]
    on_time = [t for t in tasks if t["completed_at"] and not t["overdue_at"]]
    return {
        "farmer_id": farmer_id,
        "name": name,
        "accounts": len(accounts),
        "repeat_orders": len(orders),
        "repeat_purchase_rate": ratio(len({o["account_id"] for o in orders}), len(accounts)),
        "tasks_due": len(tasks),
        "tasks_on_time": len(on_time),
        "on_time_rate": ratio(len(on_time), len(tasks)),
        "reactivated": sum(within(a["reactivated_at"], scope.start, scope.end) for a in accounts),
    }


def _due_in(task: Row, scope: Scope) -> bool:
    due = task["due_on"]
    return bool(due) and scope.start.isoformat() <= due < scope.end.isoformat()


def fairness(tables: Tables, scope: Scope) -> list[dict[str, Any]]:
    """Per pool and rep: offers made in the period against the share the rep's weight
    entitles them to among the pool's active members."""
    offers = [
        o
        for o in tables["offers"]
        if scope.offer(o) and within(o["offered_at"], scope.start, scope.end)
    ]
    made: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for offer in offers:
        made[offer["pool"]][offer["rep_id"]] += 1
    reps = {r["rep_id"]: r for r in tables["reps"]}
    rows = []
    for pool, counts in sorted(made.items()):
        members = {r["rep_id"] for r in reps.values() if _member(r, pool)}
        members |= set(counts)
        weights = {m: (reps[m]["weight"] if m in reps else 1) for m in members}
        total, weight_sum = sum(counts.values()), sum(weights.values()) or 1
        for rep_id in sorted(members):
            expected = round(total * weights[rep_id] / weight_sum, 2)
            offered = counts.get(rep_id, 0)
            rows.append(
                {
                    "pool": pool,
                    "rep_id": rep_id,
                    "weight": weights[rep_id],
                    "offered": offered,
                    "expected": expected,
                    "deviation": round(offered - expected, 2),
                }
            )
    return rows


def accounts(tables: Tables, scope: Scope, currency: str | None) -> list[dict[str, Any]]:
    """Accounts by revenue in the period (first deal and repeat orders): share, ABC class,
    orders and XYZ class by the regularity of monthly revenue."""
    by_lead = {a["lead_id"]: a["account_id"] for a in tables["accounts"] if a["lead_id"]}
    months = months_between(scope.start, scope.end)
    monthly: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    orders: dict[str, int] = defaultdict(int)
    for order in tables["orders"]:
        account = order["account_id"] or by_lead.get(order["lead_id"])
        if account is None or not within(order["ordered_at"], scope.start, scope.end):
            continue
        if currency and order["currency"] != currency:
            continue
        monthly[account][order["ordered_at"][:7]] += Decimal(order["amount"])
        orders[account] += 1
    known = {a["account_id"]: a for a in tables["accounts"] if _visible_account(a, tables, scope)}
    revenue = {a: sum(m.values(), Decimal(0)) for a, m in monthly.items() if a in known}
    ranked = sorted(revenue, key=lambda a: (-revenue[a], a))
    total = sum(revenue.values(), Decimal(0))
    classes = abc_classes([revenue[a] for a in ranked])
    return [
        {
            "account_id": a,
            "name": known[a]["name"],
            "farmer_id": known[a]["farmer_id"],
            "revenue": str(revenue[a]),
            "share": ratio(revenue[a], total),
            "abc": abc,
            "orders": orders[a],
            "xyz": xyz_class([monthly[a].get(m, Decimal(0)) for m in months]),
        }
        for a, abc in zip(ranked, classes, strict=True)
    ]


def _visible_account(account: Row, tables: Tables, scope: Scope) -> bool:
    farmer = account["farmer_id"]
    if scope.viewer.pools is None and scope.rep is None and scope.team is None:
        return True
    reps = [r for r in tables["reps"] if r["rep_id"] == farmer]
    return bool(_visible_reps(reps, scope))


def _member(rep: Row, pool: str) -> bool:
    """Whether the rep takes leads from the pool (team leads only when they got one)."""
    taking = bool(rep["active"]) and rep["role"] != "team_lead"
    return taking and pool in rep["pools"].split(",")
