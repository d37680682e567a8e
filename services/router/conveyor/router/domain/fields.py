"""Reading any field of a lead by a dotted path, and the region a phone number dials from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Country calling codes, longest first at lookup; enough for the markets routed today and
# easy to extend (a prefix that is not listed simply derives no region).
CALLING_CODES: Mapping[str, str] = {
    "1": "US",
    "7": "RU",
    "20": "EG",
    "27": "ZA",
    "30": "GR",
    "31": "NL",
    "32": "BE",
    "33": "FR",
    "34": "ES",
    "36": "HU",
    "39": "IT",
    "40": "RO",
    "41": "CH",
    "43": "AT",
    "44": "GB",
    "45": "DK",
    "46": "SE",
    "47": "NO",
    "48": "PL",
    "49": "DE",
    "351": "PT",
    "352": "LU",
    "353": "IE",
    "358": "FI",
    "420": "CZ",
    "421": "SK",
    "52": "MX",
    "55": "BR",
    "61": "AU",
    "81": "JP",
    "86": "CN",
    "90": "TR",
    "91": "IN",
    "971": "AE",
}


def field_value(lead: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path ("location.postal_code", "custom.segment"), or None."""
    value: Any = lead
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def values_of(value: Any) -> list[str]:
    """A field's value as a list of strings (lists stay lists, None is empty)."""
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def phone_country(phone: str | None) -> str | None:
    """The country a phone number in international form (+49..., 0049...) dials from."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        return None
    number = digits[1:]
    for size in (3, 2, 1):
        if (country := CALLING_CODES.get(number[:size])) is not None:
            return country
    return None
