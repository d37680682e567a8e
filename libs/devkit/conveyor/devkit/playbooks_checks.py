"""What makes a playbook inconsistent before anything is loaded: unknown reps, pools
nobody is in, scenario leads expecting the impossible."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conveyor.devkit.playbooks_model import Playbook, ScenarioLead


def problems(book: Playbook) -> list[str]:
    """Every inconsistency found, as sentences (empty: the playbook holds together)."""
    return [
        *_duplicates("rep id", (r.rep_id for r in book.reps)),
        *_duplicates("source id", (s.source_id for s in book.sources)),
        *_duplicates("key account id", (a.account_id for a in book.key_accounts)),
        *_duplicates("scenario name", (s.name for s in book.scenario)),
        *_portfolios(book),
        *_owners(book),
        *_targets(book),
        *_fallback(book),
        *(p for lead in book.scenario for p in _scenario(book, lead)),
    ]


def _duplicates(what: str, values: Iterable[str]) -> list[str]:
    return [f"{what} {v!r} appears {n} times" for v, n in Counter(values).items() if n > 1]


def _portfolios(book: Playbook) -> list[str]:
    leads = {r.rep_id for r in book.reps if r.role == "team_lead"}
    found = []
    for rep in book.reps:
        if rep.portfolio is None:
            continue
        if rep.role != "farmer":
            found.append(f"rep {rep.rep_id}: only a farmer has a portfolio")
        elif rep.portfolio.team_lead_id and rep.portfolio.team_lead_id not in leads:
            found.append(f"rep {rep.rep_id}: team lead {rep.portfolio.team_lead_id} is not one")
    return found


def _owners(book: Playbook) -> list[str]:
    reps = {r.rep_id for r in book.reps}
    return [
        f"key account {a.account_id}: owner {a.owner_rep_id} is not a rep of the playbook"
        for a in book.key_accounts
        if a.owner_rep_id not in reps
    ]


def _targets(book: Playbook) -> list[str]:
    found = []
    reps = {r.rep_id for r in book.reps}
    for rule in book.policy.rules:
        name = rule.get("name", "?")
        if rule.get("rep") is not None and rule["rep"] not in reps:
            found.append(f"rule {name}: rep {rule['rep']} is not a rep of the playbook")
        if (pool := rule.get("pool")) is not None and not _members(book, pool, _roles(rule)):
            found.append(f"rule {name}: nobody with role {'/'.join(_roles(rule))} in pool {pool}")
    return found


def _fallback(book: Playbook) -> list[str]:
    found = []
    pool = book.policy.fallback.get("pool")
    if pool is not None and not _members(book, pool, ["hunter"]):
        found.append(f"fallback: no hunter in pool {pool}")
    if book.policy.fallback.get("team_lead") and not any(r.role == "team_lead" for r in book.reps):
        found.append("fallback: team_lead is set but the playbook has no team lead")
    return found


def _scenario(book: Playbook, lead: ScenarioLead) -> list[str]:
    found = []
    where = f"scenario {lead.name!r}"
    if book.source_of(lead) not in {s.source_id for s in book.sources}:
        found.append(f"{where}: source {lead.source} is not a source of the playbook")
    expect = lead.expect
    if expect.verdict == "target" and not expect.reps():
        found.append(f"{where}: a target must name the rep (rep or rep_in) it goes to")
    reps = {r.rep_id: r for r in book.reps}
    for rep_id in expect.reps():
        rep = reps.get(rep_id)
        if rep is None:
            found.append(f"{where}: rep {rep_id} is not a rep of the playbook")
        elif expect.pool not in (None, "direct", "*") and expect.pool not in rep.pools:
            found.append(f"{where}: rep {rep_id} is not in pool {expect.pool}")
    if expect.farmer is not None and getattr(reps.get(expect.farmer), "role", "") != "farmer":
        found.append(f"{where}: {expect.farmer} is not a farmer of the playbook")
    return found


def _roles(rule: dict[str, Any]) -> list[str]:
    return list(rule.get("roles", ["hunter"]))


def _members(book: Playbook, pool: str, roles: list[str]) -> list[str]:
    return [r.rep_id for r in book.reps if r.role in roles and (pool == "*" or pool in r.pools)]
