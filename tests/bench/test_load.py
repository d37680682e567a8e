"""The open-loop load generator against a tiny HTTP server of its own (no timing asserted)."""

import asyncio
import gc

from bench.load import open_loop


async def answer_202(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on the connection with a 202, reading its body, until the
    generator closes it."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def test_every_request_is_sent_and_answered_with_the_collector_paused_meanwhile() -> None:
    server = await asyncio.start_server(answer_202, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    collecting: list[bool] = []
    answered: list[tuple[int, int, bytes]] = []

    def body(i: int) -> bytes:
        collecting.append(gc.isenabled())
        return b'{"n": %d}' % i

    assert gc.isenabled()
    async with server:
        result = await open_loop(
            f"http://127.0.0.1:{port}/v1/leads",
            rate=200,
            duration=0.1,
            body=body,
            connections=4,
            on_response=lambda i, status, payload, _: answered.append((i, status, payload)),
        )
    assert (result.completed, result.errors, dict(result.statuses)) == (20, 0, {202: 20})
    assert sorted(answered) == [(i, 202, b"ok") for i in range(20)]
    assert collecting == [False] * 20  # no collection pauses the sending
    assert gc.isenabled()  # and the collector runs again after
