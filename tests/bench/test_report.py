"""The benchmark report: every target missed is listed, with where its limits are explained."""

from pathlib import Path

from bench.report import LIMITS, LIMITS_DOC, Measurement, Report

ROOT = Path(__file__).resolve().parents[2]


def _limits_headings() -> list[str]:
    text = (ROOT / LIMITS_DOC).read_text()
    section = text.split("\n## What limits each target\n", 1)[1].split("\n## ", 1)[0]
    return [line[4:] for line in section.splitlines() if line.startswith("### ")]


def test_every_scenario_with_targets_has_its_limits_explained_in_the_readme() -> None:
    assert set(LIMITS.values()) <= set(_limits_headings())


def test_the_report_lists_the_targets_missed_and_where_each_is_explained() -> None:
    report = Report({"cores": 2}, {"quick": True})
    report.add(Measurement("rebuild", "router read models", 60_000, "events/s", met=True))
    report.add(
        Measurement(
            "rebuild", "followup read models", 27_000, "events/s", target="≥ 50,000", met=False
        )
    )
    report.add(Measurement("routing", "decisions/s", 500, "decisions/CPU-s"))
    report.add(Measurement("memory", "router peak RSS", 400, "MiB", target="< 300 MB", met=False))

    markdown = report.markdown()

    missed = markdown.split("\n## Targets missed\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(missed) == 2
    assert missed[0].startswith(
        "- **rebuild / followup read models**: 27,000.0 events/s, target ≥ 50,000."
    )
    assert missed[0].endswith(f'{LIMITS_DOC}, "What limits each target": "Rebuild"')
    assert missed[1].startswith("- **memory / router peak RSS**: 400.0 MiB, target < 300 MB.")
    assert missed[1].endswith('"Memory"')


def test_a_report_with_every_target_met_has_no_such_section() -> None:
    report = Report({}, {})
    report.add(
        Measurement(
            "rebuild", "router read models", 60_000, "events/s", target="≥ 50,000", met=True
        )
    )

    assert "Targets missed" not in report.markdown()
