"""``python -m bench.router [--quick]``: routing decisions per second of the router's
engine (rules matched, candidates judged, counters moved, the explanation built) for a
grid of rule and rep counts; prints a Markdown table.

Time is the process's CPU time, so a machine shared with other work gives comparable
figures; the wall-clock rate on an idle core is the same or better."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench.router.workload import lead, moment, policy, team
from conveyor.router.domain.engine import decide, record


@dataclass(frozen=True)
class Sizes:
    """The grid measured: rule counts x rep counts, and decisions per cell."""

    rules: tuple[int, ...]
    reps: tuple[int, ...]
    decisions: int


FULL = Sizes(rules=(1, 10, 100), reps=(10, 100, 500), decisions=1000)
QUICK = Sizes(rules=(1, 10), reps=(10, 50), decisions=100)


@dataclass(frozen=True)
class Result:
    """Decisions per second for one size."""

    rules: int
    reps: int
    decisions: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Decisions per second."""
        return self.decisions / self.seconds


def measure(rules: int, reps: int, decisions: int) -> Result:
    """Route ``decisions`` leads through the engine and time it."""
    state, rule_set = team(reps), policy(rules)
    started = time.process_time()
    for n in range(decisions):
        item = lead(n)
        decision = decide(item, state, moment(n), policy=rule_set)
        decision.trace()
        record(state, item, decision, moment(n))
        assert decision.rep_id is not None
    return Result(rules, reps, decisions, time.process_time() - started)


def table(results: Sequence[Result]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| rules | reps | decisions | decisions per CPU-second | CPU ms per decision |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ms = 1000 * r.seconds / r.decisions
        lines.append(f"| {r.rules} | {r.reps} | {r.decisions} | {r.per_second:,.0f} | {ms:.2f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.router", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness")
    sizes = QUICK if parser.parse_args(argv).quick else FULL
    print(table(run(sizes)))


def run(sizes: Sizes) -> list[Result]:
    """Measure every cell of the grid."""
    return [measure(r, n, sizes.decisions) for r in sizes.rules for n in sizes.reps]


if __name__ == "__main__":
    main()
