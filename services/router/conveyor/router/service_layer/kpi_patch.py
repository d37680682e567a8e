"""A change to one KPI fact row, independent of the database.

A lead's events come from two services on two topics, so they may arrive in either order:
lead patches only fill what is empty, keep the earliest time, or let the newer verdict or
outcome win. Events of one stream arrive in order, so other rows may simply be set."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Patch:
    """A change to one row: ``fill`` sets empty columns, ``first`` keeps the earliest
    value, ``set`` overwrites; ``newer`` (time column, time, columns) overwrites those
    columns and the time only when the time is not older than the row's; ``only_if`` skips
    the patch unless that column is already set."""

    table: str
    key: Mapping[str, str]
    fill: Mapping[str, Any] = field(default_factory=dict)
    first: Mapping[str, str] = field(default_factory=dict)
    set: Mapping[str, Any] = field(default_factory=dict)
    newer: tuple[str, str, Mapping[str, Any]] | None = None
    only_if: str | None = None


Patcher = Callable[[Any, str], list[Patch]]
"""What one event type changes, given the event and the time it happened (ISO, UTC)."""


def stamp(moment: datetime) -> str:
    """A moment as fixed-width UTC text (microseconds always present), so text order is
    time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def merge(row: Mapping[str, Any] | None, patch: Patch) -> dict[str, Any] | None:
    """The column values the patch changes in the row (None: leave the row alone)."""
    if patch.only_if and (row is None or row[patch.only_if] is None):
        return None
    current = dict(row or {})
    values = {c: v for c, v in patch.fill.items() if v is not None and current.get(c) is None}
    for column, moment in patch.first.items():
        if current.get(column) is None or moment < current[column]:
            values[column] = moment
    values |= patch.set
    if patch.newer:
        column, moment, columns = patch.newer
        if current.get(column) is None or moment >= current[column]:
            values |= {column: moment, **columns}
    return values
