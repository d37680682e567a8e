"""The Rows contract, run against every implementation on SQLite and PostgreSQL: SQL
statements (the live path), rows held in memory (a rebuild), rows held in memory that
are written out after every operation (a rebuild past its memory bound), and both of the
latter over tables that may already hold rows (a consumer applying a batch)."""

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    event,
    insert,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.devkit.postgres import DatabaseServer
from conveyor.events.row_buffer import RowBuffer
from conveyor.events.rows import Rows, SqlRows, Where
from conveyor.events.store import create_engine

metadata = MetaData()
tasks = Table(
    "contract_tasks",
    metadata,
    Column("task_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("status", String(20), nullable=False),
    Column("count", Integer, nullable=False, server_default="0"),
    Column("limit", Integer, nullable=True),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("note", String(20), nullable=False, server_default="none"),
)
plans = Table(
    "contract_plans",
    metadata,
    Column("rep_id", String(36), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("target", Integer, nullable=False),
)


class SpillingBuffer(RowBuffer):
    """A buffer that writes everything out after each operation (max_rows of 0)."""

    async def insert(self, table: Table, row: Mapping[str, Any]) -> None:
        await super().insert(table, row)
        await self.spill()

    async def put(self, table: Table, row: Mapping[str, Any]) -> None:
        await super().put(table, row)
        await self.spill()

    async def update(
        self,
        table: Table,
        where: Where,
        values: Mapping[str, Any] | None = None,
        *,
        add: Mapping[str, int] | None = None,
    ) -> None:
        await super().update(table, where, values, add=add)
        await self.spill()

    async def delete(self, table: Table, where: Where) -> None:
        await super().delete(table, where)
        await self.spill()


@pytest.fixture
async def conn(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with engine.connect() as connection:
        await connection.begin()
        yield connection
        await connection.rollback()


@pytest.fixture(
    params=[
        "sql",
        "memory",
        "spilling",
        "spilling-behind",
        "live",
        "live-spilling",
        "live-spilling-behind",
    ]
)
def rows(request: pytest.FixtureRequest, conn: AsyncConnection) -> Rows:
    if request.param == "sql":
        return SqlRows(conn)
    if request.param == "memory":
        return RowBuffer(conn)
    # "-behind": each write-out runs in the background, the next use of the database waits
    behind = request.param.endswith("-behind")
    if request.param.startswith("spilling"):
        return SpillingBuffer(conn, max_rows=0, write_behind=behind)
    # over tables that may hold rows (a consumer's batch): every row not held is read
    if request.param == "live":
        return RowBuffer(conn, empty=False)
    return SpillingBuffer(conn, max_rows=0, empty=False, write_behind=behind)


async def stored(rows: Rows, conn: AsyncConnection, table: Table) -> list[tuple[Any, ...]]:
    """Every row of the table in the database, in key order, once the rows are written."""
    if isinstance(rows, RowBuffer):
        await rows.flush()
    return [tuple(r) for r in await conn.execute(select(table).order_by(*table.primary_key))]


def task(task_id: str, account_id: str = "a-1", status: str = "open") -> dict[str, Any]:
    return {"task_id": task_id, "account_id": account_id, "status": status}


async def test_an_inserted_row_takes_the_defaults_of_the_columns_left_out(
    rows: Rows, conn: AsyncConnection
) -> None:
    await rows.insert(tasks, task("t-1"))
    got = await rows.get(tasks, {"task_id": "t-1"})
    assert got is not None and dict(got) == {
        **task("t-1"),
        "count": 0,
        "limit": None,
        "active": True,
        "note": "none",
    }
    assert await rows.get(tasks, {"task_id": "t-2"}) is None
    assert await stored(rows, conn, tasks) == [("t-1", "a-1", "open", 0, None, True, "none")]


async def test_a_row_naming_a_column_the_table_lacks_is_refused(
    rows: Rows, conn: AsyncConnection
) -> None:
    with pytest.raises(ValueError, match=r"contract_tasks has no column \['colour'\]"):
        await rows.insert(tasks, {**task("t-1"), "colour": "red"})
    assert await rows.get(tasks, {"task_id": "t-1"}) is None
    await rows.insert(tasks, task("t-1"))
    with pytest.raises(ValueError, match=r"contract_tasks has no column \['colour'\]"):
        await rows.put(tasks, {**task("t-1", status="done"), "colour": "red"})
    with pytest.raises(ValueError, match=r"contract_tasks has no column \['colour'\]"):
        await rows.put(tasks, {**task("t-2"), "colour": "red"})
    assert await stored(rows, conn, tasks) == [("t-1", "a-1", "open", 0, None, True, "none")]


async def test_inserting_a_key_that_exists_fails_even_after_it_was_written_out(
    rows: Rows, conn: AsyncConnection
) -> None:
    await rows.insert(tasks, task("t-1"))
    if isinstance(rows, RowBuffer):
        await rows.flush()
    with pytest.raises(Exception, match=r"t-1|duplicate|UNIQUE|unique"):
        await insert_and_write_out(rows, tasks, task("t-1"))


async def insert_and_write_out(rows: Rows, table: Table, row: dict[str, Any]) -> None:
    """Insert, and write out what a buffer holds (over tables with rows, a buffer finds a
    duplicate key only then)."""
    await rows.insert(table, row)
    if isinstance(rows, RowBuffer):
        await rows.flush()


async def test_put_adds_a_row_then_sets_only_the_columns_it_is_given(
    rows: Rows, conn: AsyncConnection
) -> None:
    await rows.put(tasks, {**task("t-1"), "count": 3})
    await rows.put(tasks, {"task_id": "t-1", "status": "done"})
    assert await stored(rows, conn, tasks) == [("t-1", "a-1", "done", 3, None, True, "none")]


async def test_update_sets_values_and_adds_to_numbers_leaving_null_null(
    rows: Rows, conn: AsyncConnection
) -> None:
    await rows.insert(tasks, task("t-1"))
    await rows.update(tasks, {"task_id": "t-1"}, {"note": "called"}, add={"count": 2, "limit": 5})
    await rows.update(tasks, {"task_id": "t-1"}, add={"count": -1})
    await rows.update(tasks, {"task_id": "nobody"}, {"note": "lost"}, add={"count": 1})
    assert await stored(rows, conn, tasks) == [("t-1", "a-1", "open", 1, None, True, "called")]


async def test_update_touches_only_rows_whose_column_is_any_of_the_values_given(
    rows: Rows, conn: AsyncConnection
) -> None:
    for task_id, status in (("t-1", "open"), ("t-2", "due"), ("t-3", "done")):
        await rows.insert(tasks, task(task_id, status=status))
    await rows.update(tasks, {"task_id": ("t-1", "t-3"), "status": ("open", "due")}, {"note": "x"})
    await rows.update(tasks, {"task_id": "t-2", "status": "open"}, {"note": "y"})
    notes = [row[-1] for row in await stored(rows, conn, tasks)]
    assert notes == ["x", "none", "none"]


async def test_update_by_another_column_reaches_rows_held_and_rows_written_out(
    rows: Rows, conn: AsyncConnection
) -> None:
    await rows.insert(tasks, task("t-1", "a-1"))
    await rows.insert(tasks, task("t-2", "a-2"))
    if isinstance(rows, RowBuffer):
        await rows.flush()
    await rows.insert(tasks, task("t-3", "a-1"))
    await rows.insert(tasks, task("t-4", "a-1", status="done"))
    await rows.update(
        tasks, {"account_id": "a-1", "status": ("open", "due")}, {"account_id": "a-9"}
    )
    await rows.update(tasks, {"account_id": "a-9"}, add={"count": 1})
    accounts = [(row[0], row[1], row[3]) for row in await stored(rows, conn, tasks)]
    assert accounts == [("t-1", "a-9", 1), ("t-2", "a-2", 0), ("t-3", "a-9", 1), ("t-4", "a-1", 0)]


async def test_a_deleted_row_is_gone_and_its_key_may_be_inserted_again(
    rows: Rows, conn: AsyncConnection
) -> None:
    await rows.insert(tasks, task("t-1"))
    await rows.insert(tasks, task("t-2"))
    if isinstance(rows, RowBuffer):
        await rows.flush()
    await rows.delete(tasks, {"task_id": "t-1"})
    await rows.delete(tasks, {"task_id": "t-2"})
    assert await rows.get(tasks, {"task_id": "t-1"}) is None
    await rows.insert(tasks, task("t-2", status="again"))
    assert await stored(rows, conn, tasks) == [("t-2", "a-1", "again", 0, None, True, "none")]


async def test_rows_with_a_composite_key_are_found_changed_and_removed_by_both_parts(
    rows: Rows, conn: AsyncConnection
) -> None:
    for month in ("2026-10", "2026-11"):
        await rows.insert(plans, {"rep_id": "r-1", "month": month, "target": 10})
    await rows.update(plans, {"rep_id": "r-1", "month": "2026-11"}, add={"target": 5})
    await rows.delete(plans, {"rep_id": "r-1", "month": "2026-10"})
    got = await rows.get(plans, {"rep_id": "r-1", "month": "2026-11"})
    assert got is not None and got["target"] == 15
    assert await stored(rows, conn, plans) == [("r-1", "2026-11", 15)]


async def test_a_row_read_back_after_it_was_written_out_can_be_changed_again(
    rows: Rows, conn: AsyncConnection
) -> None:
    await rows.insert(tasks, task("t-1"))
    if isinstance(rows, RowBuffer):
        await rows.flush()
    await rows.update(tasks, {"task_id": "t-1"}, add={"count": 1})
    await rows.update(tasks, {"task_id": "t-1"}, add={"count": 1})
    await rows.put(tasks, {"task_id": "t-1", "status": "done"})
    assert await stored(rows, conn, tasks) == [("t-1", "a-1", "done", 2, None, True, "none")]


class Statements:
    """Counts the statements a connection sends (SQLAlchemy's own execute event)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.count = 0
        assert conn.sync_connection is not None
        event.listen(conn.sync_connection, "before_cursor_execute", self._sent)

    def _sent(self, *_: Any) -> None:
        self.count += 1


async def test_preloaded_rows_come_in_one_statement_per_table_then_from_memory(
    conn: AsyncConnection,
) -> None:
    await conn.execute(insert(tasks), [task("t-1"), task("t-2", status="due")])
    await conn.execute(insert(plans), [{"rep_id": "r-1", "month": "2026-11", "target": 10}])
    buffer = RowBuffer(conn, empty=False)
    sent = Statements(conn)
    await buffer.preload(tasks, [{"task_id": k} for k in ("t-1", "t-2", "t-3", "t-1")])
    await buffer.preload(plans, [{"rep_id": "r-1", "month": m} for m in ("2026-11", "2026-12")])
    assert sent.count == 2
    t2 = await buffer.get(tasks, {"task_id": "t-2"})
    assert t2 is not None and t2["status"] == "due"
    assert await buffer.get(tasks, {"task_id": "t-3"}) is None
    november = await buffer.get(plans, {"rep_id": "r-1", "month": "2026-11"})
    assert november is not None and november["target"] == 10
    await buffer.insert(tasks, task("t-3"))
    await buffer.update(tasks, {"task_id": "t-1"}, add={"count": 2})
    await buffer.insert(plans, {"rep_id": "r-1", "month": "2026-12", "target": 7})
    assert sent.count == 2  # every row it needed was preloaded, present or absent
    assert [(r[0], r[2], r[3]) for r in await stored(buffer, conn, tasks)] == [
        ("t-1", "open", 2),
        ("t-2", "due", 0),
        ("t-3", "open", 0),
    ]
    assert await stored(buffer, conn, plans) == [("r-1", "2026-11", 10), ("r-1", "2026-12", 7)]


async def test_preloading_a_row_the_buffer_holds_keeps_the_buffers_version(
    conn: AsyncConnection,
) -> None:
    await conn.execute(insert(tasks), [task("t-1")])
    buffer = RowBuffer(conn, empty=False)
    await buffer.update(tasks, {"task_id": "t-1"}, {"status": "done"})
    sent = Statements(conn)
    await buffer.preload(tasks, [{"task_id": "t-1"}])
    assert sent.count == 0
    held = await buffer.get(tasks, {"task_id": "t-1"})
    assert held is not None and held["status"] == "done"


async def test_a_buffer_over_empty_tables_preloads_only_keys_it_wrote_out(
    conn: AsyncConnection,
) -> None:
    buffer = RowBuffer(conn, max_rows=0)
    await buffer.insert(tasks, task("t-1", status="due"))
    await buffer.spill()
    sent = Statements(conn)
    await buffer.preload(tasks, [{"task_id": "t-1"}, {"task_id": "never-written"}])
    assert sent.count == 1
    t1 = await buffer.get(tasks, {"task_id": "t-1"})
    assert t1 is not None and t1["status"] == "due"
    assert await buffer.get(tasks, {"task_id": "never-written"}) is None
    assert sent.count == 1


async def test_a_buffer_over_tables_with_rows_deletes_and_inserts_by_key_without_reading(
    conn: AsyncConnection,
) -> None:
    await conn.execute(insert(tasks), [task("t-1"), task("t-2")])
    buffer = RowBuffer(conn, empty=False)
    sent = Statements(conn)
    await buffer.delete(tasks, {"task_id": "t-1"})
    await buffer.delete(tasks, {"task_id": "not-there"})
    assert sent.count == 0
    assert await buffer.get(tasks, {"task_id": "t-1"}) is None
    await buffer.insert(tasks, task("not-there", status="new"))
    await buffer.insert(tasks, task("t-3", status="new"))  # an insert reads nothing either
    assert sent.count == 0
    assert [(r[0], r[2]) for r in await stored(buffer, conn, tasks)] == [
        ("not-there", "new"),
        ("t-2", "open"),
        ("t-3", "new"),
    ]


@pytest.mark.postgres
async def test_a_write_out_behind_lets_the_folding_go_on_while_the_database_is_busy(
    postgres_server: DatabaseServer, unique_name: str
) -> None:
    engine = create_engine(str(postgres_server.create_database(unique_name)))
    async with engine.begin() as setup:
        await setup.run_sync(metadata.create_all)
    try:
        async with engine.connect() as other, engine.connect() as conn:
            await conn.begin()
            buffer = RowBuffer(conn, max_rows=0, write_behind=True)
            await buffer.insert(tasks, task("t-1", status="due"))
            await other.begin()  # holds the table: the write-out's COPY waits for it
            await other.exec_driver_sql("LOCK TABLE contract_tasks IN SHARE MODE")
            await asyncio.wait_for(buffer.spill(), 10)  # returns with the write-out waiting
            # the row is read from what is being written out, not from the database
            await asyncio.wait_for(buffer.update(tasks, {"task_id": "t-1"}, add={"count": 1}), 10)
            await asyncio.wait_for(buffer.insert(tasks, task("t-2")), 10)
            t1 = await buffer.get(tasks, {"task_id": "t-1"})
            assert t1 is not None and (t1["status"], t1["count"]) == ("due", 1)
            await other.rollback()
            assert [(r[0], r[3]) for r in await stored(buffer, conn, tasks)] == [
                ("t-1", 1),
                ("t-2", 0),
            ]
    finally:
        await engine.dispose()


async def test_a_write_out_behind_that_fails_is_raised_at_the_next_use_of_the_database(
    conn: AsyncConnection,
) -> None:
    buffer = RowBuffer(conn, max_rows=0, write_behind=True)
    await buffer.insert(tasks, {"task_id": "t-1", "status": "open"})  # no account: NOT NULL
    await buffer.spill()
    with pytest.raises(IntegrityError):
        await buffer.flush()


async def test_a_fold_that_fails_waits_for_the_write_out_behind_and_leaves_it_to_roll_back(
    conn: AsyncConnection,
) -> None:
    buffer = RowBuffer(conn, max_rows=0, write_behind=True)

    async def fold_then_fail() -> None:
        async with buffer.written():
            await buffer.insert(tasks, task("t-1"))
            await buffer.spill()  # the write-out starts behind
            raise RuntimeError("fold failed")

    with pytest.raises(RuntimeError, match="fold failed"):
        await fold_then_fail()
    await conn.rollback()  # the connection is free: nothing is running on it any more
    await conn.begin()
    assert await stored(SqlRows(conn), conn, tasks) == []
