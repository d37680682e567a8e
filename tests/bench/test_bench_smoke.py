"""The benchmark command, at tiny sizes, so it cannot rot (speed is not asserted here)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import parse

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


def test_the_quick_benchmark_writes_a_well_formed_report(
    postgres_server: Any, tmp_path: Path
) -> None:
    env = {**os.environ, "CONVEYOR_BENCH_POSTGRES_URL": postgres_server.url()}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert {"cores", "cpu", "memory_gib", "date"} <= set(report["machine"])
    assert report["settings"]["checkpoint_before_each_scenario"] is True  # the suite's superuser
    scenarios = {m["scenario"] for m in report["measurements"]}
    assert scenarios == {
        "event store",
        "rebuild",
        "routing",
        "intake",
        "end to end",
        "peak",
        "memory",
    }
    for measurement in report["measurements"]:
        assert measurement["value"] > 0, measurement
        assert measurement["unit"]
        assert isinstance(measurement["met"], bool) == bool(measurement["target"]), measurement
    assert sum(m["met"] is not None for m in report["measurements"]) >= 10
    [warm] = [m for m in report["measurements"] if m["name"].startswith("warm-up")]
    assert ", 0 not delivered" in warm["notes"], warm
    [cpu] = [m for m in report["measurements"] if m["name"].startswith("CPU per delivered lead")]
    parts = {part.rsplit(" ", 1)[0] for part in cpu["notes"].split(" (ms")[0].split(", ")}
    assert parts == {"intake", "router", "followup", "rep-app stub", "Kafka", "load generator"}
    markdown = (tmp_path / "report.md").read_text()
    assert markdown.startswith("# Conveyor benchmark report")
    figures = markdown.split("## Figures")[1].split("\n## ")[0]
    assert figures.count("\n| ") == len(report["measurements"]) + 2
    missed = [m for m in report["measurements"] if m["met"] is False]
    listed = markdown.split("## Targets missed")[1].split("\n## ")[0] if missed else ""
    assert listed.count("\n- **") == len(missed)
    profiled = sorted(p["process"].split(",")[0] for p in report["profiles"])
    assert profiled == [
        "event store",  # our appends, in the benchmark's own process
        "followup rebuild",
        "intake",
        "intake",
        "intake rebuild",
        "router",
        "router rebuild",
    ]
    for profile in report["profiles"]:
        assert profile["error"] == "" and profile["samples"] > 0, profile
        assert abs(sum(profile["areas"].values()) - 1) < 1e-6
    assert markdown.count("\n### ") == len(profiled)


def test_a_quick_run_writes_its_report_apart_from_the_full_runs() -> None:
    assert parse([]).out == Path("bench/results")
    assert parse(["--quick"]).out == Path("bench/results/quick")
    assert parse(["--quick", "--out", "elsewhere"]).out == Path("elsewhere")
