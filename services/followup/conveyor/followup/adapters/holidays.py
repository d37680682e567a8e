"""Public holidays by country and subdivision, from the `holidays` library, plus the days
the settings add for every account."""

from __future__ import annotations

import logging
from collections.abc import Container
from datetime import date
from functools import lru_cache

import holidays as public_holidays

from conveyor.followup.domain.calendar import Place

log = logging.getLogger(__name__)


class PublicHolidays:
    """The public holidays of the account's country (and subdivision), and the fixed days."""

    def __init__(self, fixed: frozenset[date] = frozenset()) -> None:
        self.fixed = fixed

    def holidays(self, place: Place) -> Container[date]:
        """The fixed days and, where the country is known, its public holidays."""
        if place.country is None:
            return self.fixed
        return _Either(self.fixed, country_holidays(place.country, place.subdivision))


class _Either:
    """A day is a holiday if either container holds it."""

    def __init__(self, first: Container[date], second: Container[date]) -> None:
        self.first, self.second = first, second

    def __contains__(self, day: object) -> bool:
        return day in self.first or day in self.second


@lru_cache(maxsize=512)
def country_holidays(country: str, subdivision: str | None) -> Container[date]:
    """The country's holidays (and the subdivision's, if the library knows it); none for a
    country it does not know. Years are filled in as they are asked for."""
    try:
        return public_holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        if subdivision is None:
            log.warning("no public holidays are known for the country %r", country)
            return frozenset()
        log.warning("no public holidays are known for %r in %r", subdivision, country)
        return country_holidays(country, None)
