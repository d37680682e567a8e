"""A routing policy: ordered rules, a fallback chain, and versions that take effect in time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from conveyor.router.domain.conditions import OPERATORS, Condition
from conveyor.router.domain.sla import SlaError, sla_from_dict

STRATEGIES = ("round_robin", "weighted_round_robin", "least_loaded")
OUTSIDE_HOURS = ("exclude", "next_window")
REP_ATTRIBUTES = ("territories", "segments", "product_lines", "languages")


class PolicyError(ValueError):
    """A policy that cannot be used as written, or a version that does not exist."""


@dataclass(frozen=True)
class Rule:
    """When every condition holds, offer the lead to the target (pool, rep or account owner).

    ``match_rep`` narrows a pool to reps whose attribute (territories...) holds the lead's
    field value, so a product x territory matrix is one rule, not one rule per cell.
    ``outside_hours`` says what happens when nobody in the target is eligible now:
    ``exclude`` (reps outside their working hours are left out) or ``next_window`` (the
    lead goes to the rep, otherwise eligible, whose next working window starts first).
    """

    name: str
    when: tuple[Condition, ...] = ()
    pool: str | None = None
    rep: str | None = None
    key_account_owner: bool = False
    strategy: str = "round_robin"
    match_rep: Mapping[str, str] = field(default_factory=dict)
    roles: tuple[str, ...] = ("hunter",)
    on_no_candidate: str = "next_rule"
    sla: Mapping[str, Any] | None = None
    outside_hours: str = "exclude"

    @property
    def target(self) -> str:
        """The target in words."""
        if self.key_account_owner:
            return "the key-account owner"
        return f"rep {self.rep}" if self.rep else f"pool {self.pool}"


@dataclass(frozen=True)
class Policy:
    """A version of the ordered rules and what to do when none of them finds a rep."""

    version: int
    rules: tuple[Rule, ...]
    last_resort_pool: str | None = None
    team_lead: bool = False


DEFAULT_POLICY = Policy(0, (Rule("default", pool="default"),))


def rule_from_dict(data: Mapping[str, Any]) -> Rule:
    """A rule from its JSON shape (as published in RoutingPolicyPublished)."""
    when = tuple(Condition(c["field"], c["op"], c.get("value")) for c in data.get("when", ()))
    rule = Rule(
        name=data["name"],
        when=when,
        pool=data.get("pool"),
        rep=data.get("rep"),
        key_account_owner=bool(data.get("key_account_owner", False)),
        strategy=data.get("strategy", "round_robin"),
        match_rep=dict(data.get("match_rep", {})),
        roles=tuple(data.get("roles", ("hunter",))),
        on_no_candidate=data.get("on_no_candidate", "next_rule"),
        sla=data.get("sla"),
        outside_hours=data.get("outside_hours", "exclude"),
    )
    check_rule(rule)
    return rule


def check_rule(rule: Rule) -> None:
    """Raise PolicyError naming what is wrong with a rule."""
    targets = [rule.pool is not None, rule.rep is not None, rule.key_account_owner]
    if sum(targets) != 1:
        raise PolicyError(f"rule {rule.name}: give exactly one of pool, rep, key_account_owner")
    if rule.strategy not in STRATEGIES:
        raise PolicyError(f"rule {rule.name}: unknown strategy {rule.strategy!r}")
    if rule.on_no_candidate not in ("next_rule", "fallback"):
        raise PolicyError(f"rule {rule.name}: on_no_candidate is next_rule or fallback")
    if rule.outside_hours not in OUTSIDE_HOURS:
        raise PolicyError(f"rule {rule.name}: outside_hours is exclude or next_window")
    for condition in rule.when:
        if condition.op not in OPERATORS:
            raise PolicyError(f"rule {rule.name}: unknown operator {condition.op!r}")
        if condition.op in ("range", "between") and len(condition.value or ()) != 2:
            raise PolicyError(f"rule {rule.name}: {condition.op} takes [low, high]")
    if unknown := set(rule.match_rep) - set(REP_ATTRIBUTES):
        raise PolicyError(f"rule {rule.name}: match_rep knows {REP_ATTRIBUTES}, not {unknown}")
    if rule.sla is not None:
        try:
            sla_from_dict(rule.sla, path=f"rule {rule.name}: sla")
        except SlaError as exc:
            raise PolicyError(f"{exc.field}: {exc.reason}") from None


def policy_from_dict(
    version: int, rules: Sequence[Mapping[str, Any]], fallback: Mapping[str, Any]
) -> Policy:
    """A policy from the JSON shapes of its rules and fallback chain."""
    names = [r.get("name") for r in rules]
    if len(set(names)) != len(names):
        raise PolicyError("rule names must be unique")
    return Policy(
        version=version,
        rules=tuple(rule_from_dict(r) for r in rules),
        last_resort_pool=fallback.get("pool"),
        team_lead=bool(fallback.get("team_lead", False)),
    )


@dataclass(frozen=True)
class Activation:
    """From ``effective_at`` on, ``version`` is the policy in force."""

    effective_at: datetime
    version: int
    kind: str = "published"


@dataclass
class PolicyBook:
    """Every policy version, drafts included, and when each took (or takes) effect."""

    versions: dict[int, Policy] = field(default_factory=lambda: {0: DEFAULT_POLICY})
    activations: list[Activation] = field(default_factory=list)

    def add(self, policy: Policy) -> None:
        """Keep a version (a draft until an activation names it)."""
        self.versions[policy.version] = policy

    def activate(self, activation: Activation) -> None:
        """Record that a version takes effect at a time."""
        if activation.version not in self.versions:
            raise PolicyError(f"no policy version {activation.version}")
        self.activations.append(activation)

    def active_version(self, moment: datetime) -> int:
        """The version in force at a moment (the latest activation not after it)."""
        due = [(a.effective_at, n, a.version) for n, a in enumerate(self.activations)]
        in_force = [item for item in due if item[0] <= moment]
        return max(in_force)[2] if in_force else 0

    def active(self, moment: datetime) -> Policy:
        """The policy in force at a moment."""
        return self.versions[self.active_version(moment)]

    def previous_version(self, moment: datetime) -> int:
        """The version that was in force before the one in force now (for rollback)."""
        current = self.active_version(moment)
        history = [a for a in self.activations if a.effective_at <= moment]
        history.sort(key=lambda a: a.effective_at)
        earlier = [a.version for a in history if a.version != current]
        if not earlier:
            return 0
        return earlier[-1]

    def next_version(self) -> int:
        """The number a new draft gets."""
        return max(self.versions) + 1
