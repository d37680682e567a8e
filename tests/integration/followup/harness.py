"""A followup app on real databases and an embedded bus, and a stand-in for the router."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI

from conveyor.events import Envelope, Event, new_envelope
from conveyor.events.catalogue import ASSIGNMENTS, DEALS, FOLLOWUPS, REPS, build_registry
from conveyor.events.catalogue.router import DealWon, RepRegistered, Role
from conveyor.events.catalogue.values import Contact, Interest, LeadSnapshot, Location
from conveyor.events.codec import decode, encode
from conveyor.events.migrate import upgrade
from conveyor.events.transport import OutboundMessage
from conveyor.events.transport.embedded import EmbeddedTransport
from conveyor.followup.adapters import MIGRATIONS
from conveyor.followup.bootstrap import FollowupService
from conveyor.followup.config import Settings
from conveyor.followup.entrypoints.app import create_app
from conveyor.followup.service_layer.ports import Clock

ADMIN_TOKEN = "back-office-secret"
ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
DEADLINE = 20.0
POLL_INTERVAL = 0.05
ROUTER = "/conveyor/router"
T = TypeVar("T")


@dataclass
class Followup:
    """A running followup app and a client for its API."""

    app: FastAPI
    client: httpx.AsyncClient

    @property
    def service(self) -> FollowupService:
        service: FollowupService = self.app.state.service
        return service

    async def get(self, path: str, **params: str) -> Any:
        """GET as the back office."""
        response = await self.client.get(path, params=params, headers=ADMIN)
        response.raise_for_status()
        return response.json()


@asynccontextmanager
async def running(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Followup]:
    """Migrate, start the app's lifespan and hand out a client; stop it all afterwards."""
    await asyncio.to_thread(upgrade, settings.database_url, MIGRATIONS)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://followup") as client:
            yield Followup(app, client)


async def eventually(probe: Callable[[], Awaitable[T | None]], *, within: float = DEADLINE) -> T:
    """Poll probe until it returns something truthy, failing after within seconds."""
    async with asyncio.timeout(within):
        while True:
            if found := await probe():
                return found
            await asyncio.sleep(POLL_INTERVAL)


async def settle(followup: Followup) -> None:
    """Fire timers until none is due by the service's clock (the background worker may fire
    some of them meanwhile; either way each fires once)."""
    scheduler = followup.service.scheduler

    async def nothing_due() -> bool:
        await scheduler.fire_due()
        async with followup.service.runtime.engine.connect() as conn:
            due = await scheduler.timers.due(conn, scheduler.clock.now(), limit=1)
        return not due

    await eventually(nothing_due)


class Router:
    """Publishes rep and deal events on the embedded bus as the router's relay would."""

    def __init__(self, bus_url: str) -> None:
        self.transport = EmbeddedTransport.from_url(bus_url)
        self.sink = self.transport.sink()

    async def deliver(self, envelope: Envelope) -> Envelope:
        """Put an envelope on its topic (again, if it was delivered before)."""
        await self.sink.publish([OutboundMessage(envelope.data.topic, encode(envelope))])
        return envelope

    async def register(self, rep_id: str, role: Role = "farmer") -> Envelope:
        """A rep joined."""
        event = RepRegistered(rep_id=rep_id, name=f"Rep {rep_id}", role=role)
        return await self.deliver(_envelope(event, rep_id))

    async def win(
        self,
        lead_id: str,
        *,
        won_at: datetime,
        hunter_id: str = "h-1",
        company: str | None = None,
        location: Location | None = None,
        interest: Interest | None = None,
        custom: dict[str, str] | None = None,
    ) -> Envelope:
        """The hunter closed the first deal on a lead (a client of its own unless company)."""
        lead = LeadSnapshot(
            lead_id=lead_id,
            source="web",
            channel="form",
            contact=Contact(name="Ann", company=company or f"Acme {lead_id}"),
            location=location or Location(),
            interest=interest or Interest(),
            custom=custom or {},
        )
        deal = DealWon(
            lead_id=lead_id,
            assignment_id=f"as-{lead_id}",
            rep_id=hunter_id,
            amount=Decimal("1200.00"),
            currency="EUR",
            won_at=won_at,
            lead=lead,
        )
        return await self.deliver(_envelope(deal, lead_id))

    async def read_followups(self, count: int, *, group: str) -> list[Envelope]:
        """The first count events published on conveyor.followups.v1."""
        source = self.transport.source(topics=[FOLLOWUPS], group=group)
        await source.start()
        registry, got = build_registry(), list[Envelope]()
        async with asyncio.timeout(DEADLINE):
            while len(got) < count:
                batch = await source.fetch(max_messages=count - len(got), max_wait=0.5)
                got += [decode(m.message, registry) for m in batch]
        await source.stop()
        return got

    async def close(self) -> None:
        await self.transport.close()


@asynccontextmanager
async def router_on(bus_url: str) -> AsyncIterator[Router]:
    """A router stand-in for the test's duration."""
    router = Router(bus_url)
    await router.sink.start()
    try:
        yield router
    finally:
        await router.close()


def _envelope(event: Event, subject: str) -> Envelope:
    assert event.topic in (REPS, ASSIGNMENTS, DEALS)
    return new_envelope(event, subject=subject, source=ROUTER)


class ManualClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment


def utc(text: str) -> datetime:
    """A UTC moment from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
