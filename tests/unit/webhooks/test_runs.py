"""A run of one endpoint's messages: sent in order, ending at the first not delivered, when
its time is up, or at an error, keeping what was sent before."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from conveyor.webhooks.sender import Attempt, until_undelivered

DELIVERED = Attempt("delivered", 200, "", 0.0)
HOUR = 3600.0


def answering(outcomes: dict[str, Attempt], log: list[str]) -> Callable[[str], Awaitable[Attempt]]:
    async def send(message: str) -> Attempt:
        log.append(message)
        if message == "boom":
            raise ValueError("no secret to sign with")
        return outcomes.get(message, DELIVERED)

    return send


async def test_a_run_goes_out_in_order_and_stops_after_the_first_not_delivered() -> None:
    log: list[str] = []
    failed = Attempt("retry", 503, "HTTP 503", 0.0)
    sent = await until_undelivered(
        ["m1", "m2", "m3", "m4"], answering({"m2": failed}, log), budget=HOUR
    )
    assert sent == [("m1", DELIVERED), ("m2", failed)]
    assert log == ["m1", "m2"]  # m3 and m4 wait for m2's retry


async def test_a_run_delivered_throughout_is_sent_whole() -> None:
    log: list[str] = []
    sent = await until_undelivered(["m1", "m2", "m3"], answering({}, log), budget=HOUR)
    assert [m for m, _ in sent] == log == ["m1", "m2", "m3"]


async def test_a_run_whose_time_is_up_sends_its_first_message_only() -> None:
    log: list[str] = []
    sent = await until_undelivered(["m1", "m2"], answering({}, log), budget=0.0)
    assert sent == [("m1", DELIVERED)] and log == ["m1"]


async def test_an_error_ends_the_run_and_keeps_what_was_sent_before(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log: list[str] = []
    sent = await until_undelivered(["m1", "boom", "m3"], answering({}, log), budget=HOUR)
    assert sent == [("m1", DELIVERED)] and log == ["m1", "boom"]
    assert "the run ends here" in caplog.text
