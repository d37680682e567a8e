"""A playbook in words: what it configures, rule by rule, and where its scenario leads go."""

from __future__ import annotations

import textwrap
from typing import Any

from conveyor.devkit.playbooks_model import Playbook, RepSpec

SETTINGS = ("territories", "segments", "product_lines", "languages", "capacity", "weight")


def describe(book: Playbook) -> str:
    """The playbook as a short text for a terminal."""
    parts = [
        f"{book.name}: {book.title}",
        textwrap.fill(book.description, width=88),
        "Sources: " + ", ".join(f"{s.source_id} ({s.channel})" for s in book.sources),
        "Sieve: " + ("intake's checklist as it is" if book.checklist is None else _sieve(book)),
        "Reps:\n" + "\n".join(f"  {_rep(r)}" for r in book.reps),
    ]
    if book.key_accounts:
        accounts = (f"  {a.account_id} ({a.name}): {a.owner_rep_id}" for a in book.key_accounts)
        parts.append("Key accounts:\n" + "\n".join(accounts))
    rules = (f"  {n}. {_rule(r)}" for n, r in enumerate(book.policy.rules, 1))
    parts.append("Rules:\n" + "\n".join(rules) + f"\n  then: {_fallback(book.policy.fallback)}")
    leads = (f"  {s.name}: {_expected(s.expect.model_dump())}" for s in book.scenario)
    parts.append("Scenario:\n" + "\n".join(leads))
    return "\n\n".join(parts)


def _sieve(book: Playbook) -> str:
    checklist = book.checklist or {}
    required = ", ".join(checklist.get("required", [])) or "nothing"
    target = checklist.get("target_from", 40)
    return f"requires {required}; a target scores {target} or more"


def _rep(rep: RepSpec) -> str:
    settings = [f"{k} {v}" for k in SETTINGS if (v := getattr(rep, k)) is not None]
    active = "" if rep.active else ", inactive"
    extra = f"; {'; '.join(settings)}" if settings else ""
    return f"{rep.rep_id} ({rep.role}{active}) in {', '.join(rep.pools)}{extra}"


def _rule(rule: dict[str, Any]) -> str:
    when = " and ".join(f"{c['field']} {c['op']} {c.get('value', '')}".strip()
                        for c in rule.get("when", [])) or "always"  # fmt: skip
    if rule.get("key_account_owner"):
        target = "the key account's owner"
    elif rule.get("rep"):
        target = f"rep {rule['rep']}"
    else:
        target = f"pool {rule['pool']} ({rule.get('strategy', 'round_robin')})"
    if rule.get("match_rep"):
        target += ", reps whose " + ", ".join(f"{k} hold {v}" for k, v in rule["match_rep"].items())
    return f"{rule['name']}: when {when} -> {target}"


def _fallback(fallback: dict[str, Any]) -> str:
    steps = [f"pool {fallback['pool']}"] if fallback.get("pool") else []
    steps += ["a team lead"] if fallback.get("team_lead") else []
    return " then ".join(steps) or "the lead waits until someone can take it"


def _expected(expect: dict[str, Any]) -> str:
    if expect["verdict"] != "target":
        return f"{expect['verdict']} (not routed)"
    reps = expect["rep"] or " or ".join(expect["rep_in"] or [])
    rule = f" by rule {expect['rule']!r}" if expect["rule"] else ""
    farmer = f"; won, to farmer {expect['farmer']}" if expect["farmer"] else ""
    return f"{reps}{rule}{farmer}"
