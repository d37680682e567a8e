"""Marking events handled, on SQLite and PostgreSQL: one statement for a batch, only the ids
not handled before come back, and on PostgreSQL the statement is the same text whatever the
batch's size (built once, not compiled again for each count)."""

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events.consumer import mark_all_handled
from conveyor.events.store.schema import tracking_tables
from tests.support import statements_sent

_, HANDLED = tracking_tables(MetaData())


async def test_only_the_ids_not_handled_before_come_back(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        first = await mark_all_handled(conn, HANDLED, consumer="a", event_ids=["e1", "e2", "e1"])
        again = await mark_all_handled(conn, HANDLED, consumer="a", event_ids=["e2", "e3"])
        other = await mark_all_handled(conn, HANDLED, consumer="b", event_ids=["e1"])
    assert (first, again, other) == ({"e1", "e2"}, {"e3"}, {"e1"})


async def test_a_batch_is_one_statement_whose_text_does_not_depend_on_its_size(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.exec_driver_sql("SELECT 1")  # the transaction's own statements go first
        with statements_sent(engine) as statements:
            await mark_all_handled(conn, HANDLED, consumer="a", event_ids=["e1"])
            await mark_all_handled(conn, HANDLED, consumer="a", event_ids=["e2", "e3", "e4"])
    assert len(statements) == 2
    if engine.dialect.name == "postgresql":
        assert statements[0] == statements[1]
