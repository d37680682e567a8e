"""The router benchmark's harness runs and every lead it routes finds a rep."""

from bench.router.__main__ import QUICK, run, table


def test_the_quick_benchmark_measures_every_cell_of_its_grid() -> None:
    results = run(QUICK)
    assert [(r.rules, r.reps) for r in results] == [(1, 10), (1, 50), (10, 10), (10, 50)]
    assert all(r.decisions == QUICK.decisions and r.per_second > 0 for r in results)
    assert table(results).count("\n") == len(results) + 1
