"""A playbook's reps in the router: registered, changed to match the file, or retired."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conveyor.devkit.playbooks_http import Api
from conveyor.devkit.playbooks_model import Playbook, RepSpec

if TYPE_CHECKING:
    from conveyor.devkit.playbooks_load import LoadReport

PLAIN = ("name", "role", "pools", "time_zone", "active", "webhook_url")


def load_reps(
    router: Api,
    book: Playbook,
    existing: dict[str, dict[str, Any]],
    report: LoadReport,
    webhook_base: str | None,
) -> None:
    """Register the reps the router does not know; change the others to match the file."""
    for rep in book.reps:
        body = desired(rep, webhook_base)
        current = existing.get(rep.rep_id)
        if current is None:
            answer = router.call("POST", "/v1/reps", json=body).json()
            if answer.get("webhook_secret"):
                report.webhook_secrets[rep.rep_id] = answer["webhook_secret"]
            report.note(f"rep {rep.rep_id}: registered ({rep.role})", "reps registered")
            continue
        changes = differences(current, body)
        if not changes:
            report.note(f"rep {rep.rep_id}: as in the playbook already")
            continue
        router.call("PATCH", f"/v1/reps/{rep.rep_id}", json=changes)
        report.note(f"rep {rep.rep_id}: changed {', '.join(sorted(changes))}", "reps changed")


def retire_others(
    router: Api, book: Playbook, existing: dict[str, dict[str, Any]], report: LoadReport
) -> None:
    """Deactivate the active reps the playbook does not name (they keep their history)."""
    named = {r.rep_id for r in book.reps}
    for rep_id, rep in sorted(existing.items()):
        if rep_id in named or not rep.get("active"):
            continue
        router.call("PATCH", f"/v1/reps/{rep_id}", json={"active": False})
        report.note(f"rep {rep_id}: not in the playbook, deactivated", "reps deactivated")


def desired(rep: RepSpec, webhook_base: str | None) -> dict[str, Any]:
    """The rep as the file wants it; its webhook at ``<base>/<rep id>`` when a base is given."""
    body = rep.router_body()
    if webhook_base:
        body["webhook_url"] = f"{webhook_base.rstrip('/')}/{rep.rep_id}"
    return body


def differences(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``body`` that the registered rep does not have yet (a PATCH body).

    Settings the file leaves out are left as they are.
    """
    settings = current.get("settings") or {}
    changes = {}
    for key, value in body.items():
        if key == "rep_id":
            continue
        held = current.get(key) if key in PLAIN else settings.get(key)
        if _pruned(held) != _pruned(value):
            changes[key] = value
    return changes


def _pruned(value: Any) -> Any:
    """A value without the empty parts a JSON round trip may add or drop."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_pruned(v) for v in value]
    return value
