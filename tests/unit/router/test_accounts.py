"""Key-account matching: e-mail domain, phone, fuzzy company names with a threshold."""

from conveyor.router.domain.accounts import KeyAccount, match_account, normalise_company
from tests.unit.router.builders import lead
from tests.unit.router.fakes import MATCHING

ACCOUNTS = [
    KeyAccount("acme", "ACME Industries GmbH", "kim", ("acme.de",), ("+49 89 1234567",)),
    KeyAccount("globex", "Globex Corporation", "lou", ("globex.com",)),
]


def match(**contact: str | None) -> tuple[str, str, float] | None:
    found = match_account(
        lead(contact=contact), ACCOUNTS, similarity=MATCHING.similarity, threshold=90
    )
    return (found.account_id, found.matched_on, found.score) if found else None


def test_company_names_are_normalised_before_comparing() -> None:
    assert normalise_company("ACME Industries GmbH.") == "acme industries"
    assert normalise_company("Smith & Sons, Ltd") == "smith and sons"


def test_an_email_domain_of_the_account_matches_but_free_mail_does_not() -> None:
    assert match(email="jo@ACME.de") == ("acme", "email_domain", 100.0)
    assert match(email="jo@gmail.com") is None


def test_a_phone_matches_whatever_its_formatting() -> None:
    assert match(phone="0049-89-123 4567") == ("acme", "phone", 100.0)
    assert match(phone="+49 89 7654321") is None


def test_near_miss_company_names_match_above_the_threshold_only() -> None:
    assert match(company="Acme Industries AG") == ("acme", "company_name", 100.0)
    for typo in ("Acme Industies", "Akme Industries"):
        near = match(company=typo)
        assert near is not None and near[:2] == ("acme", "company_name") and 90 <= near[2] < 100
    assert match(company="Acme Industrys") is None  # 89.7: just under the threshold
    assert match(company="Globex Corp.") == ("globex", "company_name", 100.0)
    assert match(company="Acme Logistics") is None
    assert match(company="Glob Ex Holdings") is None
