"""The sales department's figures for a scope: the lead funnel, speed to lead, SLA
attainment, deals and money, conversion cut by rep, team, source or product line.

Leads count in the period they arrived in; offers in the period they were made; deals in
the period they were won or lost."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from conveyor.router.domain.kpis import percentile, ratio
from conveyor.router.service_layer.kpi_scope import Row

STAGES = ("offered", "accepted", "contacted", "meeting_set", "won", "lost")
SPEEDS = {"offered": "offered_at", "accepted": "accepted_at", "contacted": "contacted_at"}
VERDICTS = ("qualified", "nurtured", "disqualified")


def lead_stages(leads: list[Row]) -> dict[str, int]:
    """How many of the leads reached each stage."""
    reached = SPEEDS | {"meeting_set": "meeting_at"}
    counts = {"received": len(leads)}
    counts |= {stage: sum(bool(lead[c]) for lead in leads) for stage, c in reached.items()}
    counts |= {o: sum(lead["outcome"] == o for lead in leads) for o in ("won", "lost")}
    return counts


def verdict_counts(leads: list[Row]) -> dict[str, int]:
    """How many leads the sieve let through, kept for later, or rejected."""
    counts = Counter(lead["verdict"] for lead in leads)
    return {"received": len(leads)} | {v: counts[v] for v in VERDICTS}


STEPS = {
    "received_to_offered": ("received_at", "offered_at"),
    "offered_to_accepted": ("offered_at", "accepted_at"),
    "accepted_to_contacted": ("accepted_at", "contacted_at"),
}


def speed(leads: list[Row]) -> dict[str, Any]:
    """Seconds from a lead's arrival at intake to its first offer, accept and contact, and
    (under ``steps``) from each stage to the next."""
    figures: dict[str, Any] = {
        stage: _waits(leads, "received_at", column) for stage, column in SPEEDS.items()
    }
    figures["steps"] = {step: _waits(leads, *columns) for step, columns in STEPS.items()}
    return figures


def _waits(leads: list[Row], start: str, end: str) -> dict[str, Any]:
    waits = [_seconds(lead[start], lead[end]) for lead in leads if lead[start] and lead[end]]
    return {"count": len(waits)} | {f"p{q}": percentile(waits, q) for q in (50, 90, 99)}


def _seconds(start: str, end: str) -> float:
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return round(delta.total_seconds(), 3)


def sla(offers: list[Row]) -> dict[str, Any]:
    """Offers accepted within their SLA, of those accepted or past their accept deadline."""
    settled = [o for o in offers if o["accepted_at"] or o["accept_breached_at"]]
    in_time = sum(
        bool(o["accepted_at"])
        and (not o["accept_breached_at"] or o["accepted_at"] <= o["accept_breached_at"])
        for o in settled
    )
    return {
        "offers": len(offers),
        "settled": len(settled),
        "accepted_in_time": in_time,
        "attainment": ratio(in_time, len(settled)),
    }


def deals(won: list[Row], lost: list[Row]) -> dict[str, Any]:
    """Deals won and lost, the win rate, and the money won (in the main currency)."""
    rate = ratio(len(won), len(won) + len(lost))
    return {"won": len(won), "lost": len(lost), "win_rate": rate} | money(won)


def money(won: list[Row]) -> dict[str, Any]:
    """Volume and average deal in the currency most deals were won in, and every
    currency's volume."""
    by_currency: dict[str, list[Decimal]] = defaultdict(list)
    for offer in won:
        by_currency[offer["currency"] or ""].append(Decimal(offer["amount"] or 0))
    if not by_currency:
        return {"currency": None, "volume": "0", "average_deal": None, "volumes": {}}
    main = max(by_currency, key=lambda c: (len(by_currency[c]), c))
    amounts = by_currency[main]
    volume = sum(amounts, Decimal(0))
    return {
        "currency": main,
        "volume": str(volume),
        "average_deal": str((volume / len(amounts)).quantize(Decimal("0.01"))),
        "volumes": {c: str(sum(a, Decimal(0))) for c, a in sorted(by_currency.items())},
    }


def conversion(offers: list[Row], key: Callable[[Row], str | None]) -> list[dict[str, Any]]:
    """Per key (rep, team, source...): offers reaching each stage, win rate and money."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for offer in offers:
        groups[key(offer) or ""].append(offer)
    return [_converted(name, group) for name, group in sorted(groups.items())]


def _converted(name: str, offers: list[Row]) -> dict[str, Any]:
    steps = {"accepted": "accepted_at", "contacted": "contacted_at", "meeting_set": "meeting_at"}
    row: dict[str, Any] = {"key": name, "offered": len(offers)}
    row |= {stage: sum(bool(o[c]) for o in offers) for stage, c in steps.items()}
    won = [o for o in offers if o["won_at"]]
    row |= {"won": len(won), "lost": sum(bool(o["lost_at"]) for o in offers)}
    row["win_rate"] = ratio(row["won"], row["won"] + row["lost"])
    figures = money(won)
    return row | {k: figures[k] for k in ("currency", "volume", "average_deal")}


def verdict_rows(leads: list[Row]) -> list[dict[str, Any]]:
    """Each verdict's count and rate (reason None), then each of its reasons' counts."""
    total = len(leads)
    rows: list[dict[str, Any]] = []
    for verdict in VERDICTS:
        these = [lead for lead in leads if lead["verdict"] == verdict]
        rate = ratio(len(these), total)
        rows.append({"verdict": verdict, "reason": None, "count": len(these), "rate": rate})
        reasons = Counter(r for lead in these for r in _reasons(lead))
        rows += [
            {"verdict": verdict, "reason": r, "count": n, "rate": ratio(n, len(these))}
            for r, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        ]
    return rows


def _reasons(lead: Row) -> list[str]:
    return [reason for reason in (lead["verdict_reason"] or "").split("\n") if reason]
