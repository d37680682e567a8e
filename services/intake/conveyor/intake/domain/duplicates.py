"""The same person again: matched on e-mail address or phone number, within a window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class PersonKeys:
    """What identifies a person across leads: the e-mail address (any case) and the phone."""

    email: str | None
    phone: str | None

    @classmethod
    def of(cls, email: str | None, phone: str | None) -> PersonKeys:
        """Keys from canonical contact details; e-mail compared without case."""
        return cls(email=email.casefold() if email else None, phone=phone or None)

    def __bool__(self) -> bool:
        return bool(self.email or self.phone)


@dataclass(frozen=True)
class EarlierLead:
    """The newest earlier lead of the same person, and what matched."""

    lead_id: str
    matched_on: str
    received_at: datetime
    outcome: str | None = None
    """``customer`` once a deal was won, else how intake left it: ``qualified``,
    ``nurtured``, ``disqualified`` (or ``received``)."""

    def is_duplicate(self, now: datetime, window: timedelta) -> bool:
        """Within the window the new arrival is a touch on this lead, not a new lead."""
        return now - self.received_at <= window


@dataclass(frozen=True)
class PersonLead:
    """A lead (not a touch) as the duplicate check sees it: whose it is, when, how it went."""

    lead_id: str
    email_key: str | None
    phone: str | None
    received_at: datetime
    outcome: str | None


class KnownPeople:
    """The newest lead of each e-mail address and phone number asked about (and of each
    lead added since): the duplicate check for many arrivals from one lookup."""

    def __init__(self, keys: Iterable[PersonKeys], leads: Iterable[PersonLead]) -> None:
        asked = list(keys)
        self._emails = {k.email for k in asked if k.email}
        self._phones = {k.phone for k in asked if k.phone}
        self._by_email: dict[str, PersonLead] = {}
        self._by_phone: dict[str, PersonLead] = {}
        for lead in leads:
            self.add(lead)

    def covers(self, keys: PersonKeys) -> bool:
        """Whether every key of this person was asked about."""
        return (not keys.email or keys.email in self._emails) and (
            not keys.phone or keys.phone in self._phones
        )

    def add(self, lead: PersonLead) -> None:
        """A lead of an asked-about person (a newer one replaces the one known)."""
        for key, known in ((lead.email_key, self._by_email), (lead.phone, self._by_phone)):
            if key is not None and (
                (held := known.get(key)) is None or held.received_at <= lead.received_at
            ):
                known[key] = lead

    def newest(self, keys: PersonKeys) -> EarlierLead | None:
        """The newest lead matching the e-mail address or the phone (as ``earlier_lead``)."""
        by_email = self._by_email.get(keys.email) if keys.email else None
        by_phone = self._by_phone.get(keys.phone) if keys.phone else None
        if by_email is not None and (
            by_phone is None or by_email.received_at >= by_phone.received_at
        ):
            found, matched_on = by_email, "email"
        elif by_phone is not None:
            found, matched_on = by_phone, "phone"
        else:
            return None
        return EarlierLead(found.lead_id, matched_on, found.received_at, outcome=found.outcome)
