"""On SQLite and PostgreSQL: a rebuild folds projections written against Rows in memory and
writes them in bulk, giving the rows the live path gave, whatever its memory bound; a
projection that only applies events in SQL still rebuilds beside them; and a rebuild that
fails leaves the read models as they were."""

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events import Envelope, Recorded, new_envelope
from conveyor.events.catalogue import build_registry
from conveyor.events.catalogue.intake import LeadQualified, LeadReceived
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.events.model import EventView
from conveyor.events.projection import EventWriter, Projection, RowProjection, rebuild
from conveyor.events.replay import read_chunk
from conveyor.events.rows import Rows
from conveyor.events.store import EventStore, create_engine, event_store_metadata

metadata = event_store_metadata(MetaData())
leads = Table(
    "seen_leads",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("score", Integer, nullable=True),
    Column("touches", Integer, nullable=False, server_default="0"),
)
tallies = Table(
    "tallies",
    metadata,
    Column("temperature", String(10), primary_key=True),
    Column("leads", Integer, nullable=False),
)


class SeenLeads(RowProjection):
    """A lead per LeadReceived; each verdict sets the score and counts a touch."""

    tables = (leads,)
    handles = frozenset({LeadReceived.event_type, LeadQualified.event_type})

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        data = recorded.envelope.data
        if isinstance(data, LeadReceived):
            await rows.insert(leads, {"lead_id": data.lead_id})
        elif isinstance(data, LeadQualified):
            where, score = {"lead_id": data.lead_id}, {"score": data.score}
            await rows.update(leads, where, score, add={"touches": 1})


class TalliesInSql:
    """Verdicts per temperature, written straight in SQL (no fold); it also adds ten
    touches to the lead, a table another projection folds."""

    tables = (tallies,)
    handles = frozenset({LeadQualified.event_type})

    async def apply(self, recorded: Recorded, conn: AsyncConnection) -> None:
        data = recorded.envelope.data
        assert isinstance(data, LeadQualified)
        counted = update(tallies).where(tallies.c.temperature == data.temperature)
        if (await conn.execute(counted.values(leads=tallies.c.leads + 1))).rowcount == 0:
            await conn.execute(insert(tallies).values(temperature=data.temperature, leads=1))
        lead = update(leads).where(leads.c.lead_id == data.lead_id)
        await conn.execute(lead.values(touches=leads.c.touches + 10))


class FailsAtTheEnd(SeenLeads):
    """Folds like SeenLeads, and fails on the last lead's verdict."""

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        await super().fold(recorded, rows)
        if recorded.envelope.subject == "lead-9" and recorded.envelope.type in self.verdicts:
            raise RuntimeError("the read model cannot take this event")

    verdicts = frozenset({LeadQualified.event_type})


class QualifiedScore(EventView):
    """What SeenLeadsThroughAView reads of a verdict."""

    of = LeadQualified
    lead_id: str
    score: int


class SeenLeadsThroughAView(RowProjection):
    """SeenLeads reading verdicts through a view; it notes the class of each verdict given."""

    tables = (leads,)
    handles = SeenLeads.handles
    reads = (QualifiedScore,)

    def __init__(self) -> None:
        self.given: list[type] = []

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        data = recorded.envelope.data
        if isinstance(data, LeadReceived):
            await rows.insert(leads, {"lead_id": data.lead_id})
        elif isinstance(data, LeadQualified | QualifiedScore):
            self.given.append(type(data))
            where, score = {"lead_id": data.lead_id}, {"score": data.score}
            await rows.update(leads, where, score, add={"touches": 1})


class KeepsWhatItFolds(SeenLeads):
    """SeenLeads keeping every event it is given."""

    def __init__(self) -> None:
        self.folded: list[Recorded] = []

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        self.folded.append(recorded)
        await super().fold(recorded, rows)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(
    request: pytest.FixtureRequest, tmp_path: Path, unique_name: str
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'rebuild.db'}"
    else:
        url = str(request.getfixturevalue("postgres_server").create_database(unique_name))
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


def snapshot(n: int) -> LeadSnapshot:
    return LeadSnapshot(
        lead_id=f"lead-{n}", source="web", channel="web_form", contact=Contact(name=f"L{n}")
    )


def lead_events(n: int) -> list[Envelope]:
    """Lead n received and qualified; an even one qualified once more (score 50, warm)."""
    lead = snapshot(n)
    verdicts = [LeadQualified(lead_id=lead.lead_id, lead=lead, score=n, temperature="hot")]
    if n % 2 == 0:
        verdicts.append(verdicts[0].model_copy(update={"score": 50, "temperature": "warm"}))
    received = LeadReceived(lead_id=lead.lead_id, lead=lead, received_at=NOW)
    return [
        new_envelope(event, subject=lead.lead_id, source="/test") for event in (received, *verdicts)
    ]


async def live(
    engine: AsyncEngine, projections: Sequence[Projection], *, buffered: bool = False
) -> EventWriter:
    """Ten leads, a transaction each (or, ``buffered``, all in one with the projections'
    rows held until it ends)."""
    writer = EventWriter(EventStore(build_registry()), projections)
    if buffered:
        async with engine.begin() as conn, writer.buffered(conn):
            for n in range(10):
                await writer.append(conn, f"lead-{n}", lead_events(n), expected_version=0)
        return writer
    for n in range(10):
        async with engine.begin() as conn:
            await writer.append(conn, f"lead-{n}", lead_events(n), expected_version=0)
    return writer


async def read_models(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    async with engine.connect() as conn:
        return {
            table.name: [tuple(r) for r in await conn.execute(select(table).order_by(*table.c))]
            for table in (leads, tallies)
        }


async def test_a_rebuild_in_bulk_gives_the_live_rows_whatever_its_memory_bound(
    engine: AsyncEngine,
) -> None:
    writer = await live(engine, [SeenLeads()])
    rows = await read_models(engine)
    assert rows["seen_leads"][0] == ("lead-0", 50, 2) and len(rows["seen_leads"]) == 10
    for max_rows, batch_size in ((100_000, 10_000), (3, 10_000), (0, 10_000), (3, 1), (7, 4)):
        replayed = await rebuild(
            engine, writer.store, writer.projections, max_rows=max_rows, batch_size=batch_size
        )
        assert replayed == 25
        assert await read_models(engine) == rows


async def test_a_projection_without_fold_rebuilds_beside_one_that_folds_the_same_table(
    engine: AsyncEngine,
) -> None:
    writer = await live(engine, [SeenLeads(), TalliesInSql()])
    rows = await read_models(engine)
    assert rows["tallies"] == [("hot", 10), ("warm", 5)]
    assert rows["seen_leads"][0] == ("lead-0", 50, 22)
    await rebuild(engine, writer.store, writer.projections, batch_size=4)
    assert await read_models(engine) == rows


@pytest.mark.parametrize("folding", [[SeenLeads()], [SeenLeads(), TalliesInSql()]])
async def test_appends_in_a_buffered_transaction_give_the_rows_appends_one_by_one_give(
    engine: AsyncEngine, folding: list[Projection]
) -> None:
    writer = await live(engine, folding, buffered=True)
    rows = await read_models(engine)
    touches = 22 if len(folding) == 2 else 2  # the SQL projection adds ten per verdict
    assert rows["seen_leads"][0] == ("lead-0", 50, touches) and len(rows["seen_leads"]) == 10
    assert rows["tallies"] == ([("hot", 10), ("warm", 5)] if len(folding) == 2 else [])
    await rebuild(engine, writer.store, writer.projections)
    assert await read_models(engine) == rows


async def test_a_rebuild_hands_a_projection_the_view_it_reads_the_live_path_the_model(
    engine: AsyncEngine,
) -> None:
    seen = SeenLeadsThroughAView()
    writer = await live(engine, [seen])
    rows = await read_models(engine)
    assert rows["seen_leads"][0] == ("lead-0", 50, 2) and len(rows["seen_leads"]) == 10
    assert seen.given == [LeadQualified] * 15
    seen.given.clear()
    await rebuild(engine, writer.store, writer.projections, max_rows=3, batch_size=4)
    assert await read_models(engine) == rows
    assert seen.given == [QualifiedScore] * 15


async def test_a_type_another_projection_reads_whole_is_decoded_whole_for_both(
    engine: AsyncEngine,
) -> None:
    seen = SeenLeadsThroughAView()
    writer = await live(engine, [seen, TalliesInSql()])  # TalliesInSql asserts the model
    rows = await read_models(engine)
    seen.given.clear()
    await rebuild(engine, writer.store, writer.projections, batch_size=4)
    assert await read_models(engine) == rows
    assert seen.given == [LeadQualified] * 15


async def test_a_rebuild_leaves_the_events_it_decodes_out_of_the_registrys_recent_ones(
    engine: AsyncEngine,
) -> None:
    keeps = KeepsWhatItFolds()
    writer = await live(engine, [keeps])
    keeps.folded.clear()
    await rebuild(engine, writer.store, writer.projections, batch_size=4)
    assert len(keeps.folded) == 25
    registry = writer.store.registry
    for recorded in keeps.folded:
        envelope = recorded.envelope
        assert envelope.data_json is not None
        again = registry.decode_json(
            envelope.type, envelope.schema_version, envelope.data_json, event_id=envelope.id
        )
        assert again == envelope.data and again is not envelope.data


async def test_a_projection_cannot_read_a_type_it_is_not_fed(engine: AsyncEngine) -> None:
    class ReadsUnfed(SeenLeadsThroughAView):
        handles = frozenset({LeadReceived.event_type})

    writer = await live(engine, [SeenLeads()])
    rows = await read_models(engine)
    with pytest.raises(ValueError, match=r"not fed.*conveyor\.lead\.qualified"):
        await rebuild(engine, writer.store, [ReadsUnfed()])
    assert await read_models(engine) == rows


async def test_buffered_rows_are_written_when_it_ends_and_never_when_it_fails(
    engine: AsyncEngine,
) -> None:
    writer = EventWriter(EventStore(build_registry()), [SeenLeads()])
    async with engine.begin() as conn:
        async with writer.buffered(conn):
            await writer.append(conn, "lead-0", lead_events(0), expected_version=0)
            assert (await conn.execute(select(leads))).all() == []  # held, not written yet
        assert [tuple(r) for r in await conn.execute(select(leads))] == [("lead-0", 50, 2)]
    with pytest.raises(RuntimeError, match="the batch fails"):
        await append_then_fail(engine, writer, 1)
    async with engine.begin() as conn:  # outside it, appends project in SQL at once again
        await writer.append(conn, "lead-2", lead_events(2), expected_version=0)
        assert len((await conn.execute(select(leads))).all()) == 2
    assert (await read_models(engine))["seen_leads"] == [("lead-0", 50, 2), ("lead-2", 50, 2)]


async def append_then_fail(engine: AsyncEngine, writer: EventWriter, n: int) -> None:
    async with engine.begin() as conn, writer.buffered(conn):
        await writer.append(conn, f"lead-{n}", lead_events(n), expected_version=0)
        raise RuntimeError("the batch fails")


async def test_a_rebuild_that_fails_leaves_the_read_models_as_they_were(
    engine: AsyncEngine,
) -> None:
    writer = await live(engine, [SeenLeads()])
    rows = await read_models(engine)
    for batch_size in (10_000, 3):  # in chunks, the next one is being read when it fails
        with pytest.raises(RuntimeError, match="cannot take"):
            await rebuild(
                engine, writer.store, [FailsAtTheEnd()], max_rows=2, batch_size=batch_size
            )
        assert await read_models(engine) == rows


async def test_the_log_read_in_chunks_gives_the_events_read_all_gives_of_the_types_asked(
    engine: AsyncEngine,
) -> None:
    writer = await live(engine, [SeenLeads()])
    verdicts = {LeadQualified.event_type}
    async with engine.connect() as conn:
        logged = await writer.store.read_all(conn, limit=100)
        chunk = await read_chunk(conn, writer.store, types=verdicts, after=1, limit=100)
    assert chunk is not None and (chunk.read, chunk.last) == (24, logged[-1].position)
    assert chunk.events == [r for r in logged[1:] if r.envelope.type in verdicts]
    assert len(chunk.events) == 15


NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
