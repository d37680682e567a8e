"""The same person again: matched on e-mail address or phone number, within a window."""

from __future__ import annotations

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
