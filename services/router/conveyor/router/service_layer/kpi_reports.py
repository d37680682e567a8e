"""The answers of the KPI API, from the facts of a period and the scope of the question."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

from conveyor.router.domain.kpis import iso_week
from conveyor.router.service_layer.kpi_figures import (
    conversion,
    deals,
    lead_stages,
    sla,
    speed,
    verdict_counts,
    verdict_rows,
)
from conveyor.router.service_layer.kpi_scope import Facts, Row, Scope, arrived, within


def _offers(facts: Facts, scope: Scope) -> list[Row]:
    """The offers in the scope (visible, in the team, of the rep, of leads with the source
    and product line asked for)."""
    return [
        o
        for o in facts.offers
        if scope.offer(o) and scope.lead(facts.leads.get(o["lead_id"]) or _NO_LEAD)
    ]


_NO_LEAD: Row = {"source": None, "product_line": None}


def _cohort(facts: Facts, scope: Scope, offers: list[Row]) -> list[Row]:
    """The leads that arrived in the period, in the scope."""
    mine = {o["lead_id"] for o in offers}
    return [
        lead
        for lead in facts.leads.values()
        if within(arrived(lead), scope.start, scope.end)
        and scope.lead(lead)
        and (not scope.narrowed or lead["lead_id"] in mine)
    ]


def summary(facts: Facts, scope: Scope, stuck: int) -> dict[str, Any]:
    """Today's or the period's flow: leads by verdict and stage, speed, SLA, deals."""
    offers = _offers(facts, scope)
    leads = _cohort(facts, scope, offers)
    made = [o for o in offers if within(o["offered_at"], scope.start, scope.end)]
    return {
        "period": {"from": scope.start.isoformat(), "to": scope.end.isoformat()},
        "leads": verdict_counts(leads),
        "stages": lead_stages(leads),
        "speed": speed(leads),
        "sla": sla(made),
        "deals": _deals(offers, scope),
        "stuck": stuck,
    }


def _deals(offers: list[Row], scope: Scope) -> dict[str, Any]:
    won = [o for o in offers if within(o["won_at"], scope.start, scope.end)]
    lost = [o for o in offers if within(o["lost_at"], scope.start, scope.end)]
    return deals(won, lost)


def sources(facts: Facts, scope: Scope, by: str) -> list[dict[str, Any]]:
    """Leads per period, source, channel and campaign, with their verdicts."""
    leads = _cohort(facts, scope, _offers(facts, scope))
    groups: dict[tuple[str, ...], list[Row]] = defaultdict(list)
    for lead in leads:
        cut = (_bucket(arrived(lead) or "", by), lead["source"], lead["channel"], lead["campaign"])
        groups[tuple(c or "" for c in cut)].append(lead)
    names = ("period", "source", "channel", "campaign")
    return [
        dict(zip(names, cut, strict=True)) | verdict_counts(group)
        for cut, group in sorted(groups.items())
    ]


def _bucket(moment: str, by: str) -> str:
    day = datetime.fromisoformat(moment).date() if moment else date.min
    if by == "week":
        return iso_week(day)
    return day.isoformat()[:7] if by == "month" else day.isoformat()


def verdicts(facts: Facts, scope: Scope) -> list[dict[str, Any]]:
    """Verdict rates with their reasons."""
    return verdict_rows(_cohort(facts, scope, _offers(facts, scope)))


def converted(facts: Facts, scope: Scope, by: str) -> list[dict[str, Any]]:
    """Conversion per stage of the offers made in the period, per rep, team, source or
    product line."""
    made = [o for o in _offers(facts, scope) if within(o["offered_at"], scope.start, scope.end)]

    def key(offer: Row) -> str | None:
        if by in ("rep", "team"):
            value: str | None = offer["rep_id" if by == "rep" else "pool"]
            return value
        lead = facts.leads.get(offer["lead_id"]) or _NO_LEAD
        found: str | None = lead[by]
        return found

    return conversion(made, key)


def reps(facts: Facts, scope: Scope) -> list[dict[str, Any]]:
    """Each rep's offers, deals, win rate, revenue and average deal in the period."""
    rows = converted(facts, scope, "rep")
    for row in rows:
        rep = facts.reps.get(row["key"]) or {}
        row |= {"rep_id": row["key"], "name": rep.get("name"), "revenue": row["volume"]}
    return rows


def loss_reasons(facts: Facts, scope: Scope) -> list[dict[str, Any]]:
    """Why deals were lost in the period, most frequent first."""
    lost = [o for o in _offers(facts, scope) if within(o["lost_at"], scope.start, scope.end)]
    counts = Counter(o["reason"] or "" for o in lost)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"reason": reason, "count": count} for reason, count in ranked]


def stuck(leads: list[Row], offers: list[Row], scope: Scope) -> list[dict[str, Any]]:
    """Leads with no accepted owner for over a business day, still without one."""
    visible = [o for o in offers if scope.offer(o)]
    by_lead: dict[str, list[Row]] = defaultdict(list)
    for offer in visible:
        by_lead[offer["lead_id"]].append(offer)
    rows = []
    for lead in sorted(leads, key=lambda lead: lead["stuck_at"]):
        if not _still_stuck(lead) or (scope.narrowed and lead["lead_id"] not in by_lead):
            continue
        made = by_lead.get(lead["lead_id"], [])
        last = max(made, key=lambda o: o["offered_at"] or "", default=None)
        rows.append(
            {
                "lead_id": lead["lead_id"],
                "since": lead["stuck_at"],
                "arrived_at": arrived(lead),
                "rep_id": last["rep_id"] if last else None,
                "source": lead["source"],
            }
        )
    return rows


def _still_stuck(lead: Row) -> bool:
    accepted = lead["accepted_at"]
    return not lead["outcome"] and (accepted is None or accepted < lead["stuck_at"])
