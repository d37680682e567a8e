"""Public holidays by place: the country's and its subdivision's from the `holidays`
library, the fixed days of the settings everywhere, and where a won deal's client is."""

from datetime import UTC, date, datetime
from decimal import Decimal

from conveyor.events.catalogue.router import DealWon
from conveyor.events.catalogue.values import Contact, LeadSnapshot, Location
from conveyor.followup.adapters.holidays import PublicHolidays
from conveyor.followup.domain.calendar import Place, add_business_days
from conveyor.followup.service_layer.clients import place_of

CORPUS_CHRISTI = date(2025, 6, 19)  # Bavaria, not Berlin
COMPANY_DAY = date(2025, 6, 16)
CALENDARS = PublicHolidays(frozenset({COMPANY_DAY}))


def test_a_subdivision_holiday_counts_only_in_that_subdivision() -> None:
    assert CORPUS_CHRISTI in CALENDARS.holidays(Place("DE", "BY"))
    assert CORPUS_CHRISTI not in CALENDARS.holidays(Place("DE", "BE"))


def test_business_days_skip_the_places_holidays_and_the_fixed_days() -> None:
    bavaria = CALENDARS.holidays(Place("DE", "BY"))
    assert add_business_days(date(2025, 6, 13), 1, bavaria) == date(2025, 6, 17)
    assert add_business_days(date(2025, 6, 18), 1, bavaria) == date(2025, 6, 20)


def test_holidays_of_any_year_are_known() -> None:
    assert date(2031, 12, 25) in CALENDARS.holidays(Place("DE", None))
    assert date(2026, 1, 12) in CALENDARS.holidays(Place("JP", None))  # Coming of Age Day


def test_an_unknown_subdivision_keeps_the_countrys_holidays() -> None:
    holidays = CALENDARS.holidays(Place("DE", "ZZ"))
    assert date(2025, 12, 25) in holidays and CORPUS_CHRISTI not in holidays


def test_an_unknown_or_missing_country_has_only_the_fixed_days() -> None:
    for place in (Place("XX", None), Place()):
        holidays = CALENDARS.holidays(place)
        assert COMPANY_DAY in holidays and date(2025, 12, 25) not in holidays


def won(location: Location) -> DealWon:
    lead = LeadSnapshot(
        lead_id="l-1", source="web", channel="form", contact=Contact(name="Ann"), location=location
    )
    return DealWon(
        lead_id="l-1",
        assignment_id="as-1",
        rep_id="h-1",
        amount=Decimal("10"),
        currency="EUR",
        won_at=datetime(2025, 6, 2, tzinfo=UTC),
        lead=lead,
    )


def test_the_place_of_a_client_is_its_leads_country_and_subdivision() -> None:
    assert place_of(won(Location(country="DE", region="DE-BY"))) == Place("DE", "BY")
    assert place_of(won(Location(country="us", region="ny"))) == Place("US", "NY")
    assert place_of(won(Location(country="FR"))) == Place("FR", None)


def test_without_a_country_the_default_country_is_used_and_odd_values_are_ignored() -> None:
    assert place_of(won(Location()), "AT") == Place("AT", None)
    assert place_of(won(Location())) == Place()
    assert place_of(won(Location(country="Deutschland"))) == Place()
