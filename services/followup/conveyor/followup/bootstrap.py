"""The one place that picks followup's concrete adapters and wires them together."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope
from conveyor.events.catalogue.intake import LeadDisqualified, LeadNurtured, LeadQualified
from conveyor.events.catalogue.router import (
    DealWon,
    RepAvailabilityChanged,
    RepRegistered,
    RepUpdated,
)
from conveyor.events.catalogue.topics import DEALS, LEADS, REPS
from conveyor.events.consumer import Handler
from conveyor.events.runtime import Runtime, Subscription
from conveyor.events.store import create_engine
from conveyor.events.transport import transport_from_url
from conveyor.followup.adapters.cadences import SqlCadenceBook
from conveyor.followup.adapters.clocks import ShiftedClock, SystemClock
from conveyor.followup.adapters.delivery import TaskDelivery
from conveyor.followup.adapters.endpoints import SqlEndpointSecrets
from conveyor.followup.adapters.farmer_loads import SqlFarmerLoads
from conveyor.followup.adapters.holidays import PublicHolidays
from conveyor.followup.adapters.lookups import SqlLookups
from conveyor.followup.adapters.projections import read_models
from conveyor.followup.adapters.timers import SqlTimerStore
from conveyor.followup.adapters.views import ReadModels
from conveyor.followup.config import Settings
from conveyor.followup.domain.dormancy import Quiet
from conveyor.followup.service_layer import endpoints, handlers, nurture, rebalancing
from conveyor.followup.service_layer.access import Caller, rep_of
from conveyor.followup.service_layer.context import Context
from conveyor.followup.service_layer.firing import Firing
from conveyor.followup.service_layer.nurture import NurturePool
from conveyor.followup.service_layer.ports import Clock
from conveyor.followup.service_layer.rebalancing import Rebalancing
from conveyor.followup.service_layer.scheduler import Scheduler
from conveyor.followup.service_layer.streams import Streams
from conveyor.webhooks.safety import EndpointPolicy
from conveyor.webhooks.sender import WebhookSender

C = TypeVar("C")
R = TypeVar("R")
CommandHandler = Callable[[C, AsyncConnection, Context], Awaitable[R]]

CONSUMER_GROUP = "conveyor.followup"


@dataclass
class FollowupService:
    """Followup wired up: its settings, its event runtime, read models and scheduler."""

    settings: Settings
    runtime: Runtime
    read_models: ReadModels
    scheduler: Scheduler
    context: Context
    delivery: TaskDelivery
    endpoint_policy: EndpointPolicy

    async def authenticate(self, token: str) -> Caller | None:
        """The caller a bearer token names: the back office, a rep, or nobody."""
        admin = self.settings.admin_token
        if admin is not None and hmac.compare_digest(token, admin.get_secret_value()):
            return Caller(is_admin=True)
        async with self.runtime.engine.connect() as conn:
            rep_id = await rep_of(conn, self.context.lookups, token)
        return Caller(rep_id=rep_id) if rep_id else None

    def wake_delivery(self) -> None:
        """Have the task webhook sender look at its queue now."""
        self.delivery.waker.wake()

    async def execute(self, handler: CommandHandler[C, R], command: C) -> R:
        """Run a command's handler in one transaction; wake the workers after the commit."""
        async with self.runtime.engine.begin() as conn:
            result = await handler(command, conn, self.context)
        self.runtime.committed()
        return result


def both(first: Handler, second: Handler) -> Handler:
    """One handler running two, in order, in the same transaction."""

    async def handle(envelope: Envelope, conn: AsyncConnection) -> None:
        await first(envelope, conn)
        await second(envelope, conn)

    return handle


def clock_for(settings: Settings) -> Clock:
    """The system clock, or one started at clock_start when that is set."""
    return ShiftedClock(settings.clock_start) if settings.clock_start else SystemClock()


def bootstrap(settings: Settings, *, clock: Clock | None = None) -> FollowupService:
    """Build followup's runtime, subscribe its handlers, open its read models, run timers."""
    runtime = Runtime(
        name="followup",
        engine=create_engine(settings.database_url, pool_size=settings.database_pool_size),
        transport=transport_from_url(settings.bus_url),
        projections=read_models(),
    )
    quiet = Quiet(settings.first_order_within_days, settings.dormant_after_days)
    clock = clock or clock_for(settings)
    calendars = PublicHolidays(frozenset(settings.holidays))
    streams = Streams(runtime.store, runtime.writer, runtime.source, clock.now)
    deps = handlers.Dependencies(
        writer=runtime.writer,
        farmers=SqlFarmerLoads(),
        source=runtime.source,
        first_task_days=settings.first_task_days,
        committed=runtime.committed,
        new_task_id=lambda: str(uuid.uuid4()),
        default_cap=settings.default_portfolio_cap,
        cadences=SqlCadenceBook(),
        calendars=calendars,
        default_country=settings.default_country,
        default_time_zone=settings.default_time_zone,
        grace_days=settings.overdue_grace_days,
        quiet=quiet,
        secrets=SqlEndpointSecrets(),
    )
    pool = NurturePool(
        streams=streams,
        timers=SqlTimerStore(),
        committed=runtime.committed,
        default_days=settings.nurture_recheck_days,
    )
    rb = Rebalancing(
        streams=streams,
        farmers=SqlFarmerLoads(),
        committed=runtime.committed,
        long_leave_days=settings.long_leave_days,
        default_cap=settings.default_portfolio_cap,
    )
    subscribed: dict[str, Handler] = {
        RepAvailabilityChanged.event_type: partial(rebalancing.on_availability, rb=rb),
        RepUpdated.event_type: both(
            partial(rebalancing.on_update, rb=rb),
            partial(
                endpoints.follow_rep_update,
                streams=streams,
                secrets=SqlEndpointSecrets(),
                committed=runtime.committed,
            ),
        ),
        RepRegistered.event_type: partial(handlers.enrol_farmer, deps=deps),
        DealWon.event_type: partial(handlers.hand_over_account, deps=deps),
        LeadNurtured.event_type: partial(nurture.keep, pool=pool),
        LeadQualified.event_type: partial(nurture.release, pool=pool),
        LeadDisqualified.event_type: partial(nurture.release, pool=pool),
    }
    runtime.subscribe(
        Subscription(
            group=CONSUMER_GROUP,
            topics=[REPS, DEALS, LEADS],
            handlers=subscribed,
            batch_scope=partial(nurture.batch_scope, pool=pool),
            linger=settings.consumer_linger,
        )
    )
    scheduler = Scheduler(
        engine=runtime.engine,
        store=runtime.store,
        writer=runtime.writer,
        timers=SqlTimerStore(),
        farmers=SqlFarmerLoads(),
        clock=clock,
        source=runtime.source,
        committed=runtime.committed,
        lookups=SqlLookups(),
        poll_seconds=settings.timer_poll_seconds,
        calendars=calendars,
        firing=Firing(
            holidays=frozenset(settings.holidays),
            offer_code=settings.reactivation_offer_code,
            reactivation_pool=settings.reactivation_pool,
            grace_days=settings.overdue_grace_days,
            new_task_id=deps.new_task_id,
        ),
    )
    scheduler.waker = runtime.add_worker(scheduler.run)
    context = Context(
        streams=streams,
        cadences=SqlCadenceBook(),
        lookups=SqlLookups(),
        clock=clock,
        new_task_id=deps.new_task_id,
        calendars=calendars,
        grace_days=settings.overdue_grace_days,
        quiet=quiet,
        secrets=SqlEndpointSecrets(),
        secret_overlap=timedelta(hours=settings.webhook_secret_overlap_hours),
    )
    policy = endpoint_policy(settings)
    delivery = task_delivery(settings, runtime, clock, policy)
    read = ReadModels(runtime.engine)
    return FollowupService(settings, runtime, read, scheduler, context, delivery, policy)


def endpoint_policy(settings: Settings) -> EndpointPolicy:
    """Which webhook endpoints farmers' apps may have."""
    return EndpointPolicy(
        require_https=settings.webhook_require_https,
        allow_loopback=settings.webhook_allow_loopback,
    )


def task_delivery(
    settings: Settings, runtime: Runtime, clock: Clock, policy: EndpointPolicy
) -> TaskDelivery:
    """The follower and sender of task webhooks, run by the leader as a worker."""
    sender = WebhookSender(
        policy,
        timeout=settings.webhook_timeout,
        max_response_bytes=settings.webhook_max_response_bytes,
    )
    delivery = TaskDelivery(
        runtime=runtime,
        sender=sender,
        clock=clock,
        base_url=settings.base_url,
        schedule=[timedelta(seconds=s) for s in settings.webhook_retry_schedule],
        concurrency=settings.webhook_concurrency,
    )
    delivery.waker = runtime.add_worker(delivery.run)
    runtime.on_stop(sender.aclose)
    return delivery
