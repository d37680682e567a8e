"""Key accounts: named accounts with an owner, and how a lead is matched to one."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from conveyor.router.domain.fields import field_value

Similarity = Callable[[str, str], float]  # 0..100, higher is closer

LEGAL_FORMS = frozenset(
    {
        "ab", "ag", "as", "bv", "co", "company", "corp", "corporation", "gmbh", "inc",
        "incorporated", "kg", "kgaa", "limited", "llc", "ltd", "nv", "oy", "plc", "sa",
        "sarl", "sas", "se", "spa", "srl", "the",
    }
)  # fmt: skip
FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
        "icloud.com", "gmx.de", "gmx.net", "web.de", "aol.com", "proton.me",
        "protonmail.com", "mail.ru", "yandex.ru",
    }
)  # fmt: skip


@dataclass(frozen=True)
class KeyAccount:
    """A named account, its owner, and what identifies its people."""

    account_id: str
    name: str
    owner: str
    domains: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountMatch:
    """Which account a lead belongs to, on what evidence, how close (100: exact)."""

    account_id: str
    owner: str
    matched_on: str
    evidence: str
    score: float = 100.0

    def as_field(self) -> dict[str, Any]:
        """The match as the lead's ``key_account`` field, for rules and the record."""
        return asdict(self)


def normalise_company(name: str) -> str:
    """A company name without case, punctuation or legal form ("ACME GmbH." -> "acme")."""
    words = re.sub(r"[^\w\s]", " ", name.casefold().replace("&", " and ")).split()
    return " ".join(w for w in words if w not in LEGAL_FORMS)


def normalise_phone(phone: str) -> str:
    """The digits of a phone number, international prefix dropped ("+49 30 1" -> "49301")."""
    digits = re.sub(r"\D", "", phone)
    return digits[2:] if phone.strip().startswith("00") else digits


def match_account(
    lead: Mapping[str, Any],
    accounts: Iterable[KeyAccount],
    *,
    similarity: Similarity,
    threshold: float,
) -> AccountMatch | None:
    """The account the lead belongs to: by e-mail domain, then phone, then fuzzy company."""
    ordered = sorted(accounts, key=lambda a: a.account_id)
    return (
        _by_domain(lead, ordered)
        or _by_phone(lead, ordered)
        or _by_company(lead, ordered, similarity, threshold)
    )


def _by_domain(lead: Mapping[str, Any], accounts: list[KeyAccount]) -> AccountMatch | None:
    email = str(field_value(lead, "contact.email") or "")
    domain = email.rpartition("@")[2].casefold()
    if not domain or domain in FREE_MAIL:
        return None
    for account in accounts:
        if domain in {d.casefold() for d in account.domains}:
            return AccountMatch(account.account_id, account.owner, "email_domain", domain)
    return None


def _by_phone(lead: Mapping[str, Any], accounts: list[KeyAccount]) -> AccountMatch | None:
    phone = normalise_phone(str(field_value(lead, "contact.phone") or ""))
    if len(phone) < 7:
        return None
    for account in accounts:
        for known in account.phones:
            digits = normalise_phone(known)
            if len(digits) >= 7 and (phone.endswith(digits) or digits.endswith(phone)):
                return AccountMatch(account.account_id, account.owner, "phone", known)
    return None


def _by_company(
    lead: Mapping[str, Any],
    accounts: list[KeyAccount],
    similarity: Similarity,
    threshold: float,
) -> AccountMatch | None:
    company = normalise_company(str(field_value(lead, "contact.company") or ""))
    if not company:
        return None
    scored = [(similarity(company, normalise_company(a.name)), a) for a in accounts]
    best = max(scored, key=lambda item: item[0], default=None)
    if best is None or best[0] < threshold:
        return None
    score, account = best
    evidence = f"{company!r} ~ {normalise_company(account.name)!r}"
    return AccountMatch(account.account_id, account.owner, "company_name", evidence, score)
