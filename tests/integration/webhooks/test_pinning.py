"""Connections go to the checked addresses only, never looking the host up again."""

from __future__ import annotations

import pytest

from conveyor.devkit.local import free_port
from conveyor.webhooks.http11 import Connection
from conveyor.webhooks.pinning import ConnectError, open_pinned
from tests.integration.webhooks.receiver import receiving, reply


async def test_a_name_that_does_not_resolve_reaches_its_pinned_address() -> None:
    async with receiving(reply(200)) as receiver:
        url = f"http://pinned.invalid:{receiver.port}/hook"
        connection = await Connection.open(
            url, "pinned.invalid", receiver.port, ["127.0.0.1"], tls=None
        )
        status = await connection.post([], b"{}", cap=1024)
        await connection.aclose()
    assert status == 200
    assert receiver.received[0].headers["host"] == f"pinned.invalid:{receiver.port}"


async def test_the_next_checked_address_is_tried_when_one_does_not_answer() -> None:
    async with receiving(reply(200)) as receiver:
        addresses = ["127.0.0.2", "127.0.0.1"]  # the receiver listens on 127.0.0.1 only
        _reader, writer = await open_pinned("pinned.invalid", receiver.port, addresses, tls=None)
        assert writer.get_extra_info("peername")[0] == "127.0.0.1"
        writer.close()


async def test_without_an_answering_checked_address_nothing_is_connected() -> None:
    with pytest.raises(ConnectError, match="no checked address"):
        await open_pinned("pinned.invalid", 80, [], tls=None)
    port = free_port()
    with pytest.raises(ConnectError) as refused:
        await open_pinned("pinned.invalid", port, ["127.0.0.2", "127.0.0.1"], tls=None)
    assert "127.0.0.2: " in str(refused.value) and "127.0.0.1: " in str(refused.value)
