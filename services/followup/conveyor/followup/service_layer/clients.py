"""What followup reads from a won deal: who the client is and what the portfolio rules see."""

from __future__ import annotations

from conveyor.events.catalogue.router import DealWon
from conveyor.followup.domain.calendar import Place
from conveyor.followup.domain.handover import AccountTraits

COUNTRY_CODE, SUBDIVISION_CODE = 3, 10


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


def place_of(deal: DealWon, default_country: str | None = None) -> Place:
    """Where the client is: the lead's ISO country code (else the default) and its
    subdivision, the part after the country in an ISO 3166-2 code (``DE-BY``: ``BY``)."""
    location = deal.lead.location
    country = _code(location.country) or _code(default_country)
    if country is None:
        return Place()
    region = (location.region or "").strip().upper()
    subdivision = _code(region.removeprefix(f"{country}-"), longest=SUBDIVISION_CODE)
    return Place(country, subdivision)


def _code(text: str | None, *, longest: int = COUNTRY_CODE) -> str | None:
    """The text upper-cased if it looks like an ISO 3166 code, else None."""
    code = (text or "").strip().upper()
    return code if 0 < len(code) <= longest and code.isalnum() and code.isascii() else None
