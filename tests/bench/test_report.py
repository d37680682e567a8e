"""The benchmark report: every target missed is listed, with what limits it as bench/README.md
explains it."""

from bench.report import LIMITS, Measurement, Report, limits_text


def test_every_scenario_with_targets_has_its_limits_explained_in_the_readme() -> None:
    for section in LIMITS.values():
        text = limits_text(section)
        assert text is not None and "would fix" in " ".join(text.split()), section
    assert limits_text("No such scenario") is None


def test_the_report_lists_the_targets_missed_and_quotes_what_limits_each() -> None:
    report = Report({"cores": 2}, {"quick": True})
    report.add(Measurement("rebuild", "router read models", 60_000, "events/s", met=True))
    report.add(
        Measurement(
            "rebuild", "followup read models", 27_000, "events/s", target="≥ 50,000", met=False
        )
    )
    report.add(
        Measurement(
            "rebuild", "intake read models", 40_000, "events/s", target="≥ 50,000", met=False
        )
    )
    report.add(Measurement("routing", "decisions/s", 500, "decisions/CPU-s"))
    report.add(Measurement("memory", "router peak RSS", 400, "MiB", target="< 300 MB", met=False))

    markdown = report.markdown()

    section = markdown.split("\n## Targets missed\n\n", 1)[1].split("\n## ", 1)[0]
    listed = [line for line in section.splitlines() if line.startswith("- **")]
    assert [line.split("**")[1] for line in listed] == [
        "rebuild / followup read models",
        "rebuild / intake read models",
        "memory / router peak RSS",
    ]
    assert listed[0].startswith(
        "- **rebuild / followup read models**: 27,000.0 events/s, target ≥ 50,000."
    )
    assert listed[0].endswith('what limits it: "Rebuild" below')
    assert listed[2].endswith('what limits it: "Memory" below')
    # each scenario's explanation once, quoted from the README, in the order first missed
    quotes = [line for line in section.splitlines() if line.startswith("**")]
    assert [q.split(":")[0] for q in quotes] == ["**Rebuild", "**Memory"]
    rebuild_text = limits_text("Rebuild")
    assert rebuild_text is not None
    assert "> " + rebuild_text.splitlines()[0] in section


def test_a_report_with_every_target_met_has_no_such_section() -> None:
    report = Report({}, {})
    report.add(
        Measurement(
            "rebuild", "router read models", 60_000, "events/s", target="≥ 50,000", met=True
        )
    )

    assert "Targets missed" not in report.markdown()
