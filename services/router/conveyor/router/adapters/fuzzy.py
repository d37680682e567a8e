"""Fuzzy comparison of normalised company names, with rapidfuzz."""

from __future__ import annotations

from rapidfuzz import fuzz


def company_similarity(left: str, right: str) -> float:
    """How alike two normalised names are, 0..100, whatever the order of their words."""
    return float(fuzz.token_sort_ratio(left, right))
