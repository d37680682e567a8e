"""Replaying the log: no collections while replaying, and the collector as it was
afterwards."""

import gc

from conveyor.events.replay import no_collections


def test_no_collections_while_replaying_and_the_collector_as_it_was_after() -> None:
    assert gc.isenabled()
    with no_collections():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_paused_before_stays_paused() -> None:
    gc.disable()
    try:
        with no_collections():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
