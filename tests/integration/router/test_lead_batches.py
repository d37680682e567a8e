"""The router's lead consumer applies a fetched batch in one transaction: each decision sees
the batch's earlier ones, and a batch rolled back leaves the routing state as the committed
log has it (on SQLite and on PostgreSQL)."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.intake import LeadQualified
from conveyor.events.catalogue.router import RepAvailabilityChanged
from conveyor.events.catalogue.topics import LEADS
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.events.codec import decode, encode
from conveyor.events.consumer import Consumer
from conveyor.events.migrate import upgrade
from conveyor.events.runtime import Subscription
from conveyor.events.transport import InboundMessage, MessageSink, MessageSource
from conveyor.events.transport.base import OutboundMessage
from conveyor.router.adapters import MIGRATIONS
from conveyor.router.adapters.routing_state import HeldEventsLost, RoutingStateCache
from conveyor.router.adapters.tables import assignments
from conveyor.router.bootstrap import CONSUMER_GROUP, RouterService
from conveyor.router.config import Settings
from conveyor.router.entrypoints.app import create_app
from tests.support import calls_to


class Offsets(MessageSource):
    """A source whose batches the test hands to the consumer; it keeps the commits."""

    def __init__(self) -> None:
        self.committed: list[InboundMessage] = []

    async def fetch(self, *, max_messages: int, max_wait: float) -> list[InboundMessage]:
        return []

    async def commit(self, messages: Sequence[InboundMessage]) -> None:
        self.committed += messages

    async def rewind(self) -> None:
        pass

    async def lag(self) -> dict[tuple[str, int], int]:
        return {}


class Letters(MessageSink):
    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        self.sent += messages


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def service(
    request: pytest.FixtureRequest, settings: Settings, unique_name: str
) -> AsyncIterator[tuple[RouterService, httpx.AsyncClient]]:
    overrides: dict[str, Any] = {}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_server").create_database(
            unique_name
        )
    live = Settings.model_validate({**settings.model_dump(), **overrides})
    await asyncio.to_thread(upgrade, live.database_url, str(MIGRATIONS))
    app: FastAPI = create_app(live)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as client,
    ):
        yield app.state.service, client


def qualified(lead_id: str, offset: int) -> InboundMessage:
    lead = LeadSnapshot(
        lead_id=lead_id,
        source="web",
        channel="web_form",
        contact=Contact(name=f"Lead {lead_id}", email="x@example.com"),
    )
    event = LeadQualified(lead_id=lead_id, lead=lead, score=80, temperature="hot")
    envelope = new_envelope(event, subject=lead_id, source="/conveyor/intake")
    return InboundMessage(LEADS, 0, offset, encode(envelope))


async def owners(service: RouterService) -> dict[str, str]:
    async with service.runtime.engine.connect() as conn:
        rows = await conn.execute(select(assignments.c.lead_id, assignments.c.rep_id))
        return {row.lead_id: row.rep_id for row in rows}


async def two_hunters(router: RouterService, client: httpx.AsyncClient) -> Subscription:
    """Register ana and ben; the router's lead subscription."""
    for rep_id in ("ana", "ben"):
        body = {"rep_id": rep_id, "name": rep_id, "role": "hunter"}
        assert (await client.post("/v1/reps", json=body)).status_code == 201
    [subscription] = [s for s in router.runtime.subscriptions if s.group == CONSUMER_GROUP]
    return subscription


async def state_is_the_logs(router: RouterService) -> None:
    """The router's routing state is what folding its committed log from scratch gives."""
    async with router.runtime.engine.connect() as conn:
        folded = await RoutingStateCache(router.runtime.store).refreshed(conn)
        live = await router.cache.refreshed(conn)
    assert live == folded


def lead_consumer(router: RouterService, subscription: Subscription, **overrides: Any) -> Consumer:
    """A consumer of the router's lead group over a source the test feeds by hand."""
    given: dict[str, Any] = {
        "group": CONSUMER_GROUP,
        "source": Offsets(),
        "dead_letters": Letters(),
        "engine": router.runtime.engine,
        "registry": router.runtime.registry,
        "handlers": subscription.handlers,
        "on_rollback": subscription.on_rollback,
        "batch_scope": subscription.batch_scope,
    }
    return Consumer(**{**given, **overrides})


def count_log_reads(conn: AsyncConnection, reads: list[str]) -> None:
    """Keep every read of the log in position order made on ``conn`` in ``reads``."""

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "ORDER BY events.position" in statement:
            reads.append(statement)

    event.listen(conn.sync_connection, "before_cursor_execute", count)


async def test_a_batch_rolled_back_leaves_the_state_of_the_committed_log(
    service: tuple[RouterService, httpx.AsyncClient],
) -> None:
    router, client = service
    subscription = await two_hunters(router, client)
    route = subscription.handlers[LeadQualified.event_type]

    async def fails_after_routing_l2(envelope: Envelope, conn: AsyncConnection) -> None:
        await route(envelope, conn)  # l2 is decided, then its transaction fails
        if envelope.subject == "l2":
            raise RuntimeError("l2 cannot be handled")

    source, letters = Offsets(), Letters()
    handlers = {LeadQualified.event_type: fails_after_routing_l2}
    consumer = lead_consumer(
        router,
        subscription,
        source=source,
        dead_letters=letters,
        handlers=handlers,
        retry_delay=0.01,
    )
    batch = [qualified(lead_id, n) for n, lead_id in enumerate(["l1", "l2", "l3", "l4"])]
    await consumer.process(batch)

    # the batch failed at l2 and was applied again one by one: l2 alone dead-lettered, and
    # round robin went on from the committed decisions only
    assert await owners(router) == {"l1": "ana", "l3": "ben", "l4": "ana"}
    assert (consumer.stats.handled, consumer.stats.dead_lettered) == (3, 1)
    assert [dict(m.message.headers)["dlq_offset"] for m in letters.sent] == [b"1"]
    assert source.committed == batch
    await state_is_the_logs(router)


async def test_each_decision_of_a_batch_sees_the_ones_before_it(
    service: tuple[RouterService, httpx.AsyncClient],
) -> None:
    router, client = service
    subscription = await two_hunters(router, client)
    commits: list[int] = []
    consumer = lead_consumer(router, subscription, after_commit=lambda: commits.append(1))
    batch = [qualified(f"l{n}", n) for n in range(1, 7)]
    again = qualified("l3", 9)  # l3 qualified again (another event): routed already
    await consumer.process([*batch[:4], again, *batch[4:], *batch[:2]])  # two delivered twice

    assert await owners(router) == {
        "l1": "ana",
        "l2": "ben",
        "l3": "ana",
        "l4": "ben",
        "l5": "ana",
        "l6": "ben",
    }
    assert (consumer.stats.handled, consumer.stats.duplicates) == (7, 2)
    assert len(commits) == 1  # one transaction for the batch


async def test_a_batch_reads_the_log_once_and_folds_its_own_decisions(
    service: tuple[RouterService, httpx.AsyncClient],
) -> None:
    router, client = service
    subscription = await two_hunters(router, client)
    route = subscription.handlers[LeadQualified.event_type]
    assert subscription.batch_scope is not None
    leads = [decode(qualified(f"l{n}", n).message, router.runtime.registry) for n in range(6)]
    log_reads: list[str] = []
    async with router.runtime.engine.connect() as conn:
        count_log_reads(conn, log_reads)
        async with conn.begin(), subscription.batch_scope(conn, leads):
            for envelope in leads:
                await route(envelope, conn)

    assert len(log_reads) == 1  # the first decision catches up; the rest fold the batch's own
    assert await owners(router) == {f"l{n}": ("ana", "ben")[n % 2] for n in range(6)}
    await state_is_the_logs(router)


async def test_an_append_the_batch_made_another_way_is_read_before_the_next_decision(
    service: tuple[RouterService, httpx.AsyncClient],
) -> None:
    router, client = service
    subscription = await two_hunters(router, client)
    route = subscription.handlers[LeadQualified.event_type]
    leads = [decode(qualified(f"l{n}", n).message, router.runtime.registry) for n in range(5)]
    away = RepAvailabilityChanged(rep_id="ana", available=False, reason="sick")
    log_reads: list[str] = []
    async with router.runtime.engine.connect() as conn:
        count_log_reads(conn, log_reads)
        async with conn.begin():
            for envelope in leads[:2]:
                await route(envelope, conn)
            # ana, next in turn, is away: written in the same transaction, not through the
            # routing's unit of work
            version = await router.runtime.store.stream_version(conn, "ana")
            envelope = new_envelope(away, subject="ana", source="/test")
            await router.runtime.writer.append(conn, "ana", [envelope], expected_version=version)
            for envelope in leads[2:]:
                await route(envelope, conn)

    assert len(log_reads) == 2  # caught up at l0, and again at l2 after the other append
    assert await owners(router) == {"l0": "ana", "l1": "ben", "l2": "ben", "l3": "ben", "l4": "ben"}
    await state_is_the_logs(router)


async def test_a_decision_rolled_back_to_a_savepoint_is_not_folded(
    service: tuple[RouterService, httpx.AsyncClient],
) -> None:
    router, client = service
    subscription = await two_hunters(router, client)
    route = subscription.handlers[LeadQualified.event_type]
    leads = [decode(qualified(f"l{n}", n).message, router.runtime.registry) for n in range(3)]

    async with router.runtime.engine.connect() as conn, conn.begin():
        await route(leads[0], conn)
        savepoint = await conn.begin_nested()
        await route(leads[1], conn)  # offered to ben, then undone
        await savepoint.rollback()
        await route(leads[2], conn)

    assert await owners(router) == {"l0": "ana", "l2": "ben"}
    await state_is_the_logs(router)


async def test_a_batch_appends_its_decisions_together_each_seeing_the_ones_before(
    service: tuple[RouterService, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    router, client = service
    subscription = await two_hunters(router, client)
    calls = calls_to(monkeypatch, router.runtime.store, "append", "append_many")
    consumer = lead_consumer(router, subscription)
    await consumer.process([qualified(f"l{n}", n) for n in range(6)])

    assert calls == ["append_many"]  # six decisions, one append
    assert await owners(router) == {f"l{n}": ("ana", "ben")[n % 2] for n in range(6)}
    await state_is_the_logs(router)


async def each_routed_once(router: RouterService, consumer: Consumer) -> None:
    """After l1 and l2, then l3, l1 again and l4: four leads decided once each, in turn,
    the second l1 handled without a second decision, and the state as the log says."""
    assert await owners(router) == {"l1": "ana", "l2": "ben", "l3": "ana", "l4": "ben"}
    assert (consumer.stats.handled, consumer.stats.dead_lettered) == (5, 0)
    async with router.runtime.engine.connect() as conn:
        assert len(await router.runtime.store.read_stream(conn, "l1")) == 1
    await state_is_the_logs(router)


async def test_a_lead_routed_in_an_earlier_batch_and_qualified_again_is_passed_over(
    service: tuple[RouterService, httpx.AsyncClient],
) -> None:
    """The batch looks up which of its leads have a stream already (one statement, under
    the lock) and leaves them as they are; the rest are decided and appended together."""
    router, client = service
    subscription = await two_hunters(router, client)
    commits: list[int] = []
    consumer = lead_consumer(router, subscription, after_commit=lambda: commits.append(1))
    await consumer.process([qualified("l1", 1), qualified("l2", 2)])
    await consumer.process([qualified("l3", 3), qualified("l1", 4), qualified("l4", 5)])

    assert len(commits) == 2  # a transaction a batch: the second did not fall back
    await each_routed_once(router, consumer)


async def test_a_batch_whose_decisions_the_log_refuses_is_applied_again_lead_by_lead(
    service: tuple[RouterService, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a routed lead's stream go unseen by the look-up, the append of the batch's
    decisions refuses it: the batch rolls back and each lead is applied on its own."""
    router, client = service
    subscription = await two_hunters(router, client)
    commits: list[int] = []
    consumer = lead_consumer(router, subscription, after_commit=lambda: commits.append(1))
    await consumer.process([qualified("l1", 1), qualified("l2", 2)])

    async def none_exist(conn: AsyncConnection, stream_ids: Sequence[str]) -> set[str]:
        return set()

    monkeypatch.setattr(router.runtime.store, "existing", none_exist)
    await consumer.process([qualified("l3", 3), qualified("l1", 4), qualified("l4", 5)])

    # the second batch fell back to a transaction a lead: l3's and l4's appended decisions
    # (l1's appended nothing: routed already; only a commit of events wakes the workers)
    assert len(commits) == 1 + 2
    await each_routed_once(router, consumer)


async def test_decisions_held_are_never_lost_to_a_read_of_the_log(
    service: tuple[RouterService, httpx.AsyncClient],
) -> None:
    """Something appended another way inside the batch's scope sends the next decision to
    the log, which does not have the held ones yet: the transaction fails instead."""
    router, client = service
    subscription = await two_hunters(router, client)
    route, scope = subscription.handlers[LeadQualified.event_type], subscription.batch_scope
    assert scope is not None
    leads = [decode(qualified(f"l{n}", n).message, router.runtime.registry) for n in range(3)]
    away = new_envelope(
        RepAvailabilityChanged(rep_id="ana", available=False, reason="sick"),
        subject="ana",
        source="/test",
    )

    async def batch() -> None:
        async with router.runtime.engine.connect() as conn, conn.begin():
            try:
                async with scope(conn, leads):
                    await route(leads[0], conn)
                    await route(leads[1], conn)
                    version = await router.runtime.store.stream_version(conn, "ana")
                    await router.runtime.writer.append(
                        conn, "ana", [away], expected_version=version
                    )
                    await route(leads[2], conn)
            except BaseException:
                subscription.on_rollback()  # as the consumer does
                raise

    with pytest.raises(HeldEventsLost):
        await batch()

    assert await owners(router) == {}
    await state_is_the_logs(router)
