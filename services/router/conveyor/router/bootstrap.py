"""The one place that picks the router's concrete adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope
from conveyor.events.catalogue.intake import LeadQualified
from conveyor.events.catalogue.topics import LEADS
from conveyor.events.runtime import Runtime, Subscription
from conveyor.events.store import create_engine
from conveyor.events.transport import transport_from_url
from conveyor.router.adapters.delivery import WebhookDelivery
from conveyor.router.adapters.fuzzy import company_similarity
from conveyor.router.adapters.projections import AssignmentsProjection, RepsProjection
from conveyor.router.adapters.retry import UnroutableRetry
from conveyor.router.adapters.routing_state import RoutingStateCache
from conveyor.router.adapters.unit_of_work import SqlUnitOfWork
from conveyor.router.config import Settings
from conveyor.router.service_layer.ports import AccountMatching, Clock
from conveyor.router.service_layer.routing import route_lead
from conveyor.webhooks.safety import EndpointPolicy
from conveyor.webhooks.sender import WebhookSender

CONSUMER_GROUP = "conveyor.router"


@dataclass
class RouterService:
    """The router's runtime, HTTP client, clock, routing state and unit of work factory."""

    settings: Settings
    runtime: Runtime
    client: httpx.AsyncClient
    clock: Clock
    cache: RoutingStateCache
    matching: AccountMatching

    @property
    def endpoint_policy(self) -> EndpointPolicy:
        """Which webhook URLs reps may register and the router will call."""
        return endpoint_policy(self.settings)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work committed on success; the relay is woken after the commit."""
        async with self.runtime.engine.begin() as conn:
            yield SqlUnitOfWork(conn, self.runtime, self.cache)
        self.runtime.committed()


def endpoint_policy(settings: Settings) -> EndpointPolicy:
    """Which webhook URLs reps may register and the router will call."""
    return EndpointPolicy(
        require_https=settings.webhook_require_https,
        allow_loopback=settings.webhook_allow_loopback,
    )


def system_clock() -> datetime:
    """The time now, in UTC."""
    return datetime.now(UTC)


def bootstrap(settings: Settings, clock: Clock = system_clock) -> RouterService:
    """Wire the router: SQL store, bus, projections, the lead consumer, webhook delivery."""
    runtime = Runtime(
        name="router",
        engine=create_engine(settings.database_url),
        transport=transport_from_url(settings.bus_url),
        projections=[RepsProjection(), AssignmentsProjection()],
    )
    client = httpx.AsyncClient(timeout=settings.webhook_timeout, follow_redirects=False)
    runtime.on_stop(client.aclose)
    sender = WebhookSender(
        endpoint_policy(settings),
        timeout=settings.webhook_timeout,
        max_response_bytes=settings.webhook_max_response_bytes,
    )
    cache = RoutingStateCache(runtime.store)
    matching = AccountMatching(company_similarity, settings.key_account_threshold)
    service = RouterService(settings, runtime, client, clock, cache, matching)

    async def on_lead_qualified(envelope: Envelope, conn: AsyncConnection) -> None:
        uow = SqlUnitOfWork(conn, runtime, cache)
        await route_lead(envelope, uow, source=runtime.source, now=clock(), matching=matching)

    runtime.subscribe(
        Subscription(
            group=CONSUMER_GROUP,
            topics=[LEADS],
            handlers={LeadQualified.event_type: on_lead_qualified},
        )
    )
    delivery = WebhookDelivery(
        runtime=runtime,
        cache=cache,
        sender=sender,
        unit_of_work=service.unit_of_work,
        clock=clock,
        base_url=settings.base_url,
        matching=matching,
        schedule=[timedelta(seconds=s) for s in settings.webhook_retry_schedule],
        unhealthy_after=settings.webhook_unhealthy_after,
        concurrency=settings.webhook_concurrency,
    )
    delivery.waker = runtime.add_worker(delivery.run)
    retry = UnroutableRetry(
        cache=cache,
        engine=runtime.engine,
        unit_of_work=service.unit_of_work,
        clock=clock,
        source=runtime.source,
        matching=matching,
        interval=settings.retry_interval,
    )
    retry.waker = runtime.add_worker(retry.run)
    _watch_waiting_leads(runtime, cache)
    return service


def _watch_waiting_leads(runtime: Runtime, cache: RoutingStateCache) -> None:
    """Expose the unroutable leads waiting for a rep on /metrics, for alerting."""
    waiting = Gauge(
        "conveyor_router_unroutable_waiting",
        "Leads no rep could take, waiting for a retry",
        registry=runtime.metrics.registry,
    )
    waiting.set_function(lambda: len(cache.state.unroutable))
