"""The qualification checklist: required facts, disqualifiers and weighted signals, versioned."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

OPERATORS = (
    "present",
    "absent",
    "equals",
    "in",
    "not_in",
    "contains",
    "ends_with",
    "matches",
    "at_least",
)


@dataclass(frozen=True)
class Rule:
    """A condition on one fact (``contact.email``, ``email.domain``, ``answers.budget``...)
    with the reason given when it holds and, for signals, the points it earns."""

    field: str
    op: str
    reason: str
    value: Any = None
    weight: int = 0

    def holds(self, facts: Mapping[str, Any]) -> bool:
        """Whether the lead's facts meet the condition."""
        return bool(_CHECKS[self.op](facts.get(self.field), self.value))


@dataclass(frozen=True)
class Checklist:
    """One version of the sieve: what a target lead must have, what rejects it, what scores."""

    version: int
    required: tuple[str, ...] = ()
    disqualifiers: tuple[Rule, ...] = ()
    signals: tuple[Rule, ...] = ()
    target_from: int = 40
    nurture_from: int = 20
    hot_from: int = 70
    warm_from: int = 40
    recheck_days: int = 30

    def to_dict(self) -> dict[str, Any]:
        """The checklist as plain data (what the ChecklistPublished event carries)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checklist:
        """A checklist from plain data as to_dict gives it."""
        rules = {key: tuple(Rule(**rule) for rule in data.get(key, ())) for key in _RULE_LISTS}
        plain = {k: v for k, v in data.items() if k not in _RULE_LISTS}
        return cls(**{**plain, "required": tuple(data.get("required", ())), **rules})


_RULE_LISTS = ("disqualifiers", "signals")


def default_checklist() -> Checklist:
    """Version 1, used until an administrator publishes another: contactable leads pass."""
    return Checklist(
        version=1,
        disqualifiers=(
            Rule("contact.name", "matches", "test data", r"(?i)^(test|asdf|qwerty|xxx+)\b"),
            Rule("email.domain", "in", "test data", ["test.com", "mailinator.com"]),
        ),
        signals=(
            Rule("contact.email", "present", "has an e-mail address", weight=40),
            Rule("contact.phone", "present", "has a phone number", weight=30),
            Rule("contact.company", "present", "names a company", weight=20),
            Rule("interest.product_lines", "present", "names product lines", weight=10),
        ),
    )


def facts_of(lead: Mapping[str, Any], answers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A lead (as nested plain data) as flat facts: ``contact.email``, ``utm.utm_source``,
    ``email.domain``, ``answers.<question>``..."""
    facts: dict[str, Any] = {}
    _flatten("", lead, facts)
    _flatten("answers.", answers or {}, facts)
    email = facts.get("contact.email")
    facts["email.domain"] = email.rsplit("@", 1)[-1].lower() if email else None
    return facts


def _flatten(prefix: str, data: Mapping[str, Any], into: dict[str, Any]) -> None:
    for key, value in data.items():
        # plain values and dicts first: asking the Mapping ABC about each value costs more
        # than the rest of the flattening (a lead's data is dicts and plain values)
        if isinstance(value, dict) or (
            not isinstance(value, _PLAIN) and isinstance(value, Mapping)
        ):
            _flatten(f"{prefix}{key}.", value, into)
        else:
            into[f"{prefix}{key}"] = value


_PLAIN = (str, int, float, list, tuple, type(None))


def _present(value: Any, _: Any = None) -> bool:
    return value not in (None, "", (), [], {}, False)


def _text(value: Any) -> str:
    return "" if value is None else str(value).casefold()


def _in(value: Any, options: Any) -> bool:
    wanted = {_text(option) for option in options or ()}
    values = value if isinstance(value, list | tuple) else [value]
    return any(_text(v) in wanted for v in values if v is not None)


def _contains(value: Any, part: Any) -> bool:
    if isinstance(value, list | tuple):
        return _in(value, [part])
    return _present(value) and _text(part) in _text(value)


def _ends_with(value: Any, ends: Any) -> bool:
    endings = [ends] if isinstance(ends, str) else list(ends or ())
    return _present(value) and any(_text(value).endswith(_text(e)) for e in endings)


def _matches(value: Any, pattern: Any) -> bool:
    return _present(value) and re.search(str(pattern), str(value)) is not None


def _at_least(value: Any, minimum: Any) -> bool:
    number = _number(value)
    return number is not None and number >= float(minimum)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(str(value).replace(",", "").strip())
    except ValueError:
        return None


_CHECKS: dict[str, Any] = {
    "present": _present,
    "absent": lambda value, _: not _present(value),
    "equals": lambda value, wanted: _text(value) == _text(wanted),
    "in": _in,
    "not_in": lambda value, options: _present(value) and not _in(value, options),
    "contains": _contains,
    "ends_with": _ends_with,
    "matches": _matches,
    "at_least": _at_least,
}


def missing(required: Sequence[str], facts: Mapping[str, Any]) -> list[str]:
    """The required facts a lead lacks."""
    return [name for name in required if not _present(facts.get(name))]
