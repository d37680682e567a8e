"""The one place that picks the router's concrete adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope
from conveyor.events.catalogue.intake import LeadQualified
from conveyor.events.catalogue.topics import ASSIGNMENTS, DEALS, FOLLOWUPS, LEADS, REPS
from conveyor.events.runtime import Runtime, Subscription
from conveyor.events.store import appends_made, create_engine
from conveyor.events.transport import transport_from_url
from conveyor.router.adapters.delivery import WebhookDelivery
from conveyor.router.adapters.fuzzy import company_similarity
from conveyor.router.adapters.holidays import holiday_checker
from conveyor.router.adapters.kpi_store import kpi_event_types, record, record_all
from conveyor.router.adapters.projections import AssignmentsProjection, RepsProjection
from conveyor.router.adapters.retry import UnroutableRetry
from conveyor.router.adapters.routing_state import RoutingStateCache
from conveyor.router.adapters.timers import SlaTimers
from conveyor.router.adapters.unit_of_work import SqlUnitOfWork, holding_new_streams
from conveyor.router.config import Settings
from conveyor.router.domain.calendar import WorkingCalendar
from conveyor.router.domain.reps import Rep, parse_settings
from conveyor.router.domain.sla import DEFAULT_SLA, sla_from_dict
from conveyor.router.service_layer.ports import AccountMatching, Clock
from conveyor.router.service_layer.routing import route_lead
from conveyor.router.service_layer.sla_timers import Timers
from conveyor.webhooks.safety import EndpointPolicy
from conveyor.webhooks.sender import WebhookSender

CONSUMER_GROUP = "conveyor.router"
KPI_GROUP = "conveyor.router.kpis"


@dataclass
class RouterService:
    """The router's runtime, clock, routing state and unit of work factory."""

    settings: Settings
    runtime: Runtime
    clock: Clock
    cache: RoutingStateCache
    matching: AccountMatching
    delivery: WebhookDelivery | None = None  # the webhook worker (run by the leader)

    def wake_delivery(self) -> None:
        """Wake the webhook worker at once (a dead letter was put back in its queue, say)."""
        if self.delivery is not None:
            self.delivery.waker.wake()

    @property
    def endpoint_policy(self) -> EndpointPolicy:
        """Which webhook URLs reps may register and the router will call."""
        return endpoint_policy(self.settings)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work committed on success; the relay and the workers are woken after a
        commit that appended (one that only read wakes nobody: a worker's pass that found
        nothing to do would otherwise wake itself again at once)."""
        async with self.runtime.engine.begin() as conn:
            before = appends_made(conn)
            yield SqlUnitOfWork(conn, self.runtime, self.cache)
            appended = appends_made(conn) > before
        if appended:
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
        engine=create_engine(settings.database_url, pool_size=settings.database_pool_size),
        transport=transport_from_url(settings.bus_url),
        projections=[RepsProjection(), AssignmentsProjection()],
    )
    sender = WebhookSender(
        endpoint_policy(settings),
        timeout=settings.webhook_timeout,
        max_response_bytes=settings.webhook_max_response_bytes,
    )
    cache = RoutingStateCache(runtime.store)
    matching = AccountMatching(company_similarity, settings.key_account_threshold)
    service = RouterService(settings, runtime, clock, cache, matching)

    async def on_lead_qualified(envelope: Envelope, conn: AsyncConnection) -> None:
        uow = SqlUnitOfWork(conn, runtime, cache)
        await route_lead(envelope, uow, source=runtime.source, now=clock(), matching=matching)

    runtime.subscribe(
        Subscription(
            group=CONSUMER_GROUP,
            topics=[LEADS],
            handlers={LeadQualified.event_type: on_lead_qualified},
            on_rollback=cache.forget,
            # route_lead reads the log, not the tables; the decisions are appended together
            batch_scope=holding_new_streams(runtime, cache),
        )
    )
    runtime.subscribe(
        Subscription(
            group=KPI_GROUP,
            topics=[LEADS, REPS, ASSIGNMENTS, DEALS, FOLLOWUPS],
            handlers={name: record for name in kpi_event_types(runtime.registry)},
            handle_all=record_all,
            linger=settings.kpi_linger,
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
    service.delivery = delivery
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
    timers = SlaTimers(
        timers=sla_timers(settings),
        unit_of_work=service.unit_of_work,
        clock=clock,
        source=runtime.source,
        matching=matching,
        interval=settings.timer_interval,
    )
    runtime.add_worker(timers.run)  # on its interval only: steps are due minutes apart
    _watch_waiting_leads(runtime, cache)
    return service


def sla_timers(settings: Settings) -> Timers:
    """Each rep's working calendar (hours, time zone, public holidays), the business
    calendar for the stuck-lead alert, and the default SLA."""
    business = WorkingCalendar(
        settings.business_time_zone,
        parse_settings({"working_hours": settings.business_hours})["working_hours"],
        holiday_checker(settings.business_holiday_country, settings.business_holiday_subdivision),
    )
    default = sla_from_dict(settings.default_sla) if settings.default_sla else DEFAULT_SLA
    return Timers(rep_calendar, business, default)


def rep_calendar(rep: Rep) -> WorkingCalendar:
    """A rep's working calendar: their hours on their clock, less their country's holidays."""
    holidays = holiday_checker(rep.holiday_country, rep.holiday_subdivision)
    return WorkingCalendar(rep.time_zone, rep.working_hours, holidays)


def _watch_waiting_leads(runtime: Runtime, cache: RoutingStateCache) -> None:
    """Expose the unroutable leads waiting for a rep on /metrics, for alerting."""
    waiting = Gauge(
        "conveyor_router_unroutable_waiting",
        "Leads no rep could take, waiting for a retry",
        registry=runtime.metrics.registry,
    )
    waiting.set_function(lambda: len(cache.state.unroutable))
    stuck = Gauge(
        "conveyor_router_leads_stuck",
        "Leads with no accepted owner for more than one business day (alert on any)",
        registry=runtime.metrics.registry,
    )
    stuck.set_function(lambda: sum(w.alerted for w in cache.state.waiting.values()))
