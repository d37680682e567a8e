"""The cyclic garbage collector while a service runs.

A service's process holds a large, long-lived heap from start-up (modules, pydantic and
SQLAlchemy schemas, the app) and makes many short-lived objects per event, nearly all
freed by reference counting. With the interpreter's defaults every 700 net allocations of
containers start a collection, and each full one walks the whole heap: at 400 leads/s that
was 12 % of intake's CPU and 18 % of the router's, for collections that found next to
nothing to free (bench/README.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 10_000  # net container allocations between collections of the youngest generation


@contextmanager
def settled_heap(young: int = YOUNG) -> Iterator[None]:
    """While the block runs, what exists on entry is frozen out of the collector's passes
    (it is kept for the process's life anyway) and the youngest generation is collected
    after ``young`` net allocations. Both are undone on exit: a test process starts and
    stops many services, and what was frozen becomes collectable again (the first of
    several services in one process to stop unfreezes everything: the others then run
    with a heap the collector walks)."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(young, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
