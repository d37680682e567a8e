"""The collector's settings while a service runs, undone when it stops."""

import gc

from conveyor.events.heap import YOUNG, settled_heap


def test_what_exists_is_frozen_and_the_young_collected_less_often_until_the_block_ends() -> None:
    before = gc.get_threshold()
    with settled_heap():
        assert gc.get_threshold() == (YOUNG, *before[1:])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_settings_are_undone_when_the_block_fails() -> None:
    before = gc.get_threshold()
    try:
        with settled_heap(young=5_000):
            assert gc.get_threshold()[0] == 5_000
            raise RuntimeError("the service failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
