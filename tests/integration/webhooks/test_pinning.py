"""The pinned backend connects to the checked addresses only, never looking the host up again."""

from __future__ import annotations

import httpcore
import pytest

from conveyor.webhooks.pinning import PinnedBackend
from tests.integration.webhooks.receiver import receiving, reply


async def test_a_name_that_does_not_resolve_reaches_its_pinned_address() -> None:
    async with receiving(reply(200)) as receiver:
        backend = PinnedBackend(host="pinned.invalid", port=receiver.port, addresses=["127.0.0.1"])
        async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
            response = await pool.request("POST", f"http://pinned.invalid:{receiver.port}/hook")
    assert response.status == 200
    assert receiver.received[0].headers["host"] == f"pinned.invalid:{receiver.port}"


async def test_the_next_checked_address_is_tried_when_one_does_not_answer() -> None:
    async with receiving(reply(200)) as receiver:
        addresses = ["127.0.0.2", "127.0.0.1"]
        backend = PinnedBackend(host="pinned.invalid", port=receiver.port, addresses=addresses)
        async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
            response = await pool.request("GET", f"http://pinned.invalid:{receiver.port}/")
    assert response.status == 200


async def test_a_host_or_port_that_was_not_checked_is_not_connected() -> None:
    async with receiving(reply(200)) as receiver:
        backend = PinnedBackend(host="pinned.invalid", port=receiver.port, addresses=["127.0.0.1"])
        async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
            for url in (f"http://127.0.0.1:{receiver.port}/", "http://pinned.invalid:1/"):
                with pytest.raises(httpcore.ConnectError, match="no checked address"):
                    await pool.request("GET", url)
    assert receiver.received == []
