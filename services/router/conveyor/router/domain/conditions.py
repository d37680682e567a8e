"""Conditions of a routing rule: one test of one lead field, with the reason it failed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conveyor.router.domain.fields import field_value, phone_country, values_of

OPERATORS = (
    "equals",
    "in",
    "not_in",
    "prefix",
    "range",
    "between",
    "phone_country",
    "exists",
)


@dataclass(frozen=True)
class Condition:
    """``field op value``: e.g. ``location.postal_code range ["80000", "89999"]``."""

    field: str
    op: str
    value: Any = None

    def test(self, lead: Mapping[str, Any]) -> tuple[bool, str]:
        """Whether the lead passes, and a sentence saying why or why not."""
        actual = field_value(lead, self.field)
        if self.op == "phone_country":
            actual = phone_country(actual if isinstance(actual, str) else None)
        ok = _TESTS[self.op](values_of(actual), self.value)
        verb = "matches" if ok else "does not match"
        return ok, f"{self.field}={_show(actual)} {verb} {self.op} {_show(self.value)}"


def _equals(actual: list[str], expected: Any) -> bool:
    return _folded(expected) in {_folded(a) for a in actual}


def _in(actual: list[str], expected: Any) -> bool:
    wanted = {_folded(v) for v in values_of(expected)}
    return any(_folded(a) in wanted for a in actual)


def _not_in(actual: list[str], expected: Any) -> bool:
    return bool(actual) and not _in(actual, expected)


def _prefix(actual: list[str], expected: Any) -> bool:
    prefixes = [_folded(p) for p in values_of(expected)]
    return any(_folded(a).startswith(p) for a in actual for p in prefixes)


def _range(actual: list[str], expected: Any) -> bool:
    """Postal-code style: the value lies between two codes of the same length, inclusive."""
    low, high = (str(v) for v in expected)
    return any(
        len(a) == len(low) == len(high) and low.upper() <= a.upper() <= high.upper() for a in actual
    )


def _between(actual: list[str], expected: Any) -> bool:
    """Numeric: min <= value <= max, either bound may be None."""
    low, high = expected
    for a in actual:
        number = _number(a)
        if (
            number is not None
            and (low is None or number >= low)
            and (high is None or number <= high)
        ):
            return True
    return False


def _exists(actual: list[str], expected: Any) -> bool:
    present = any(a.strip() for a in actual)
    return present if expected in (None, True) else not present


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").strip())
    except ValueError:
        return None


def _folded(value: Any) -> str:
    return str(value).strip().casefold()


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "none" if value is None else str(value)


_TESTS: Mapping[str, Callable[[list[str], Any], bool]] = {
    "equals": _equals,
    "in": _in,
    "not_in": _not_in,
    "prefix": _prefix,
    "range": _range,
    "between": _between,
    "phone_country": _in,
    "exists": _exists,
}


def check_all(conditions: Sequence[Condition], lead: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """Whether every condition holds; the reasons, stopping at the first failure."""
    reasons: list[str] = []
    for condition in conditions:
        ok, why = condition.test(lead)
        reasons.append(why)
        if not ok:
            return False, reasons
    return True, reasons
