"""How a Kafka source fetches for a consumer group that lingers."""

from conveyor.events.transport.kafka import (
    LINGERING_FETCH_BYTES,
    LINGERING_FETCH_WAIT,
    fetch_options,
)


def test_a_group_that_does_not_linger_is_answered_as_soon_as_there_is_a_message() -> None:
    assert fetch_options(0) == {}  # the client's defaults: the broker answers at one byte


def test_a_lingering_group_is_answered_once_a_batch_is_gathered_or_its_wait_is_over() -> None:
    assert fetch_options(0.2) == {
        "fetch_min_bytes": LINGERING_FETCH_BYTES,
        "fetch_max_wait_ms": 200,
    }
    # the broker holds a fetch half a second at most; the consumer lingers for the rest
    assert fetch_options(60)["fetch_max_wait_ms"] == LINGERING_FETCH_WAIT * 1000 == 500
    assert LINGERING_FETCH_BYTES >= 100 * 1024  # about a full batch of events
