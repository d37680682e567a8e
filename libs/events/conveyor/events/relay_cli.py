"""Run an outbox relay as its own process: ``conveyor-relay --database-url URL --bus URL``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from conveyor.events.catalogue import build_registry
from conveyor.events.outbox import OutboxRelay
from conveyor.events.store import EventStore, create_engine
from conveyor.events.transport import check_bus_url, transport_from_url


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True, help="the service's event store")
    parser.add_argument(
        "--bus", required=True, help="kafka://host:port[?namespace=NAME] or a SQL URL"
    )
    parser.add_argument("--name", default="outbox", help="the relay's position name")
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)
    try:
        check_bus_url(args.bus)
    except ValueError as exc:
        parser.error(str(exc))
    return args


async def serve(args: argparse.Namespace) -> None:
    """Relay until SIGTERM or SIGINT."""
    engine = create_engine(args.database_url)
    transport = transport_from_url(args.bus)
    sink = transport.sink()
    await sink.start()
    relay = OutboxRelay(
        engine=engine,
        store=EventStore(build_registry()),
        sink=sink,
        name=args.name,
        batch_size=args.batch_size,
        idle_wait=0.1,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        await relay.run(stop)
    finally:
        await sink.stop()
        await transport.close()
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
