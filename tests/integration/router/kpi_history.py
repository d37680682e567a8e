"""A scripted week of a sales department whose KPIs are known by construction.

Week of Mon 2 Nov 2026. Ten leads arrive on Monday from 09:10, ten minutes apart: L1-L6
and L10 from the website (L1-L3 in campaign "spring"), L7-L9 from the call centre.
Verdicts: L1-L7 qualified, L8-L9 nurtured ("budget next year"), L10 rejected ("spam",
"no contact"). Offers: L1 and L3 to ana, L2, L5 and L6 to ben (team north), L4 to cara
(team south), each one minute after arrival; L7 found no rep. L1-L5 are accepted five
minutes after arrival, L1-L4 contacted an hour after. On Tuesday L1 (ana, 1,000 EUR), L2
(ben, 3,000 EUR) and L5 (ben, 100 EUR) are won, L3 (ana) and L4 (cara) lost on price.
L6 passes its accept deadline and is reported stuck. The three won leads become accounts
A1, A2, A5 of farmer fay; A1 orders 500 EUR again on Thursday, A2 goes dormant on
Tuesday and orders 200 EUR on Friday (reactivated). Fay's tasks: due Wed (done), Thu
(overdue), Fri (overdue, then done)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from conveyor.events import Envelope, Event, new_envelope
from conveyor.events.catalogue import followup, intake, router
from conveyor.events.catalogue.delivery import LeadContacted
from conveyor.events.catalogue.values import LeadSnapshot

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OWNERS = {"L1": "ana", "L2": "ben", "L3": "ana", "L4": "cara", "L5": "ben", "L6": "ben"}
POOLS = {"ana": "north", "ben": "north", "cara": "south"}
WON = {"L1": Decimal(1000), "L2": Decimal(3000), "L5": Decimal(100)}
ACCOUNTS = {"L1": "A1", "L2": "A2", "L5": "A5"}


def arrival(n: int) -> datetime:
    """When lead Ln arrived."""
    return MONDAY + timedelta(minutes=10 * n)


def _at(event: Event, subject: str, source: str, now: datetime) -> Envelope:
    return new_envelope(event, subject=subject, source=f"/conveyor/{source}", now=now)


def _lead(n: int) -> LeadSnapshot:
    source, channel = ("web", "web_form") if n <= 6 or n == 10 else ("call-centre", "phone")
    utm = {"utm_campaign": "spring"} if n <= 3 else {}
    return LeadSnapshot.model_validate(
        {
            "lead_id": f"L{n}",
            "source": source,
            "channel": channel,
            "contact": {"name": f"Lead {n}"},
            "interest": {"product_lines": ["crm" if n % 2 else "erp"]},
            "utm": utm,
        }
    )


def intake_events() -> list[Envelope]:
    """Arrivals and verdicts."""
    found = []
    for n in range(1, 11):
        lead, at = _lead(n), arrival(n)
        found.append(
            _at(
                intake.LeadReceived(lead_id=lead.lead_id, lead=lead, received_at=at),
                lead.lead_id,
                "intake",
                at,
            )
        )
        found.append(_at(_verdict(n, lead), lead.lead_id, "intake", at + timedelta(seconds=1)))
    return found


def _verdict(n: int, lead: LeadSnapshot) -> Event:
    if n <= 7:
        return intake.LeadQualified(lead_id=lead.lead_id, lead=lead, score=80, temperature="hot")
    if n <= 9:
        return intake.LeadNurtured(lead_id=lead.lead_id, reasons=("budget next year",))
    return intake.LeadDisqualified(lead_id=lead.lead_id, reasons=("spam", "no contact"))


def router_events() -> list[Envelope]:
    """Offers, accepts, contacts, deals, the breach and the stuck alert."""
    found = []
    for lead_id, rep in OWNERS.items():
        n = int(lead_id[1:])
        found += _offer(n, rep)
    seven = _lead(7)
    found.append(
        _at(
            router.LeadUnroutable(lead_id="L7", reason="no rep", lead=seven),
            "L7",
            "router",
            arrival(7) + timedelta(minutes=1),
        )
    )
    tuesday = MONDAY + timedelta(days=1)
    for lead_id, amount in WON.items():
        won = router.DealWon(
            lead_id=lead_id,
            assignment_id=f"as-{lead_id}",
            rep_id=OWNERS[lead_id],
            amount=amount,
            currency="EUR",
            won_at=tuesday,
            lead=_lead(int(lead_id[1:])),
        )
        found.append(_at(won, lead_id, "router", tuesday))
    for lead_id in ("L3", "L4"):
        lost = router.DealLost(
            lead_id=lead_id, assignment_id=f"as-{lead_id}", rep_id=OWNERS[lead_id], reason="price"
        )
        found.append(_at(lost, lead_id, "router", tuesday))
    breach = router.LeadSlaBreached(
        lead_id="L6", assignment_id="as-L6", rep_id="ben", due=arrival(6) + timedelta(hours=1)
    )
    found.append(_at(breach, "L6", "router", arrival(6) + timedelta(hours=1)))
    stuck = router.LeadEscalated(
        lead_id="L6", to="operations", reason="no accepted owner for a business day"
    )
    found.append(_at(stuck, "L6", "router", tuesday + timedelta(hours=1)))
    return found


def _offer(n: int, rep: str) -> list[Envelope]:
    lead, lead_id = _lead(n), f"L{n}"
    offered = arrival(n) + timedelta(minutes=1)
    assigned = router.LeadAssigned(
        lead_id=lead_id,
        assignment_id=f"as-{lead_id}",
        rep_id=rep,
        pool=POOLS[rep],
        rule=POOLS[rep],
        policy_version=1,
        explanation=f"round robin in {POOLS[rep]}",
        rotation=n,
        lead=lead,
        decided_at=offered,
    )
    found = [_at(assigned, lead_id, "router", offered)]
    ids = {"lead_id": lead_id, "assignment_id": f"as-{lead_id}", "rep_id": rep}
    if n <= 5:
        found.append(
            _at(router.LeadAccepted(**ids), lead_id, "router", arrival(n) + timedelta(minutes=5))
        )
    if n <= 4:
        contacted = arrival(n) + timedelta(hours=1)
        found.append(
            _at(LeadContacted(**ids, contacted_at=contacted), lead_id, "router", contacted)
        )
    return found


def followup_events() -> list[Envelope]:
    """Handovers, repeat orders, the dormant account and fay's tasks."""
    tuesday = MONDAY + timedelta(days=1, hours=2)
    found = []
    for lead_id, account in ACCOUNTS.items():
        handed = followup.AccountHandedOver(
            account_id=account,
            lead_id=lead_id,
            hunter_id=OWNERS[lead_id],
            farmer_id="fay",
            reason="portfolio",
            company=f"Company {account}",
        )
        found.append(_at(handed, account, "followup", tuesday))
    dormant = followup.AccountWentDormant(account_id="A2", since=tuesday)
    found.append(_at(dormant, "A2", "followup", tuesday + timedelta(hours=1)))
    for account, amount, day in (("A1", 500, 3), ("A2", 200, 4)):
        at = MONDAY + timedelta(days=day)
        order = followup.RepeatOrderRecorded(
            account_id=account,
            amount=Decimal(amount),
            currency="EUR",
            ordered_at=at,
            farmer_id="fay",
            order_ref=f"o-{account}",
        )
        found.append(_at(order, account, "followup", at))
    for task, due in (("T1", 2), ("T2", 3), ("T3", 4)):
        scheduled = followup.FollowUpScheduled(
            task_id=task,
            account_id="A1",
            farmer_id="fay",
            kind="call",
            due_on=(MONDAY + timedelta(days=due)).date(),
        )
        found.append(_at(scheduled, "A1", "followup", tuesday))
    done_t1 = followup.FollowUpCompleted(task_id="T1", account_id="A1", outcome="talked")
    found.append(_at(done_t1, "A1", "followup", MONDAY + timedelta(days=2, hours=3)))
    for task, day in (("T2", 4), ("T3", 5)):
        late = followup.FollowUpOverdue(task_id=task, account_id="A1", farmer_id="fay")
        found.append(_at(late, "A1", "followup", MONDAY + timedelta(days=day)))
    done_t3 = followup.FollowUpCompleted(task_id="T3", account_id="A1", outcome="talked")
    found.append(_at(done_t3, "A1", "followup", MONDAY + timedelta(days=5, hours=2)))
    return found


def history() -> list[Envelope]:
    """The whole week, in the order the events happened."""
    return sorted(intake_events() + router_events() + followup_events(), key=lambda e: e.time)


PERIOD = {"from": date(2026, 11, 2).isoformat(), "to": date(2026, 11, 9).isoformat()}
