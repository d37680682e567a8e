"""Each kind of rule condition, on any lead field including custom ones."""

import pytest

from conveyor.router.domain.conditions import Condition, check_all
from conveyor.router.domain.fields import phone_country
from tests.unit.router.builders import lead


def test_equals_ignores_case_and_matches_inside_lists() -> None:
    assert Condition("location.country", "equals", "de").test(lead(location={"country": "DE"}))[0]
    products = lead(interest={"product_lines": ["crm", "erp"]})
    assert Condition("interest.product_lines", "equals", "ERP").test(products)[0]


def test_in_and_not_in_check_membership_and_say_why() -> None:
    berlin = lead(location={"country": "DE"})
    ok, why = Condition("location.country", "in", ["AT", "CH"]).test(berlin)
    assert not ok and why == "location.country=DE does not match in [AT, CH]"
    assert Condition("location.country", "not_in", ["AT", "CH"]).test(berlin)[0]
    assert not Condition("location.country", "not_in", ["AT"]).test(lead())[0]


def test_postal_code_prefix_and_range() -> None:
    munich = lead(location={"postal_code": "80331"})
    assert Condition("location.postal_code", "prefix", ["80", "81"]).test(munich)[0]
    assert Condition("location.postal_code", "range", ["80000", "89999"]).test(munich)[0]
    assert not Condition("location.postal_code", "range", ["10000", "19999"]).test(munich)[0]
    assert not Condition("location.postal_code", "range", ["800", "899"]).test(munich)[0]


def test_numeric_range_on_company_size_with_open_bounds() -> None:
    mid = lead(interest={"company_size": "250"})
    assert Condition("interest.company_size", "between", [50, 500]).test(mid)[0]
    assert Condition("interest.company_size", "between", [None, 250]).test(mid)[0]
    assert not Condition("interest.company_size", "between", [251, None]).test(mid)[0]
    assert not Condition("interest.company_size", "between", [1, 9]).test(lead())[0]


def test_phone_derived_country_uses_the_longest_calling_code() -> None:
    assert phone_country("+49 30 1234567") == "DE"
    assert phone_country("00353 1 555 0101") == "IE"
    assert phone_country("+1 (415) 555-0101") == "US"
    assert phone_country("030 1234567") is None
    caller = lead(contact={"phone": "+43 1 5555"})
    assert Condition("contact.phone", "phone_country", ["AT", "CH"]).test(caller)[0]


def test_custom_and_unknown_fields_match_generically() -> None:
    tagged = lead(custom={"segment": "enterprise"}, lead_type="partner")
    assert Condition("custom.segment", "equals", "enterprise").test(tagged)[0]
    assert Condition("lead_type", "in", ["partner"]).test(tagged)[0]
    assert not Condition("custom.missing", "equals", "x").test(tagged)[0]
    assert Condition("custom.missing", "exists", False).test(tagged)[0]


@pytest.mark.parametrize(("country", "expected"), [("DE", True), ("FR", False)])
def test_all_conditions_must_hold_and_the_first_failure_stops(country: str, expected: bool) -> None:
    conditions = [
        Condition("location.country", "equals", country),
        Condition("channel", "equals", "web_form"),
    ]
    ok, reasons = check_all(conditions, lead(location={"country": "DE"}))
    assert ok is expected
    assert len(reasons) == (2 if expected else 1)
