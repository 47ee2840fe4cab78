"""The rule registry and what rules read.

Rules are registered explicitly in a :class:`Registry` that callers build and pass in (no
import-time discovery, no global state). A rule gets the :class:`Analysis` and yields findings;
it must prefer saying nothing over saying something false.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from posture.engine.index import Index
from posture.findings.merge import merge_findings
from posture.findings.model import Finding, RuleInfo
from posture.model.policy import Direction
from posture.model.snapshot import Snapshot
from posture.reachability.classes import EndpointClass
from posture.reachability.matrix import Matrix
from posture.reachability.usage import RuleUsage

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


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything a rule may look at, computed once before any rule runs (``pipeline.analyse``).

    ``today`` is the day findings are judged on (end-of-life dates): the UTC date of the
    check's clock, fixed per run for repeatability. ``default_open`` and ``rule_usage`` are
    the chain analyses several checks share (``posture.reachability.chains`` / ``.usage``).
    """

    snapshot: Snapshot
    index: Index
    matrix: Matrix
    today: date
    default_open: Mapping[Direction, tuple[EndpointClass, ...]]
    rule_usage: RuleUsage


def run_rules(registry: Registry, analysis: Analysis) -> list[Finding]:
    found: list[Finding] = []
    for r in registry:
        found.extend(r.fn(analysis, r.info))
    out = merge_findings(found)
    out.sort(key=lambda f: (-f.severity.rank, f.check_id, f.id))
    return out
