"""Load a playbook into running services through their public HTTP APIs.

The policy is drafted first (the router checks it; a draft is not in force), then the
sieve, sources, reps, key accounts and farmers' portfolios are put in place (created, or
changed to match the file), and the policy is published last: a load that fails midway
leaves the policy in force unchanged, and loading again finishes the job.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conveyor.devkit.playbooks_http import Api, Endpoints, LoadError, wait_for
from conveyor.devkit.playbooks_model import Playbook, RepSpec
from conveyor.devkit.playbooks_reps import load_reps, retire_others

__all__ = ["Endpoints", "LoadError", "LoadReport", "load"]


@dataclass
class LoadReport:
    """What a load did, line by line, and the secrets it was shown once."""

    playbook: str
    lines: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    source_keys: dict[str, str] = field(default_factory=dict)
    webhook_secrets: dict[str, str] = field(default_factory=dict)
    policy_version: int = 0

    def note(self, line: str, count: str | None = None) -> None:
        """Record a line, and count it under a heading."""
        self.lines.append(line)
        if count:
            self.counts[count] += 1

    def summary(self) -> str:
        """One sentence: what changed (or that nothing but the policy did)."""
        changed = ", ".join(f"{what}: {n}" for what, n in sorted(self.counts.items()))
        rest = changed or "nothing else changed: it was loaded already"
        return f"{self.playbook}: policy v{self.policy_version} in force; {rest}"


def load(
    book: Playbook,
    endpoints: Endpoints,
    *,
    webhook_base: str | None = None,
    replace: bool = False,
    keys_dir: Path | None = None,
    enrol_deadline: float = 60.0,
) -> LoadReport:
    """Put the playbook in force; ``replace`` also deactivates reps it does not name."""
    report = LoadReport(book.name)
    intake = Api("intake", endpoints.intake, endpoints.intake_token)
    router = Api("router", endpoints.router, endpoints.router_token)
    followup = _followup(book, endpoints)
    try:
        existing = {r["rep_id"]: r for r in router.get("/v1/reps")}
        sources = {s["source_id"] for s in intake.get("/v1/sources")}
        version = _in_force_already(router, book, report) or _draft(router, book, report)
        _checklist(intake, book, report)
        _sources(intake, book, sources, report, keys_dir)
        load_reps(router, book, existing, report, webhook_base)
        _key_accounts(router, book, report)
        if followup is not None:
            _portfolios(followup, _farmers(book), report, enrol_deadline)
        if replace:
            retire_others(router, book, existing, report)
        if version != report.policy_version:
            _publish(router, version, report)
    finally:
        for api in (intake, router, followup):
            if api is not None:
                api.close()
    return report


def _followup(book: Playbook, endpoints: Endpoints) -> Api | None:
    if not _farmers(book):
        return None
    if endpoints.followup is None:
        raise LoadError(f"{book.name} has farmers: give followup's URL (--followup)")
    api = Api("followup", endpoints.followup, endpoints.followup_token)
    api.get("/v1/farmers")  # reachable, and the token is the back office's
    return api


def _farmers(book: Playbook) -> list[RepSpec]:
    return [r for r in book.reps if r.role == "farmer"]


def _in_force_already(router: Api, book: Playbook, report: LoadReport) -> int:
    """The version in force if its rules and fallback are the playbook's (0 otherwise)."""
    version = int(router.call("GET", "/v1/routing/policies").json()["in_force"])
    if version == 0:
        return 0
    policy = router.call("GET", f"/v1/routing/policies/{version}").json()
    wanted = json.loads(json.dumps(book.policy.model_dump()))
    if {"rules": policy["rules"], "fallback": policy["fallback"]} != wanted:
        return 0
    report.policy_version = version
    report.note(f"policy: v{version} in force already, as in the playbook")
    return version


def _draft(router: Api, book: Playbook, report: LoadReport) -> int:
    body = book.policy.model_dump()
    version = int(router.call("POST", "/v1/routing/policies", json=body).json()["policy_version"])
    report.note(f"policy: drafted as v{version} (the router accepted it)")
    return version


def _publish(router: Api, version: int, report: LoadReport) -> None:
    router.call("POST", f"/v1/routing/policies/{version}/publish", json={})
    report.policy_version = version
    report.note(f"policy: v{version} published, in force from now")


def _checklist(intake: Api, book: Playbook, report: LoadReport) -> None:
    if book.checklist is None:
        report.note("sieve: the playbook has none; intake's checklist is left as it is")
        return
    current = intake.get("/v1/checklists/current")
    if _sieve(current) == _sieve(book.checklist):
        report.note(f"sieve: checklist v{current['version']} in force already")
        return
    published = intake.call("POST", "/v1/checklists", json=book.checklist).json()
    report.note(f"sieve: checklist v{published['version']} published", "checklist published")


def _sieve(checklist: dict[str, Any]) -> dict[str, Any]:
    """A checklist with its defaults filled in and its version left out, for comparing."""
    defaults = {"required": [], "disqualifiers": [], "signals": [], "target_from": 40,
                "nurture_from": 20, "hot_from": 70, "warm_from": 40,
                "recheck_days": 30}  # fmt: skip
    plain = {**defaults, **{k: v for k, v in checklist.items() if k != "version"}}
    for rules in ("disqualifiers", "signals"):
        plain[rules] = [{"value": None, "weight": 0, **rule} for rule in plain[rules]]
    return plain


def _sources(
    intake: Api, book: Playbook, existing: set[str], report: LoadReport, keys_dir: Path | None
) -> None:
    for source in book.sources:
        if source.source_id in existing:
            report.note(f"source {source.source_id}: registered already (its key is unchanged)")
            continue
        body = source.model_dump(exclude_none=True)
        key = str(intake.call("POST", "/v1/sources", json=body).json()["api_key"])
        report.source_keys[source.source_id] = key
        where = ""
        if keys_dir is not None:
            keys_dir.mkdir(parents=True, exist_ok=True)
            (keys_dir / f"{source.source_id}.key").write_text(key + "\n")
            where = f", its key written to {keys_dir / source.source_id}.key"
        report.note(f"source {source.source_id}: registered{where}", "sources registered")


def _key_accounts(router: Api, book: Playbook, report: LoadReport) -> None:
    for account in book.key_accounts:
        body = account.model_dump()
        created = router.call("POST", "/v1/key-accounts", json=body, ok=(201, 409))
        if created.status_code == 201:
            report.note(f"key account {account.account_id}: registered", "key accounts registered")
            continue
        owner = {"owner_rep_id": account.owner_rep_id}
        router.call("PUT", f"/v1/key-accounts/{account.account_id}/owner", json=owner)
        report.note(f"key account {account.account_id}: registered already, owner set")


def _portfolios(followup: Api, farmers: list[RepSpec], report: LoadReport, deadline: float) -> None:
    wanted = {f.rep_id for f in farmers}

    def enrolled() -> dict[str, Any] | None:
        listed = {f["farmer_id"]: f for f in followup.get("/v1/farmers")}
        return listed if wanted <= set(listed) else None

    listed = wait_for(enrolled, deadline=deadline, what=f"followup to enrol {sorted(wanted)}")
    for farmer in farmers:
        rules = _portfolio(farmer)
        if _held(listed[farmer.rep_id]) == _held(rules):
            report.note(f"farmer {farmer.rep_id}: portfolio as in the playbook already")
            continue
        followup.call("PUT", f"/v1/farmers/{farmer.rep_id}/portfolio", json=rules)
        report.note(f"farmer {farmer.rep_id}: portfolio set", "portfolios set")


def _held(rules: dict[str, Any]) -> dict[str, Any]:
    """Portfolio rules as followup keeps them: tags trimmed, case-folded and sorted."""
    tags = ("territories", "segments", "product_lines")
    folded = {k: sorted({str(v).strip().casefold() for v in rules.get(k) or ()}) for k in tags}
    return {**folded, "cap": rules.get("cap"), "team_lead_id": rules.get("team_lead_id")}


def _portfolio(farmer: RepSpec) -> dict[str, Any]:
    portfolio = farmer.portfolio
    return {
        "territories": farmer.territories or [],
        "segments": farmer.segments or [],
        "product_lines": farmer.product_lines or [],
        "cap": portfolio.cap if portfolio else None,
        "team_lead_id": portfolio.team_lead_id if portfolio else None,
    }
