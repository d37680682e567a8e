"""Normalisation of names, e-mail addresses, phone numbers, countries and regions."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor.intake.adapters import normalise

COUNTRIES = st.sampled_from([None, "GB", "DE", "US", "FR", "IN"])


def test_names_are_trimmed_single_spaced_and_nfc() -> None:
    decomposed = "  Zoe\u0301   de\tla  Cruz \n"
    assert normalise.text(decomposed) == "Zo\u00e9 de la Cruz"


def test_control_characters_are_dropped_from_names() -> None:
    assert normalise.text("Ada\x00 Love\x07lace") == "Ada Lovelace"


def test_an_email_keeps_its_local_part_and_lowercases_its_domain() -> None:
    assert normalise.email(" Ada.L@Example.COM ").value == "Ada.L@example.com"


@pytest.mark.parametrize("bad", ["ada", "ada@", "@example.com", "ada@@example.com", "a b@c.com"])
def test_a_malformed_email_has_a_reason_and_no_value(bad: str) -> None:
    checked = normalise.email(bad)
    assert checked.value is None
    assert checked.reason


def test_an_international_phone_number_becomes_e164() -> None:
    assert normalise.phone("+44 (0)20 7946 0000", None).value == "+442079460000"


def test_a_local_phone_number_is_read_in_the_leads_country() -> None:
    assert normalise.phone("020 7946 0000", "GB").value == "+442079460000"
    assert normalise.phone("030 123456", "DE").value == "+4930123456"


def test_a_local_phone_number_without_a_country_asks_for_one() -> None:
    reason = normalise.phone("020 7946 0000", None).reason
    assert reason is not None and "country" in reason


@pytest.mark.parametrize("bad", ["12", "+1 555", "call me", "+44 20"])
def test_an_impossible_phone_number_has_a_reason(bad: str) -> None:
    assert normalise.phone(bad, "GB").value is None


@pytest.mark.parametrize(("given_as", "code"), [("GB", "GB"), ("gbr", "GB"), ("Germany", "DE")])
def test_a_country_by_code_or_name_becomes_its_alpha_2_code(given_as: str, code: str) -> None:
    assert normalise.country(given_as).value == code


def test_an_unknown_country_has_a_reason() -> None:
    assert normalise.country("Atlantis").reason is not None


@pytest.mark.parametrize(
    ("given_as", "code"), [("BY", "DE-BY"), ("de-by", "DE-BY"), ("Bayern", "DE-BY")]
)
def test_a_region_by_code_or_name_becomes_its_iso_3166_2_code(given_as: str, code: str) -> None:
    assert normalise.region(given_as, "DE").value == code


def test_a_region_of_another_country_has_a_reason() -> None:
    assert normalise.region("Bayern", "FR").reason is not None


def test_a_full_region_code_needs_no_country_but_a_bare_one_does() -> None:
    assert normalise.region("GB-LND", None).value == "GB-LND"
    assert normalise.region("LND", None).reason is not None


@given(st.text())
def test_text_never_raises_and_normalising_twice_changes_nothing(raw: str) -> None:
    once = normalise.text(raw)
    assert normalise.text(once) == once
    assert once == once.strip()
    assert unicodedata.is_normalized("NFC", once)
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in once)


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp"))))
def test_text_without_control_characters_or_spaces_keeps_every_character(raw: str) -> None:
    assert normalise.text(raw) == unicodedata.normalize("NFC", raw)


@given(st.text())
def test_email_never_raises_and_is_idempotent(raw: str) -> None:
    checked = normalise.email(raw)
    assert (checked.value is None) != (checked.reason is None)
    if checked.value is not None:
        assert normalise.email(checked.value).value == checked.value


@given(st.emails())
def test_every_generated_email_normalises_to_a_fixed_point(raw: str) -> None:
    checked = normalise.email(raw)
    if checked.value is not None:
        assert normalise.email(checked.value).value == checked.value


@settings(max_examples=300)
@given(st.text(), COUNTRIES)
def test_phone_never_raises_and_is_idempotent(raw: str, country: str | None) -> None:
    checked = normalise.phone(raw, country)
    assert (checked.value is None) != (checked.reason is None)
    if checked.value is not None:
        assert normalise.phone(checked.value, country).value == checked.value


@given(st.from_regex(r"\+?[0-9 ()-]{4,20}", fullmatch=True), COUNTRIES)
def test_phone_like_text_normalises_to_a_fixed_point(raw: str, country: str | None) -> None:
    checked = normalise.phone(raw, country)
    if checked.value is not None:
        assert checked.value.startswith("+")
        assert normalise.phone(checked.value, None).value == checked.value


@given(st.text(), COUNTRIES)
def test_country_and_region_never_raise_and_are_idempotent(raw: str, country: str | None) -> None:
    found = normalise.country(raw)
    if found.value is not None:
        assert normalise.country(found.value).value == found.value
    region = normalise.region(raw, country)
    if region.value is not None:
        assert normalise.region(region.value, country).value == region.value


@given(st.text())
def test_postal_codes_never_raise_and_are_idempotent(raw: str) -> None:
    once = normalise.postal_code(raw)
    assert normalise.postal_code(once) == once
