"""The arithmetic behind the sales KPIs, and the folding of a lead's facts in whatever
order its events arrive."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from conveyor.events import new_envelope
from conveyor.events.catalogue.intake import LeadNurtured, LeadQualified
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.router.domain.kpis import (
    abc_classes,
    iso_week,
    months_between,
    percentile,
    week_days,
    working_days,
    xyz_class,
)
from conveyor.router.service_layer.kpi_facts import patches
from conveyor.router.service_layer.kpi_patch import merge
from conveyor.router.service_layer.kpi_story import line
from tests.integration.router.kpi_history import history


def test_percentiles_are_nearest_rank_and_none_without_values() -> None:
    values = [float(n) for n in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 90), percentile(values, 99)) == (50, 90, 99)
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_abc_splits_accounts_by_the_revenue_share_before_them() -> None:
    revenues = [Decimal(n) for n in (50, 30, 10, 5, 3, 2)]
    assert abc_classes(revenues) == ["A", "A", "B", "B", "C", "C"]
    assert abc_classes([]) == []


def test_xyz_grades_the_regularity_of_monthly_revenue() -> None:
    assert xyz_class([Decimal(100)] * 6) == "X"
    assert xyz_class([Decimal(v) for v in (100, 120, 80, 100)]) == "Y"
    assert xyz_class([Decimal(v) for v in (0, 0, 300)]) == "Z"
    assert xyz_class([Decimal(0), Decimal(0)]) == "Z"


def test_calendar_weeks_months_and_working_days() -> None:
    assert months_between(date(2026, 9, 15), date(2026, 12, 1)) == ["2026-09", "2026-10", "2026-11"]
    assert iso_week(date(2026, 11, 1)) == "2026-W44"
    assert iso_week(date(2027, 1, 1)) == "2026-W53"
    assert week_days("2026-W45") == (date(2026, 11, 2), date(2026, 11, 9))
    assert working_days(date(2026, 11, 1), date(2026, 12, 1)) == 21


def _fold(envelopes: Any) -> dict[tuple[str, tuple[Any, ...]], dict[str, Any]]:
    rows: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = {}
    for envelope in envelopes:
        for patch in patches(envelope.data, envelope.time):
            key = (patch.table, tuple(sorted(patch.key.items())))
            changed = merge(rows.get(key), patch)
            if changed is not None:
                rows[key] = {**rows.get(key, {}), **changed}
    return rows


def test_a_leads_facts_are_the_same_whichever_service_is_heard_first() -> None:
    week = history()
    lead = [
        e
        for e in week
        if getattr(e.data, "lead_id", None) == "L1" and not hasattr(e.data, "account_id")
    ]
    intake = [e for e in lead if e.source.endswith("intake")]
    router = [e for e in lead if e.source.endswith("router")]
    expected = _fold(lead)
    assert _fold(router + intake) == expected
    assert _fold(intake + router) == expected
    row = expected[("kpi_leads", (("lead_id", "L1"),))]
    assert (row["source"], row["verdict"], row["outcome"]) == ("web", "qualified", "won")


def test_the_newer_verdict_wins_in_either_order() -> None:
    nurtured, qualified = _verdicts()
    for order in itertools.permutations([nurtured, qualified]):
        row = _fold(order)[("kpi_leads", (("lead_id", "N1"),))]
        assert row["verdict"] == "qualified"


def _verdicts() -> tuple[Any, Any]:
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    lead = LeadSnapshot.model_validate(
        {"lead_id": "N1", "source": "web", "channel": "web_form", "contact": {"name": "N"}}
    )
    first = LeadNurtured(lead_id="N1", reasons=("later",))
    then = LeadQualified(lead_id="N1", lead=lead, score=90, temperature="warm")
    return (
        new_envelope(first, subject="N1", source="/conveyor/intake", now=start),
        new_envelope(then, subject="N1", source="/conveyor/intake", now=start + timedelta(days=30)),
    )


def test_a_story_line_has_no_dangling_colon_without_reasons() -> None:
    assert line("conveyor.lead.qualified", {"reasons": []}) == "qualified as a target lead"
    assert line("conveyor.lead.disqualified", {"reasons": ["spam", "no contact"]}) == (
        "rejected: spam, no contact"
    )
    assert line("conveyor.lead.assigned", {"rep_id": "ana"}) == "lead assigned"
