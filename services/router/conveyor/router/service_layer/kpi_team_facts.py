"""What reps', plans' and accounts' events change in the KPI facts: reps (for names, teams
and weights), plans, accounts handed to farmers, repeat orders, follow-up tasks."""

from __future__ import annotations

from typing import Any

from conveyor.events.catalogue import followup, router
from conveyor.router.service_layer.kpi_patch import Patch, Patcher, stamp


def _rep(rep_id: str, values: dict[str, Any]) -> list[Patch]:
    return [Patch("kpi_reps", {"rep_id": rep_id}, set=values)] if values else []


def _registered(data: router.RepRegistered, at: str) -> list[Patch]:
    return _rep(
        data.rep_id,
        {
            "name": data.name,
            "role": data.role,
            "pools": ",".join(data.pools),
            "weight": int(data.settings.get("weight", 1)),
            "active": int(data.active),
        },
    )


def _updated(data: router.RepUpdated, at: str) -> list[Patch]:
    changes = dict(data.changes)
    changes |= changes.pop("settings", None) or {}
    values: dict[str, Any] = {k: changes[k] for k in ("name", "role") if k in changes}
    if "pools" in changes:
        values["pools"] = ",".join(changes["pools"])
    if "weight" in changes:
        values["weight"] = int(changes["weight"])
    if "active" in changes:
        values["active"] = int(changes["active"])
    return _rep(data.rep_id, values)


def _plan(data: router.RepPlanSet, at: str) -> list[Patch]:
    plan = {"metric": data.metric, "target": str(data.target), "currency": data.currency}
    key = {"rep_id": data.rep_id, "month": data.month}
    return [Patch("kpi_plans", key, set=plan | {"set_at": at})]


def _account(account_id: str, **parts: Any) -> Patch:
    return Patch("kpi_accounts", {"account_id": account_id}, **parts)


def _handed_over(data: followup.AccountHandedOver, at: str) -> list[Patch]:
    values = {"lead_id": data.lead_id, "name": data.company, "farmer_id": data.farmer_id}
    return [_account(data.account_id, set=values | {"handed_over_at": at})]


def _reassigned(data: followup.AccountReassigned, at: str) -> list[Patch]:
    return [_account(data.account_id, set={"farmer_id": data.to_farmer_id})]


def _dormant(data: followup.AccountWentDormant, at: str) -> list[Patch]:
    return [_account(data.account_id, set={"dormant_at": at, "reactivated_at": None})]


def _repeat_order(data: followup.RepeatOrderRecorded, at: str) -> list[Patch]:
    ordered = stamp(data.ordered_at)
    order = {
        "account_id": data.account_id,
        "rep_id": data.farmer_id,
        "kind": "repeat",
        "ordered_at": ordered,
        "amount": str(data.amount),
        "currency": data.currency,
    }
    order_id = f"{data.account_id}:{data.order_ref or ordered}"
    return [
        Patch("kpi_orders", {"order_id": order_id}, set=order),
        _account(data.account_id, first={"reactivated_at": ordered}, only_if="dormant_at"),
    ]


def _task(task_id: str, **parts: Any) -> Patch:
    return Patch("kpi_tasks", {"task_id": task_id}, **parts)


def _scheduled(data: followup.FollowUpScheduled, at: str) -> list[Patch]:
    task = {
        "account_id": data.account_id,
        "farmer_id": data.farmer_id,
        "kind": data.kind,
        "due_on": data.due_on.isoformat(),
    }
    return [_task(data.task_id, set=task)]


def _task_step(column: str) -> Patcher:
    def patch(data: Any, at: str) -> list[Patch]:
        return [_task(data.task_id, first={column: at})]

    return patch


TEAM: dict[type, Patcher] = {
    router.RepRegistered: _registered,
    router.RepUpdated: _updated,
    router.RepPlanSet: _plan,
    followup.AccountHandedOver: _handed_over,
    followup.AccountReassigned: _reassigned,
    followup.AccountWentDormant: _dormant,
    followup.RepeatOrderRecorded: _repeat_order,
    followup.FollowUpScheduled: _scheduled,
    followup.FollowUpCompleted: _task_step("completed_at"),
    followup.FollowUpOverdue: _task_step("overdue_at"),
    followup.FollowUpCancelled: _task_step("cancelled_at"),
}
"""The patcher of each rep, plan and account event the KPIs read."""
