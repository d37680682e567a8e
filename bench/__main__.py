"""``python -m bench [--quick] [--out DIR] [--only SCENARIO ...]``: start the real parts,
run the scenarios, write report.md and report.json."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench import machine
from bench.report import Measurement, Report
from bench.router.__main__ import Sizes
from bench.router.__main__ import run as run_routing
from bench.scenarios import e2e, eventstore, intake, rebuild
from bench.stack import SERVICES, running_stack
from conveyor.devkit.postgres import DatabaseServer, ExternalPostgres, PostgresServer

SCENARIOS = ("eventstore", "rebuild", "routing", "intake", "e2e")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where the report goes (default bench/results; bench/results/quick for --quick)",
    )
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument(
        "--rebuild-events",
        type=int,
        default=1_000_000,
        help="size of the generated log the rebuild scenario replays",
    )
    args = parser.parse_args(argv)
    if args.out is None:  # a quick run never replaces the full run's report
        args.out = Path("bench/results/quick" if args.quick else "bench/results")
    return args


async def run(args: argparse.Namespace, server: DatabaseServer) -> Report:
    """Run the chosen scenarios into one report."""
    settings: dict[str, object] = {
        "quick": args.quick,
        "scenarios": args.only,
        "rebuild_events": args.rebuild_events,
        # each scenario starts with the pages the ones before it wrote on disk
        "checkpoint_before_each_scenario": await machine.checkpoint(server.url()),
    }
    report = Report({**machine.describe(), **await machine.durability(server.url())}, settings)
    for n, name in enumerate(args.only):
        if n and settings["checkpoint_before_each_scenario"]:
            await machine.checkpoint(server.url())
        for measurement in await _scenario(name, server, args, report):
            report.add(measurement)
    return report


async def _scenario(
    name: str, server: DatabaseServer, args: argparse.Namespace, report: Report
) -> list[Measurement]:
    if name == "routing":
        return await asyncio.to_thread(routing, quick=args.quick)
    workdir = Path(tempfile.mkdtemp(prefix=f"conveyor-bench-{name}-"))
    if name == "eventstore":
        return await eventstore.measure(
            server.create_database, workdir, quick=args.quick, profiles=report.profiles
        )
    if name == "rebuild":
        return await rebuild.measure(
            server.create_database,
            workdir,
            quick=args.quick,
            profiles=report.profiles,
            events=args.rebuild_events,
        )
    services = ("intake",) if name == "intake" else SERVICES
    with running_stack(server, workdir, services) as stack:
        if name == "intake":
            return await intake.measure(stack, workdir, quick=args.quick, profiles=report.profiles)
        return await e2e.measure(stack, quick=args.quick, profiles=report.profiles)


def routing(*, quick: bool) -> list[Measurement]:
    """The router's engine over a grid of rule and rep counts (bench/router)."""
    sizes = Sizes((1, 10), (10, 50), 50) if quick else Sizes((10, 100, 1000), (50, 500, 5000), 200)
    return [
        Measurement(
            "routing",
            f"decisions/s with {r.rules:,} rules and {r.reps:,} reps",
            r.per_second,
            "decisions/CPU-s",
            notes="engine only: match, judge candidates, move counters, explain",
        )
        for r in run_routing(sizes)
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    args = parse(argv)
    external = os.environ.get("CONVEYOR_BENCH_POSTGRES_URL")
    if external:
        report = asyncio.run(run(args, ExternalPostgres(external)))
    else:
        with PostgresServer.start(durable=True) as server:
            report = asyncio.run(run(args, server))
    md, _ = report.write(args.out)
    print(md.read_text())


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the servers it started are stopped on the way out
        print("interrupted: no report written", file=sys.stderr)
        sys.exit(130)
