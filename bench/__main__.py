"""``python -m bench [--quick] [--out DIR] [--only SCENARIO ...]``: start the real parts,
run the scenarios, write report.md and report.json."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from bench import machine
from bench.report import Report
from bench.scenarios import eventstore, rebuild
from conveyor.devkit.postgres import DatabaseServer, ExternalPostgres, PostgresServer

SCENARIOS = ("eventstore", "rebuild")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
    return parser.parse_args(argv)


async def run(args: argparse.Namespace, server: DatabaseServer) -> Report:
    """Run the chosen scenarios into one report."""
    report = Report(machine.describe(), {"quick": args.quick, "scenarios": args.only})
    modules = {"eventstore": eventstore, "rebuild": rebuild}
    for name in args.only:
        for measurement in await modules[name].measure(server.create_database, quick=args.quick):
            report.add(measurement)
    return report


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    args = parse(argv)
    external = os.environ.get("CONVEYOR_BENCH_POSTGRES_URL")
    if external:
        report = asyncio.run(run(args, ExternalPostgres(external)))
    else:
        with PostgresServer.start() as server:
            report = asyncio.run(run(args, server))
    md, _ = report.write(args.out)
    print(md.read_text())


if __name__ == "__main__":
    main()
