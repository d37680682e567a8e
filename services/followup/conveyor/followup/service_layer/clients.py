"""What followup reads from a won deal: who the client is and what the portfolio rules see."""

from __future__ import annotations

from conveyor.events.catalogue.router import DealWon
from conveyor.followup.domain.handover import AccountTraits


def client_key(deal: DealWon) -> str:
    """The client's identity across deals: its company, else its email, else its lead."""
    contact = deal.lead.contact
    if contact.company and contact.company.strip():
        return f"company:{contact.company.strip().casefold()}"
    if contact.email:
        return f"email:{contact.email.strip().casefold()}"
    return f"lead:{deal.lead_id}"


def traits(deal: DealWon, *, client_farmer: str | None) -> AccountTraits:
    """Territory (country, region), segment and product lines of the deal's client."""
    lead = deal.lead
    places = {p.strip().casefold() for p in (lead.location.country, lead.location.region) if p}
    segment = lead.custom.get("segment") or lead.interest.company_size
    return AccountTraits(
        territories=frozenset(places),
        segment=segment.strip().casefold() if segment else None,
        product_lines=frozenset(p.strip().casefold() for p in lead.interest.product_lines),
        client_farmer=client_farmer,
    )


def client_name(deal: DealWon) -> str:
    """How the notes name the client: its company, else the contact's name."""
    contact = deal.lead.contact
    return contact.company or contact.name
