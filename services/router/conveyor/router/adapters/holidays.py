"""Public holidays per country and subdivision, from the ``holidays`` library."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import holidays


def holiday_checker(country: str | None, subdivision: str | None = None) -> Callable[[date], bool]:
    """A check of whether a date is a public holiday there (no country: never a holiday).

    Raises ValueError naming the country or subdivision when the library does not know it.
    """
    if country is None:
        if subdivision is not None:
            raise ValueError(f"subdivision {subdivision!r} needs a country")
        return _never
    code = country.upper()
    return PublicHolidays(code, _subdivision(code, subdivision))


@dataclass(frozen=True)
class PublicHolidays:
    """The public holidays of a country (and subdivision); equal when the places are equal."""

    country: str
    subdivision: str | None = None

    def __call__(self, day: date) -> bool:
        """Whether the date is a public holiday there."""
        return day in _holidays_of(self.country, self.subdivision, day.year)


def _never(day: date) -> bool:
    return False


def _subdivision(country: str, subdivision: str | None) -> str | None:
    """The library's own spelling of the subdivision, checking the country on the way."""
    try:
        known = holidays.country_holidays(country).subdivisions
    except NotImplementedError:
        raise ValueError(f"unknown country {country!r} (an ISO 3166-1 alpha-2 code)") from None
    if subdivision is None:
        return None
    spelling = {name.upper(): name for name in known}.get(subdivision.upper())
    if spelling is None:
        raise ValueError(f"unknown subdivision {subdivision!r} of {country}")
    return spelling


@lru_cache(maxsize=512)
def _holidays_of(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of one year (observed days included), read once."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))
