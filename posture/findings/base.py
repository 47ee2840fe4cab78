"""Finding, severity and the rule registry.

Rules are registered explicitly in a :class:`Registry` that callers build and pass in (no
import-time discovery, no global state). A rule gets the :class:`Analysis` and yields findings;
it must prefer saying nothing over saying something false.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from posture.engine.index import Index
from posture.engine.verdict import Step
from posture.model.snapshot import Snapshot
from posture.reachability.matrix import Matrix, build_matrix

if TYPE_CHECKING:
    from posture.findings.shadow import RuleUsage
    from posture.model.policy import Direction
    from posture.reachability.classes import EndpointClass


class Severity(enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


@dataclass(frozen=True, slots=True, order=True)
class Subject:
    """An ObjectReference-like pointer at what a finding is about."""

    kind: str
    name: str
    namespace: str = ""
    api_version: str = ""

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.namespace}/{self.name}"
            if self.namespace
            else (f"{self.kind} {self.name}")
        )


@dataclass(frozen=True, slots=True)
class PathInfo:
    src: str
    dst: str
    protocols: str  # e.g. "TCP 10250; UDP *"
    relation: str = ""  # same-node / other-node / -


@dataclass(frozen=True, slots=True)
class Finding:
    check_id: str
    severity: Severity
    title: str
    message: str
    subjects: tuple[Subject, ...] = ()
    path: PathInfo | None = None
    encrypted: str = "unknown"  # true | false | unknown | n/a
    because: tuple[str, ...] = ()
    remediation: str = ""
    count: int = 0  # affected endpoints (or pairs), for grouping
    key_extra: str = ""  # disambiguates findings of one rule on the same subjects

    @property
    def id(self) -> str:
        """Stable across runs on the same input: hash of rule, subjects and path."""
        h = hashlib.sha256()
        h.update(self.check_id.encode())
        for s in sorted(self.subjects):
            h.update(f"|{s.kind}/{s.namespace}/{s.name}".encode())
        if self.path:
            h.update(f"|{self.path.src}>{self.path.dst}|{self.path.relation}".encode())
        h.update(self.key_extra.encode())
        return f"{self.check_id}-{h.hexdigest()[:12]}"


def steps_text(steps: Iterable[Step]) -> tuple[str, ...]:
    return tuple(s.describe() for s in steps)


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    severity: Severity  # default severity; a finding may carry another
    title: str
    measure: str  # the checklist measure it belongs to
    remediation: str = ""


RuleFn = Callable[["Analysis", RuleInfo], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class RegisteredRule:
    info: RuleInfo
    fn: RuleFn


@dataclass(slots=True)
class Registry:
    rules: list[RegisteredRule] = field(default_factory=list)

    def rule(self, info: RuleInfo) -> Callable[[RuleFn], RuleFn]:
        def deco(fn: RuleFn) -> RuleFn:
            if any(r.info.id == info.id for r in self.rules):
                raise ValueError(f"duplicate rule id {info.id}")
            self.rules.append(RegisteredRule(info, fn))
            return fn

        return deco

    def add(self, info: RuleInfo, fn: RuleFn) -> None:
        self.rule(info)(fn)

    def __iter__(self) -> Iterator[RegisteredRule]:
        return iter(self.rules)

    def info(self, rule_id: str) -> RuleInfo | None:
        return next((r.info for r in self.rules if r.info.id == rule_id), None)


class Analysis:
    """Everything a rule may look at; expensive parts are computed once, on first use."""

    def __init__(
        self, snapshot: Snapshot, index: Index | None = None, today: date | None = None
    ) -> None:
        self.snapshot = snapshot
        self.index = index or Index(snapshot)
        # The day findings are judged on (end-of-life dates); fixed per run for repeatability.
        self.today = today or date.today()

    @cached_property
    def matrix(self) -> Matrix:
        return build_matrix(self.index)

    @cached_property
    def default_open(self) -> dict[Direction, list[EndpointClass]]:
        """Pod classes whose unmentioned traffic falls through to the profile, by direction."""
        from posture.findings.rules.default_deny import compute_default_open

        return compute_default_open(self)

    @cached_property
    def rule_usage(self) -> RuleUsage:
        from posture.findings.shadow import rule_usage

        return rule_usage(self)


def run_rules(registry: Registry, analysis: Analysis) -> list[Finding]:
    out: list[Finding] = []
    for r in registry:
        out.extend(r.fn(analysis, r.info))
    out.sort(key=lambda f: (-f.severity.rank, f.check_id, f.id))
    return out
