"""A playbook file: a department structure as sources, a sieve, reps, key accounts, a
routing policy and a scenario of leads with where each must go."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, model_validator

from conveyor.devkit.playbooks_checks import problems

DIRECTORY_VARIABLE = "CONVEYOR_PLAYBOOKS"
CHECKLISTS = "checklists"
DIRECT = "direct"
"""The pool an assignment names when the rule targeted a named rep or an account owner."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceSpec(_Spec):
    """A source registered with intake (a website, a call centre, a partner)."""

    source_id: str
    name: str
    channel: str = "web_form"
    rate_limit_per_minute: int | None = None


class PortfolioSpec(_Spec):
    """A farmer's portfolio settings in followup."""

    cap: int | None = None
    team_lead_id: str | None = None


class RepSpec(_Spec):
    """A rep as the router registers it, and for a farmer the portfolio followup keeps."""

    rep_id: str
    name: str
    role: Literal["hunter", "farmer", "team_lead"]
    pools: list[str] = Field(default_factory=lambda: ["default"], min_length=1)
    time_zone: str = "UTC"
    active: bool = True
    territories: list[str] | None = None
    segments: list[str] | None = None
    product_lines: list[str] | None = None
    languages: list[str] | None = None
    working_hours: dict[str, list[list[str]]] | None = None
    capacity: dict[str, int | None] | None = None
    weight: int | None = None
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    portfolio: PortfolioSpec | None = None

    def router_body(self) -> dict[str, Any]:
        """The body of ``POST /v1/reps`` (without a webhook URL)."""
        return self.model_dump(exclude={"portfolio"}, exclude_none=True)


class KeyAccountSpec(_Spec):
    """A key account and the rep who owns it."""

    account_id: str
    name: str
    owner_rep_id: str
    domains: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)


class PolicySpec(_Spec):
    """The routing policy, in the router's own format (rules and fallback)."""

    rules: list[dict[str, Any]] = Field(min_length=1)
    fallback: dict[str, Any] = Field(default_factory=dict)


class Expectation(_Spec):
    """Where a scenario lead must end up: intake's verdict, and for a target the rep (or
    one of several), the pool and the rule; with ``farmer``, the deal is reported won and
    followup must hand the client to that farmer."""

    verdict: Literal["target", "nurture", "reject"] = "target"
    rep: str | None = None
    rep_in: list[str] | None = None
    pool: str | None = None
    rule: str | None = None
    farmer: str | None = None

    def reps(self) -> list[str]:
        """The reps the lead may go to (empty: any)."""
        return [self.rep] if self.rep else list(self.rep_in or ())


class ScenarioLead(_Spec):
    """A lead posted by a source, and where the structure says it must go."""

    name: str
    source: str | None = None
    lead: dict[str, Any]
    expect: Expectation


class Playbook(_Spec):
    """A whole department structure, ready to load."""

    name: str
    title: str
    description: str
    sources: list[SourceSpec] = Field(min_length=1)
    checklist: dict[str, Any] | None = None
    """Intake's checklist (the sieve); a file names one from ``checklists/`` by name."""
    reps: list[RepSpec] = Field(min_length=1)
    key_accounts: list[KeyAccountSpec] = Field(default_factory=list)
    policy: PolicySpec
    scenario: list[ScenarioLead] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Playbook:
        if found := problems(self):
            raise ValueError("; ".join(found))
        return self

    def source_of(self, lead: ScenarioLead) -> str:
        """The source that posts a scenario lead (the first source unless it names one)."""
        return lead.source or self.sources[0].source_id


def directory() -> Path:
    """Where the playbooks live: ``$CONVEYOR_PLAYBOOKS``, else ``playbooks/`` of the
    repository."""
    if configured := os.environ.get(DIRECTORY_VARIABLE):
        return Path(configured)
    return Path(__file__).resolve().parents[4] / "playbooks"


def names(folder: Path | None = None) -> list[str]:
    """The playbooks in a folder, by name."""
    return sorted(p.stem for p in (folder or directory()).glob("*.yaml"))


def path_of(name_or_path: str, folder: Path | None = None) -> Path:
    """A playbook's file: a path as given, or ``<name>.yaml`` in the playbooks folder."""
    given = Path(name_or_path)
    if given.suffix in (".yaml", ".yml") or given.exists():
        return given
    return (folder or directory()) / f"{name_or_path}.yaml"


def read(name_or_path: str, folder: Path | None = None) -> Playbook:
    """Read and check a playbook; a named checklist comes from ``checklists/<name>.yaml``
    beside the playbooks."""
    path = path_of(name_or_path, folder)
    if not path.exists():
        raise FileNotFoundError(f"no playbook {name_or_path!r} (looked for {path})")
    data = yaml.safe_load(path.read_text())
    if isinstance(data, dict) and isinstance(data.get("checklist"), str):
        data["checklist"] = _named_checklist(data["checklist"], path.parent, folder)
    return Playbook.model_validate(data)


def _named_checklist(name: str, beside: Path, folder: Path | None) -> Any:
    """A named checklist from beside the playbook, else from the playbooks folder."""
    for base in (beside, folder or directory()):
        if (named := base / CHECKLISTS / f"{name}.yaml").exists():
            return yaml.safe_load(named.read_text())
    raise FileNotFoundError(f"no checklist {name!r} in {beside / CHECKLISTS}")
