"""Group commit: commands that arrive while a group is applied go together in the next one;
each caller gets its own result, and a failing group costs only the failing command."""

import asyncio
from collections.abc import Sequence

import pytest

from conveyor.intake.service_layer.grouping import GroupCommit


class Store:
    """A fake of the database side: records each transaction's commands."""

    def __init__(self) -> None:
        self.transactions: list[list[str]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def apply_all(self, commands: Sequence[str]) -> list[str]:
        await self.gate.wait()
        if "poison" in commands:
            raise RuntimeError("the group failed")
        self.transactions.append(list(commands))
        return [c.upper() for c in commands]

    async def apply_one(self, command: str) -> str:
        await self.gate.wait()
        if command == "poison":
            raise ValueError("poison cannot be applied")
        self.transactions.append([command])
        return command.upper()


async def test_a_lone_command_goes_at_once_by_itself() -> None:
    store = Store()
    grouped = GroupCommit(store.apply_all, store.apply_one)
    assert await grouped.submit("a") == "A"
    assert store.transactions == [["a"]] and grouped.groups == 0


async def test_commands_arriving_during_a_transaction_share_the_next_one() -> None:
    store = Store()
    grouped = GroupCommit(store.apply_all, store.apply_one, max_group=3)
    store.gate.clear()
    first = asyncio.create_task(grouped.submit("a"))
    await asyncio.sleep(0)  # "a" is in flight, held at the gate
    rest = [asyncio.create_task(grouped.submit(c)) for c in "bcdef"]
    await asyncio.sleep(0)
    store.gate.set()
    assert await first == "A"
    assert [await task for task in rest] == ["B", "C", "D", "E", "F"]
    assert store.transactions == [["a"], ["b", "c", "d"], ["e", "f"]]
    assert grouped.groups == 2


async def test_a_failing_group_is_applied_one_by_one_and_fails_only_its_culprit() -> None:
    store = Store()
    grouped = GroupCommit(store.apply_all, store.apply_one)
    store.gate.clear()
    first = asyncio.create_task(grouped.submit("a"))
    await asyncio.sleep(0)
    others = {c: asyncio.create_task(grouped.submit(c)) for c in ("b", "poison", "c")}
    await asyncio.sleep(0)
    store.gate.set()
    assert await first == "A"
    assert await others["b"] == "B" and await others["c"] == "C"
    with pytest.raises(ValueError, match="poison"):
        await others["poison"]
    assert store.transactions == [["a"], ["b"], ["c"]]


async def test_a_caller_that_gives_up_does_not_disturb_the_others() -> None:
    store = Store()
    grouped = GroupCommit(store.apply_all, store.apply_one)
    store.gate.clear()
    first = asyncio.create_task(grouped.submit("a"))
    await asyncio.sleep(0)
    leaving, staying = (asyncio.create_task(grouped.submit(c)) for c in "bc")
    await asyncio.sleep(0)
    leaving.cancel()
    store.gate.set()
    assert await first == "A" and await staying == "C"
    assert store.transactions == [["a"], ["c"]]  # b's caller left before its group began
