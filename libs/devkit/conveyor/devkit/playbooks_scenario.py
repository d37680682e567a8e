"""Post a playbook's scenario leads through intake and read where each one went: intake's
verdict, then the router's decision (rep, pool, rule and its explanation)."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor.devkit.playbooks_http import Api, Endpoints, LoadError, wait_for
from conveyor.devkit.playbooks_model import Expectation, Playbook, ScenarioLead

VERDICTS = {"qualified": "target", "nurtured": "nurture", "disqualified": "reject"}


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
        return found

    def line(self) -> str:
        """The outcome in one line."""
        mark = "ok  " if not self.problems() else "FAIL"
        where = f"{self.rep_id} (pool {self.pool}, rule {self.rule})" if self.rep_id else ""
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
    """Post every scenario lead (made unique by a nonce, so a scenario can run again) and
    wait for each one's verdict and routing."""
    nonce = nonce or secrets.token_hex(3)
    intake = Api("intake", endpoints.intake, endpoints.intake_token)
    router = Api("router", endpoints.router, endpoints.router_token)
    try:
        posted = [
            (lead, _post(intake, book, lead, keys, unique(lead.lead, nonce, n)))
            for n, lead in enumerate(book.scenario)
        ]
        return [_outcome(intake, router, lead, lead_id, deadline) for lead, lead_id in posted]
    finally:
        intake.close()
        router.close()


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


def _outcome(
    intake: Api, router: Api, lead: ScenarioLead, lead_id: str, deadline: float
) -> Outcome:
    def decided() -> str | None:
        status = intake.get(f"/v1/leads/{lead_id}")["status"]
        return VERDICTS.get(status)

    verdict = wait_for(decided, deadline=deadline, what=f"intake's verdict on {lead.name!r}")
    base = Outcome(lead.name, lead_id, lead.expect, verdict)
    if verdict != "target":
        return base

    def routed() -> dict[str, Any] | None:
        answer = router.call("GET", f"/v1/leads/{lead_id}/routing", ok=(200, 404))
        return answer.json()["decisions"][0] if answer.status_code == 200 else None

    first = wait_for(routed, deadline=deadline, what=f"the router's decision on {lead.name!r}")
    return Outcome(
        lead.name, lead_id, lead.expect, verdict, first.get("rep_id"), first.get("pool"),
        first.get("rule"), first.get("explanation", ""),
    )  # fmt: skip
