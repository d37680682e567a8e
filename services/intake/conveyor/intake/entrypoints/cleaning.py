"""A lead's contact and location as sent, checked and put in canonical form."""

from __future__ import annotations

from typing import Any

from conveyor.intake.adapters import normalise
from conveyor.intake.domain.lead import Contact, Interest, InvalidFields, Location
from conveyor.intake.entrypoints.schemas import ContactIn, LeadIn, LocationIn
from conveyor.intake.service_layer.access import Caller
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.idempotency import IdempotencyKey
from conveyor.intake.service_layer.rate_limits import Hit


def to_command(
    body: LeadIn,
    source: Caller,
    idempotency: IdempotencyKey | None = None,
    *,
    hit: Hit | None = None,
) -> ReceiveLead:
    """The ReceiveLead a source's request asks for (its channel unless the body names one);
    ``hit``: the request, to count against the source's rate limit with the lead."""
    interest = body.interest.model_dump()
    contact, location = cleaned(body.contact, body.location)
    return ReceiveLead(
        contact=contact,
        source=source.source_id or "",
        channel=body.channel or source.channel,
        location=location,
        interest=Interest(**{**interest, "product_lines": tuple(body.interest.product_lines)}),
        consent=body.consent,
        source_ref=body.source_ref,
        utm=body.utm,
        custom=body.custom,
        idempotency=idempotency,
        hit=hit,
    )


def cleaned(contact: ContactIn, location: LocationIn) -> tuple[Contact, Location]:
    """Canonical contact and location; InvalidFields naming every field that cannot be."""
    errors: list[tuple[str, str]] = []
    place = clean_location(location, errors)
    person = clean_contact(contact, place.country, errors)
    if errors:
        raise InvalidFields(errors)
    return Contact(**person), place


def clean_location(body: LocationIn, errors: list[tuple[str, str]]) -> Location:
    """The location with ISO codes for country and region (errors appended, never raised)."""
    country = _checked("location.country", body.country, normalise.country, errors)
    region = None
    if body.region is not None:
        checked = normalise.region(body.region, country)
        region = _keep("location.region", checked, errors)
    return Location(
        country=country,
        region=region,
        city=_text(body.city),
        postal_code=None if body.postal_code is None else normalise.postal_code(body.postal_code),
    )


def clean_contact(
    body: ContactIn, country: str | None, errors: list[tuple[str, str]]
) -> dict[str, Any]:
    """The contact's fields in canonical form (errors appended, never raised)."""
    phone = None
    if body.phone is not None:
        phone = _keep("contact.phone", normalise.phone(body.phone, country), errors)
    return {
        "name": normalise.text(body.name),
        "email": _checked("contact.email", body.email, normalise.email, errors),
        "phone": phone,
        "company": _text(body.company),
        "job_title": _text(body.job_title),
    }


def _checked(
    field: str,
    raw: str | None,
    check: normalise.Check,
    errors: list[tuple[str, str]],
) -> str | None:
    return None if raw is None else _keep(field, check(raw), errors)


def _keep(field: str, checked: normalise.Checked, errors: list[tuple[str, str]]) -> str | None:
    if checked.reason is not None:
        errors.append((field, checked.reason))
    return checked.value


def _text(raw: str | None) -> str | None:
    return None if raw is None else normalise.text(raw) or None
