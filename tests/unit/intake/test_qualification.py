"""The first sieve: points per detail, capped, with a reason for each."""

import pytest

from conveyor.intake.domain.lead import Contact, Interest, InvalidLead, Lead
from conveyor.intake.domain.qualification import MAX_SCORE, qualify


def lead(contact: Contact, interest: Interest | None = None) -> Lead:
    return Lead("lead-1", "api", "web_form", contact, interest=interest or Interest())


def test_an_email_alone_scores_forty_for_having_an_email() -> None:
    verdict = qualify(lead(Contact("Ada", email="ada@example.com")))
    assert verdict.score == 40
    assert verdict.reasons == ("has an e-mail address",)


def test_a_phone_alone_scores_thirty_for_having_a_phone() -> None:
    verdict = qualify(lead(Contact("Ada", phone="+44 20 7946 0000")))
    assert verdict.score == 30
    assert verdict.reasons == ("has a phone number",)


def test_a_lead_with_every_detail_scores_the_cap_with_every_reason() -> None:
    contact = Contact("Ada", email="ada@example.com", phone="+44 1", company="Analytical Ltd")
    verdict = qualify(lead(contact, Interest(product_lines=("engines",))))
    assert verdict.score == MAX_SCORE == 100
    assert verdict.reasons == (
        "has an e-mail address",
        "has a phone number",
        "names a company",
        "names product lines",
    )


def test_company_and_product_lines_add_to_the_contact_points() -> None:
    contact = Contact("Ada", phone="+44 1", company="Analytical Ltd")
    verdict = qualify(lead(contact, Interest(product_lines=("engines", "looms"))))
    assert verdict.score == 60


def test_a_lead_with_neither_email_nor_phone_cannot_exist() -> None:
    with pytest.raises(InvalidLead) as caught:
        Contact("Ada", company="Analytical Ltd")
    assert caught.value.field == "contact"


def test_a_lead_with_a_blank_name_cannot_exist() -> None:
    with pytest.raises(InvalidLead) as caught:
        Contact("  ", email="ada@example.com")
    assert caught.value.field == "contact.name"
