"""Delivery of routed leads to reps' apps: a follower of the router's own log that POSTs
each LeadAssigned to the rep's webhook and records the result with its log position in one
transaction (a crash in between delivers again, with the same webhook-id)."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
from opentelemetry.trace import SpanKind

from conveyor.events import Recorded, new_envelope, tracing
from conveyor.events.catalogue.router import (
    LeadAssigned,
    WebhookDelivered,
    WebhookDeliveryFailed,
)
from conveyor.events.runtime import Runtime
from conveyor.events.store import ANY_VERSION, load_position, save_position
from conveyor.events.waker import Waker
from conveyor.router.adapters.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)
Outcome = WebhookDelivered | WebhookDeliveryFailed


class WebhookDelivery:
    """POSTs each assigned lead to its rep's app, in log order."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        client: httpx.AsyncClient,
        base_url: str,
        name: str = "router.delivery",
    ) -> None:
        self.runtime, self.client, self.base_url, self.name = (
            runtime,
            client,
            base_url,
            name,
        )
        self.waker = Waker()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until stop is set."""
        while not stop.is_set():
            try:
                if await self.deliver_once():
                    continue
            except Exception:
                log.exception("webhook delivery failed; retrying")
            await self.waker.wait(stop, 0.5)

    async def deliver_once(self, limit: int = 100) -> int:
        """Deliver the next batch of the log; return how many events were passed."""
        async with self.runtime.engine.connect() as conn:
            batch = await self.runtime.store.read_all(
                conn, after=await load_position(conn, self.name), limit=limit
            )
        for recorded in batch:
            if isinstance(recorded.envelope.data, LeadAssigned):
                await self._deliver(recorded)
        if batch:
            async with self.runtime.engine.begin() as conn:
                await save_position(conn, self.name, batch[-1].position)
        return len(batch)

    async def _deliver(self, recorded: Recorded) -> None:
        offer = recorded.envelope.data
        assert isinstance(offer, LeadAssigned)
        async with self.runtime.engine.connect() as conn:
            rep = await SqlUnitOfWork(conn, self.runtime).rep(offer.rep_id)
        url = rep.webhook_url if rep else None
        envelope = recorded.envelope
        with tracing.span(
            "deliver lead to rep app",
            correlation_id=envelope.correlation_id,
            parent_event_id=envelope.id,
            kind=SpanKind.CLIENT,
        ):
            outcome = await self._post(recorded, offer, url)
        async with self.runtime.engine.begin() as conn:
            await self.runtime.writer.append(
                conn,
                offer.lead_id,
                [
                    new_envelope(
                        outcome,
                        subject=offer.lead_id,
                        source=self.runtime.source,
                        caused_by=recorded.envelope,
                    )
                ],
                expected_version=ANY_VERSION,
            )
            await save_position(conn, self.name, recorded.position)
        self.runtime.committed()

    async def _post(self, recorded: Recorded, offer: LeadAssigned, url: str | None) -> Outcome:
        ids = {
            "lead_id": offer.lead_id,
            "assignment_id": offer.assignment_id,
            "rep_id": offer.rep_id,
            "attempt": 1,
        }
        if not url:
            return WebhookDeliveryFailed(**ids, url="", error="rep has no webhook URL")
        headers = {
            "webhook-id": recorded.envelope.id,
            "webhook-timestamp": str(int(time.time())),
            "traceparent": tracing.traceparent(
                recorded.envelope.correlation_id, recorded.envelope.id
            ),
        }
        try:
            response = await self.client.post(url, json=self.payload(offer), headers=headers)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            return WebhookDeliveryFailed(**ids, url=url, error=f"{type(exc).__name__}: {exc}")
        return WebhookDelivered(**ids, url=url, status_code=response.status_code)

    def payload(self, offer: LeadAssigned) -> dict[str, object]:
        """What the rep's app receives: the lead, the assignment and where to report back."""
        link = f"{self.base_url}/v1/assignments/{offer.assignment_id}"
        return {
            "type": "lead.assigned",
            "assignment_id": offer.assignment_id,
            "lead_id": offer.lead_id,
            "rep_id": offer.rep_id,
            "explanation": offer.explanation,
            "lead": offer.lead.model_dump(mode="json"),
            "links": {"assignment": link, "won": f"{link}/won"},
        }
