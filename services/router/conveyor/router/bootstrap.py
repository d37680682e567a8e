"""The one place that picks the router's concrete adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope
from conveyor.events.catalogue.intake import LeadQualified
from conveyor.events.catalogue.topics import LEADS
from conveyor.events.runtime import Runtime, Subscription
from conveyor.events.store import create_engine
from conveyor.events.transport import transport_from_url
from conveyor.router.adapters.delivery import WebhookDelivery
from conveyor.router.adapters.projections import AssignmentsProjection, RepsProjection
from conveyor.router.adapters.unit_of_work import SqlUnitOfWork
from conveyor.router.config import Settings
from conveyor.router.service_layer.handlers import route_lead

CONSUMER_GROUP = "conveyor.router"


@dataclass
class RouterService:
    """The router's runtime, its HTTP client for webhooks, and a unit of work factory."""

    settings: Settings
    runtime: Runtime
    client: httpx.AsyncClient

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work committed on success; the relay is woken after the commit."""
        async with self.runtime.engine.begin() as conn:
            yield SqlUnitOfWork(conn, self.runtime)
        self.runtime.committed()


def bootstrap(settings: Settings) -> RouterService:
    """Wire the router: SQL store, bus, projections, the lead consumer, webhook delivery."""
    runtime = Runtime(
        name="router",
        engine=create_engine(settings.database_url),
        transport=transport_from_url(settings.bus_url),
        projections=[RepsProjection(), AssignmentsProjection()],
    )
    client = httpx.AsyncClient(timeout=settings.webhook_timeout, follow_redirects=False)
    runtime.on_stop(client.aclose)

    async def on_lead_qualified(envelope: Envelope, conn: AsyncConnection) -> None:
        await route_lead(envelope, SqlUnitOfWork(conn, runtime), source=runtime.source)

    runtime.subscribe(
        Subscription(
            group=CONSUMER_GROUP,
            topics=[LEADS],
            handlers={LeadQualified.event_type: on_lead_qualified},
        )
    )
    delivery = WebhookDelivery(runtime=runtime, client=client, base_url=settings.base_url)
    delivery.waker = runtime.add_worker(delivery.run)
    return RouterService(settings, runtime, client)
