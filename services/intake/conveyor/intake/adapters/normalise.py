"""Contact and location details in one canonical form, by the libraries made for each.

Every function takes any string and never raises: it returns the canonical value, or a
reason the text cannot be one. Normalising a canonical value gives it back unchanged.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email


@dataclass(frozen=True)
class Checked:
    """The canonical value of a text, or why there is none."""

    value: str | None = None
    reason: str | None = None


_SUBDIVISIONS: Any = pycountry.subdivisions
Check = Callable[[str], "Checked"]
"""A one-argument check: text in, canonical value or reason out."""


def text(raw: str) -> str:
    """Unicode NFC, control characters dropped, whitespace runs as one space, trimmed."""
    # a printable text has no control character or surrogate: only others are looked at
    visible = raw if raw.isprintable() else "".join(ch for ch in raw if not _is_dropped(ch))
    for _ in range(3):
        cleaned = unicodedata.normalize("NFC", " ".join(visible.split()))
        if cleaned == visible:
            break
        visible = cleaned
    return visible


def email(raw: str) -> Checked:
    """The address with its domain lower-cased and IDNA-checked (syntax only: no DNS)."""
    try:
        checked = validate_email(text(raw), check_deliverability=False)
    except EmailNotValidError as exc:
        return Checked(reason=str(exc))
    except Exception as exc:
        return Checked(reason=f"not an e-mail address ({type(exc).__name__})")
    return Checked(value=checked.normalized)


def phone(raw: str, country: str | None) -> Checked:
    """The number in E.164 (``+4420...``); a local number is read in the lead's country."""
    try:
        number = phonenumbers.parse(text(raw), country)
    except phonenumbers.NumberParseException as exc:
        return Checked(reason=_phone_reason(exc, country))
    except Exception as exc:
        return Checked(reason=f"not a phone number ({type(exc).__name__})")
    if not phonenumbers.is_valid_number(number):
        return Checked(reason="not a valid phone number")
    return Checked(value=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def country(raw: str) -> Checked:
    """The ISO 3166-1 alpha-2 code of a country given by code or name."""
    try:
        found = pycountry.countries.lookup(text(raw))
    except LookupError:
        return Checked(reason="not an ISO 3166 country code or name")
    return Checked(value=str(found.alpha_2))


def region(raw: str, country_code: str | None) -> Checked:
    """The ISO 3166-2 code (``GB-LND``) of a subdivision given by code or name."""
    wanted = text(raw).casefold()
    if country_code is None:
        found = _SUBDIVISIONS.get(code=wanted.upper())
        return _region(found, "give the country, or the region's full ISO 3166-2 code")
    for sub in _SUBDIVISIONS.get(country_code=country_code) or ():
        names = {sub.code.casefold(), sub.code.split("-", 1)[1].casefold(), sub.name.casefold()}
        if wanted in names:
            return Checked(value=str(sub.code))
    return Checked(reason=f"not a subdivision of {country_code} (ISO 3166-2 code or name)")


def postal_code(raw: str) -> str:
    """Trimmed and upper-cased, inner spaces kept single."""
    return text(raw).upper()


def _region(found: object, reason: str) -> Checked:
    code = getattr(found, "code", None)
    return Checked(value=str(code)) if code else Checked(reason=reason)


def _phone_reason(exc: phonenumbers.NumberParseException, country: str | None) -> str:
    if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
        return "a local number needs the lead's country, or write it with +country code"
    return "not a phone number"


def _is_dropped(ch: str) -> bool:
    """Control characters other than whitespace, and lone surrogates."""
    return unicodedata.category(ch) in ("Cc", "Cs") and not ch.isspace()
