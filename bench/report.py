"""Benchmark results and their Markdown and JSON reports."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.sampling import Profile

# The section of bench/README.md ("What limits each target") that says, per scenario, what
# limits its targets and what would fix them: the report quotes it for each target missed.
LIMITS_DOC = "bench/README.md"
LIMITS_HEADING = "What limits each target"
LIMITS = {
    "event store": "Appends",
    "rebuild": "Rebuild",
    "intake": "Intake",
    "end to end": "End to end",
    "memory": "Memory",
}


@dataclass
class Measurement:
    """One figure: what was measured, its value and unit, and its baseline if any."""

    scenario: str
    name: str
    value: float
    unit: str
    baseline_name: str | None = None
    baseline_value: float | None = None
    target: str | None = None
    notes: str = ""
    met: bool | None = None  # whether the target is met (None: no target)

    @property
    def ratio(self) -> float | None:
        """Ours over the baseline."""
        if self.baseline_value in (None, 0):
            return None
        return self.value / float(self.baseline_value)


@dataclass
class Report:
    """Everything one run measured, and where."""

    machine: dict[str, Any]
    settings: dict[str, Any]
    measurements: list[Measurement] = field(default_factory=list)
    profiles: list[Profile] = field(default_factory=list)

    def add(self, measurement: Measurement) -> None:
        """Record a figure."""
        self.measurements.append(measurement)

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write report.md and report.json into directory."""
        directory.mkdir(parents=True, exist_ok=True)
        data = {
            "machine": self.machine,
            "settings": self.settings,
            "measurements": [{**asdict(m), "ratio": m.ratio} for m in self.measurements],
            "profiles": [p.as_dict() for p in self.profiles],
        }
        json_path, md_path = directory / "report.json", directory / "report.md"
        json_path.write_text(json.dumps(data, indent=2) + "\n")
        md_path.write_text(self.markdown())
        return md_path, json_path

    def markdown(self) -> str:
        """The report as a Markdown page."""
        lines = ["# Conveyor benchmark report", "", "## Machine", ""]
        lines += [f"- {key}: {value}" for key, value in self.machine.items()]
        lines += ["", "## Settings", ""]
        lines += [f"- {key}: {value}" for key, value in self.settings.items()]
        lines += [
            "",
            "## Figures",
            "",
            "| scenario | measurement | value | baseline | baseline value | ratio | target | met |",
            "| --- | --- | ---: | --- | ---: | ---: | --- | --- |",
        ]
        lines += [_row(m) for m in self.measurements]
        missed = [m for m in self.measurements if m.met is False]
        if missed:
            lines += ["", "## Targets missed", "", *map(_missed, missed)]
            for section in dict.fromkeys(LIMITS[m.scenario] for m in missed):
                source = f'{LIMITS_DOC}, "{LIMITS_HEADING}"'
                lines += ["", f"**{section}: what limits it and what would fix it** ({source})"]
                quoted = limits_text(section) or "(not written down yet)"
                lines += [""] + [f"> {line}".rstrip() for line in quoted.splitlines()]
        notes = [f"- **{m.scenario} / {m.name}**: {m.notes}" for m in self.measurements if m.notes]
        lines += ["", "## Notes", "", *notes] if notes else []
        if self.profiles:
            lines += ["", "## Where the time goes (py-spy, CPU samples of the running processes)"]
            lines += [""] + [p.markdown() for p in self.profiles]
        return "\n".join(lines).rstrip("\n") + "\n"


def _row(m: Measurement) -> str:
    base = "" if m.baseline_value is None else f"{m.baseline_value:,.1f} {m.unit}"
    ratio = "" if m.ratio is None else f"{m.ratio:.2f}"
    return (
        f"| {m.scenario} | {m.name} | {m.value:,.1f} {m.unit} | {m.baseline_name or ''} "
        f"| {base} | {ratio} | {m.target or ''} | {_met(m.met)} |"
    )


def _missed(m: Measurement) -> str:
    """A target missed, and where what limits it is explained."""
    return (
        f"- **{m.scenario} / {m.name}**: {m.value:,.1f} {m.unit}, target {m.target}. "
        f'Where the time goes: the profiles below; what limits it: "{LIMITS[m.scenario]}" below'
    )


def limits_text(section: str) -> str | None:
    """What bench/README.md says limits a scenario's targets (its subsection of "What limits
    each target"), None if it says nothing."""
    readme = (Path(__file__).resolve().parent / "README.md").read_text()
    _, found, rest = readme.partition(f"\n## {LIMITS_HEADING}\n")
    _, found_section, text = rest.split("\n## ", 1)[0].partition(f"\n### {section}\n")
    if not (found and found_section):
        return None
    return text.split("\n### ", 1)[0].strip() or None


def _met(met: bool | None) -> str:
    return "" if met is None else "yes" if met else "**no**"
