"""A router process with a small history to look at: reps, a published policy, a lead
offered, accepted and won, a lead no rep can take, a webhook dead-lettered, a draft."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from conveyor.devkit.local import free_port
from conveyor.events import new_envelope
from conveyor.events.catalogue.intake import LeadReceived
from conveyor.events.catalogue.topics import LEADS
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.events.codec import encode
from conveyor.events.transport import OutboundMessage, transport_from_url
from tests.integration.router.harness import publish_leads, snapshot

DEADLINE = 60.0
POLICY = {
    "rules": [
        {"name": "dach", "pool": "dach",
         "when": [{"field": "location.country", "op": "in", "value": ["DE", "AT"]}]},
        {"name": "france", "pool": "fr", "on_no_candidate": "fallback",
         "when": [{"field": "location.country", "op": "in", "value": ["FR"]}]},
        {"name": "rest", "pool": "default"},
    ],
    "fallback": {},
}  # fmt: skip
DRAFT = {"rules": [{"name": "everyone", "pool": "default"}], "fallback": {}}


@dataclass(frozen=True)
class History:
    """What was seeded: the lead won, the lead waiting, the lead whose webhook died, the
    draft policy, and the API key of the default team's lead (a manager)."""

    won: str
    waiting: str
    dead_letter: str
    draft_version: int
    manager_key: str


def seed(router_url: str, bus_url: str, admin_token: str, run: str) -> History:
    """Register the team, publish the policy, route three leads and play one to a win."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=router_url, headers=headers, timeout=10) as client:
        register_team(client)
        publish(client, POLICY)
        draft = created(client.post("/v1/routing/policies", json=DRAFT))["policy_version"]
        manager_key = created(client.post("/v1/reps/tess/keys"))["key"]
        history = History(f"{run}-won", f"{run}-fr", f"{run}-de", draft, manager_key)
        leads = [snapshot(history.won, location={"country": "US"}, contact={"company": "Acme"}),
                 snapshot(history.waiting, location={"country": "FR"}),
                 snapshot(history.dead_letter, location={"country": "DE"})]  # fmt: skip
        with ThreadPoolExecutor(1) as thread:  # each publishes from its own loop
            thread.submit(asyncio.run, publish_received(bus_url, leads)).result()
            thread.submit(asyncio.run, publish_leads(bus_url, leads)).result()
        win(client, history.won)
        until(lambda: _kpis_won(client) == 1, what="the won deal in the KPIs (folded after)")
        until(lambda: _dead(client, history.dead_letter), what="the DE lead's dead letter")
        until(lambda: _unroutable(client, history.waiting), what="the FR lead waiting")
    return history


async def publish_received(bus_url: str, leads: list[LeadSnapshot]) -> None:
    """Publish LeadReceived for each lead, a minute and a half ago, as intake's relay would
    (the harness then publishes each lead's LeadQualified)."""
    at = datetime.now(UTC) - timedelta(seconds=90)
    transport = transport_from_url(bus_url)
    sink = transport.sink()
    await sink.start()
    events = [LeadReceived(lead_id=lead.lead_id, lead=lead, received_at=at) for lead in leads]
    envelopes = [new_envelope(e, subject=e.lead_id, source="/conveyor/intake") for e in events]
    await sink.publish([OutboundMessage(LEADS, encode(envelope)) for envelope in envelopes])
    await sink.stop()
    await transport.close()


def register_team(client: httpx.Client) -> None:
    """Two hunters in the default pool; one in DACH whose endpoint refuses connections."""
    refused = f"http://127.0.0.1:{free_port()}/hooks/dee"  # nothing listens there
    for rep_id, pools, url in (("ana", ["default"], None), ("ben", ["default"], None),
                               ("dee", ["dach"], refused)):  # fmt: skip
        body = {"rep_id": rep_id, "name": rep_id.title(), "role": "hunter", "pools": pools}
        created(client.post("/v1/reps", json={**body, "webhook_url": url}))
    lead = {"rep_id": "tess", "name": "Tess", "role": "team_lead", "pools": ["default"]}
    created(client.post("/v1/reps", json=lead))


def publish(client: httpx.Client, policy: dict[str, Any]) -> None:
    """Draft the policy and put it in force now."""
    version = created(client.post("/v1/routing/policies", json=policy))["policy_version"]
    response = client.post(f"/v1/routing/policies/{version}/publish", json={})
    assert response.status_code == 200, response.text


def win(client: httpx.Client, lead_id: str) -> None:
    """The rep the lead went to accepts it, calls, and wins the deal, with their own key."""
    offer = until(lambda: _offer(client, lead_id), what=f"lead {lead_id} offered")
    key = created(client.post(f"/v1/reps/{offer['rep_id']}/keys"))["key"]
    rep = {"Authorization": f"Bearer {key}"}
    base = f"/v1/assignments/{offer['assignment_id']}"
    won = {"outcome": "won", "amount": "1200.00", "currency": "EUR"}
    steps = [("/accept", None), ("/outcomes", {"outcome": "contacted"}), ("/outcomes", won)]
    for path, body in steps:
        created(client.post(base + path, json=body, headers=rep))


def created(response: httpx.Response) -> Any:
    """The body of a 201 (or 200) answer."""
    assert response.status_code in (200, 201), response.text
    return response.json()


def until(probe: Any, *, what: str) -> Any:
    """Poll probe until it returns something truthy; fail after the deadline."""
    deadline = time.monotonic() + DEADLINE
    while not (found := probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
    return found


def _offer(client: httpx.Client, lead_id: str) -> Any:
    found = client.get("/v1/assignments", params={"lead_id": lead_id}).json()
    return found[0] if found else None


def _dead(client: httpx.Client, lead_id: str) -> bool:
    return any(m["lead_id"] == lead_id for m in client.get("/v1/webhooks/dead-letters").json())


def _unroutable(client: httpx.Client, lead_id: str) -> bool:
    leads = client.get("/v1/routing/unroutable").json()["leads"]
    return any(lead["lead_id"] == lead_id for lead in leads)


def _kpis_won(client: httpx.Client) -> int:
    return int(client.get("/v1/kpis/summary").json()["deals"]["won"])
