"""Group commit: requests that arrive while a transaction is committing are written together
in the next one, so concurrent leads share a transaction, the log lock and one wait for the
disk, and each caller still hears back only once its own lead is committed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Command = TypeVar("Command")
Result = TypeVar("Result")


class GroupCommit(Generic[Command, Result]):
    """Applies commands in groups: at most one group in flight, the next one made of every
    command that arrived meanwhile (at most ``max_group``). A group that fails is applied
    again one command at a time, so a failure reaches only the caller whose command failed.

    Idle, a command goes alone at once: grouping adds no wait, it only gathers the commands
    that would otherwise queue for the database one after another."""

    def __init__(
        self,
        apply_all: Callable[[Sequence[Command]], Awaitable[Sequence[Result]]],
        apply_one: Callable[[Command], Awaitable[Result]],
        *,
        max_group: int = 200,
    ) -> None:
        self.apply_all, self.apply_one, self.max_group = apply_all, apply_one, max_group
        self._waiting: list[tuple[Command, asyncio.Future[Result]]] = []
        self._worker: asyncio.Task[None] | None = None
        self.groups = 0  # groups applied together, for tests and metrics

    async def submit(self, command: Command) -> Result:
        """Apply the command (with whatever else is waiting) and return its result."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((command, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            group = self._waiting[: self.max_group]
            del self._waiting[: self.max_group]
            group = [(command, future) for command, future in group if not future.done()]
            if group:  # callers that gave up before their group began are left out
                await self._apply(group)

    async def _apply(self, group: list[tuple[Command, asyncio.Future[Result]]]) -> None:
        if len(group) > 1:
            try:
                results = await self.apply_all([command for command, _ in group])
            except Exception as exc:
                log.warning("a group of %d failed (%r); applying it one by one", len(group), exc)
            else:
                self.groups += 1
                for (_, future), result in zip(group, results, strict=True):
                    if not future.done():
                        future.set_result(result)
                return
        for command, future in group:
            try:
                result = await self.apply_one(command)
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)
