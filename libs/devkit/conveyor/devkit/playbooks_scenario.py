"""Post a playbook's scenario leads through intake and read where each one went: intake's
verdict, then the router's decision (rep, pool, rule and its explanation)."""

from __future__ import annotations

import copy
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor.devkit.playbooks_http import Api, Endpoints, LoadError, wait_for
from conveyor.devkit.playbooks_model import Expectation, Playbook, ScenarioLead

VERDICTS = {"qualified": "target", "nurtured": "nurture", "disqualified": "reject"}
WON = {"amount": "1000.00", "currency": "EUR"}


@dataclass(frozen=True)
class Outcome:
    """Where one scenario lead went, next to where the playbook says it must go."""

    name: str
    lead_id: str
    expect: Expectation
    verdict: str
    rep_id: str | None = None
    pool: str | None = None
    rule: str | None = None
    explanation: str = ""
    farmer_id: str | None = None

    def problems(self) -> list[str]:
        """How the outcome departs from the expectation (empty: as prescribed)."""
        expect, found = self.expect, []
        if self.verdict != expect.verdict:
            found.append(f"verdict {self.verdict}, expected {expect.verdict}")
        if expect.reps() and self.rep_id not in expect.reps():
            found.append(f"rep {self.rep_id}, expected {' or '.join(expect.reps())}")
        for what, want, got in (("pool", expect.pool, self.pool), ("rule", expect.rule, self.rule)):
            if want is not None and got != want:
                found.append(f"{what} {got!r}, expected {want!r}")
        if expect.farmer is not None and self.farmer_id != expect.farmer:
            found.append(f"farmer {self.farmer_id}, expected {expect.farmer}")
        return found

    def line(self) -> str:
        """The outcome in one line."""
        mark = "ok  " if not self.problems() else "FAIL"
        where = f"{self.rep_id} (pool {self.pool}, rule {self.rule})" if self.rep_id else ""
        if self.farmer_id:
            where += f", won, handed to {self.farmer_id}"
        said = "; ".join(self.problems())
        return f"{mark} {self.name}: {where or self.verdict}" + (f" -- {said}" if said else "")


def read_keys(keys_dir: Path) -> dict[str, str]:
    """Sources' API keys saved by a load (``<source id>.key`` files)."""
    return {p.stem: p.read_text().strip() for p in keys_dir.glob("*.key")}


def run_scenario(
    book: Playbook,
    endpoints: Endpoints,
    keys: Mapping[str, str],
    *,
    nonce: str | None = None,
    deadline: float = 60.0,
) -> list[Outcome]:
    """Post every scenario lead (made unique by a nonce, so a scenario can run again), wait
    for each one's verdict and routing, and report won the deals whose farmer is expected."""
    nonce = nonce or secrets.token_hex(3)
    apis = _Apis(endpoints)
    try:
        posted = [
            (lead, _post(apis.intake, book, lead, keys, unique(lead.lead, nonce, n)))
            for n, lead in enumerate(book.scenario)
        ]
        return [_outcome(apis, lead, lead_id, deadline) for lead, lead_id in posted]
    finally:
        apis.close()


class _Apis:
    """The three services' APIs (followup's only when it is given)."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.intake = Api("intake", endpoints.intake, endpoints.intake_token)
        self.router = Api("router", endpoints.router, endpoints.router_token)
        self.followup = (
            Api("followup", endpoints.followup, endpoints.followup_token)
            if endpoints.followup
            else None
        )

    def close(self) -> None:
        for api in (self.intake, self.router, self.followup):
            if api is not None:
                api.close()


def unique(lead: Mapping[str, Any], nonce: str, n: int) -> dict[str, Any]:
    """The lead with its e-mail tagged (``name+nonce@domain``, the domain kept for key
    accounts) and its phone's last four digits changed, so intake does not take it for
    a duplicate of an earlier run."""
    body = copy.deepcopy(dict(lead))
    contact = body.setdefault("contact", {})
    if email := contact.get("email"):
        local, domain = email.rsplit("@", 1)
        contact["email"] = f"{local}+{nonce}@{domain}"
    if phone := contact.get("phone"):
        digits = f"{(int(nonce, 16) + n) % 10000:04d}"
        contact["phone"] = phone[:-4] + digits
    return body


def _post(
    intake: Api, book: Playbook, lead: ScenarioLead, keys: Mapping[str, str], body: Any
) -> str:
    source = book.source_of(lead)
    if source not in keys:
        raise LoadError(f"no API key for source {source}: load the playbook with --keys-dir")
    auth = {"Authorization": f"Bearer {keys[source]}"}
    answer = intake.call("POST", "/v1/leads", json=body, headers=auth, ok=(202,)).json()
    if answer.get("duplicate_of"):
        raise LoadError(f"{lead.name}: intake took it for a duplicate of {answer['duplicate_of']}")
    return str(answer["lead_id"])


def _outcome(apis: _Apis, lead: ScenarioLead, lead_id: str, deadline: float) -> Outcome:
    def decided() -> str | None:
        return VERDICTS.get(apis.intake.get(f"/v1/leads/{lead_id}")["status"])

    verdict = wait_for(decided, deadline=deadline, what=f"intake's verdict on {lead.name!r}")
    base = Outcome(lead.name, lead_id, lead.expect, verdict)
    if verdict != "target":
        return base

    def routed() -> dict[str, Any] | None:
        answer = apis.router.call("GET", f"/v1/leads/{lead_id}/routing", ok=(200, 404))
        return answer.json()["decisions"][0] if answer.status_code == 200 else None

    first = wait_for(routed, deadline=deadline, what=f"the router's decision on {lead.name!r}")
    farmer = None
    if lead.expect.farmer is not None and first.get("assignment_id"):
        farmer = _won(apis, lead, lead_id, str(first["assignment_id"]), deadline)
    return Outcome(
        lead.name, lead_id, lead.expect, verdict, first.get("rep_id"), first.get("pool"),
        first.get("rule"), first.get("explanation", ""), farmer,
    )  # fmt: skip


def _won(apis: _Apis, lead: ScenarioLead, lead_id: str, assignment_id: str, deadline: float) -> str:
    """Report the deal won (as the administrator) and wait for followup's handover."""
    if apis.followup is None:
        raise LoadError(f"{lead.name}: a farmer is expected, give followup's URL (--followup)")
    apis.router.call("POST", f"/v1/assignments/{assignment_id}/won", json=WON)
    account = str(uuid.uuid5(uuid.NAMESPACE_URL, f"conveyor:account:{lead_id}"))
    followup = apis.followup

    def handed_over() -> str | None:
        answer = followup.call("GET", f"/v1/accounts/{account}", ok=(200, 404))
        return answer.json().get("farmer_id") if answer.status_code == 200 else None

    return wait_for(handed_over, deadline=deadline, what=f"followup's handover of {lead.name!r}")
