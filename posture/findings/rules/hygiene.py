"""Policy hygiene: policies that select nothing, rules that never decide anything, and staged
policies that would change verdicts if they were enforced."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from posture.engine.index import Index, PolicySet
from posture.engine.peers import PeerKind
from posture.findings.model import Finding, RuleInfo, Severity, Subject
from posture.findings.registry import Analysis, Registry
from posture.findings.rules.common import early_denies, has_pair
from posture.model.policy import Action, Direction, Policy, PolicyKind, Tier
from posture.reachability.compare import changes
from posture.reachability.matrix import build_matrix

MEASURE = "policy-hygiene"

SELECTS_NOTHING = RuleInfo(
    "PST-HYG-001",
    Severity.LOW,
    "Policy selects no endpoint",
    MEASURE,
    "Fix the selector (labels are case-sensitive; namespaced policies only select pods of "
    "their own namespace) or delete the policy.",
)
NEVER_DECIDES = RuleInfo(
    "PST-HYG-002",
    Severity.LOW,
    "Rule never decides anything: an earlier rule or policy always decides first",
    MEASURE,
    "Reorder (policy order, tier order, rule order) or delete the unreachable rule.",
)
STAGED_CHANGES = RuleInfo(
    "PST-HYG-003",
    Severity.INFO,
    "Staged policy would change verdicts if enforced",
    MEASURE,
    "Review the paths listed before enforcing the staged policy.",
)

_ENFORCED = {
    PolicyKind.STAGED_GLOBAL: PolicyKind.GLOBAL,
    PolicyKind.STAGED_NAMESPACED: PolicyKind.NAMESPACED,
    PolicyKind.STAGED_KUBERNETES: PolicyKind.KUBERNETES,
}


def _subject(p: Policy) -> Subject:
    api = p.ref.api_version or "projectcalico.org/v3"
    return Subject(p.ref.kind, p.ref.name, p.ref.namespace, api)


def selects_nothing(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    idx = a.index
    wep_labels = {p.labels for p in idx.wep_pods}
    hep_labels = {h.labels for h in a.snapshot.host_endpoints}
    if not wep_labels and not hep_labels:
        return
    # The index finds the policies that select a label set without testing every policy
    # (memoised per label set); only unusual policies are tested directly.
    selected: set[int] = set()
    for labels, sets in (
        (wep_labels, (PolicySet.NORMAL,)),
        (hep_labels, tuple(PolicySet)),
    ):
        for lbl in labels:
            for which in sets:
                for direction in Direction:
                    for group in idx.applicable(lbl, direction, which):
                        selected.update(id(p) for p in group.policies)
    everything = wep_labels | hep_labels
    for p in a.snapshot.policies:
        if id(p) in selected:
            continue
        if (not p.types or not p.normal) and any(p.selector.matches(lbl) for lbl in everything):
            continue
        yield info.finding(
            message=f"{p.ref} ({p.selector_text}) selects no pod or host "
            "endpoint, so none of its rules apply.",
            subjects=(_subject(p),),
            count=1,
            key_extra=str(p.ref),
        )


def never_decides(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    usage = a.rule_usage
    for name, direction, index in usage.shadowed():
        if early_denies(a, usage, (name, direction, index)):
            continue  # reported by PST-DENY-005, which names what the early Deny silences
        pol = usage.policies[name]
        rule = pol.rules(direction)
        action = next((r.action for r in rule if r.index == index), Action.ALLOW)
        by = usage.shadowers.get((name, direction, index), [])
        who = (
            "; ".join(
                f"{s.policy_name or 'tier ' + s.tier} rule {s.rule} ({s.action.value})"
                if s.rule is not None
                else f"{s.policy_name or 'tier ' + s.tier} ({s.action.value})"
                for s in by
            )
            or "an earlier decision"
        )
        yield info.finding(
            message=f"{name} {direction.value.lower()} rule {index} ({action.value}) matches "
            f"traffic, but {who} always decides it first.",
            subjects=(_subject(pol),),
            because=tuple(s.describe() for s in by),
            count=1,
            key_extra=f"{name}|{direction.value}|{index}",
        )


def staged_changes(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    snap = a.snapshot
    if not snap.staged_policies:
        return

    classes = a.matrix.classes
    u = a.index.universe
    for staged in snap.staged_policies:
        enforced = dataclasses.replace(staged, kind=_ENFORCED[staged.kind])
        tiers = snap.tiers
        if snap.tier(staged.tier) is None:
            tiers = (*tiers, Tier(staged.tier, None, Action.DENY, exists=False))
        alt = dataclasses.replace(snap, policies=(*snap.policies, enforced), tiers=tiers)
        opened = closed = 0
        examples: list[tuple[str, str, str, str]] = []
        for change in changes(a.matrix, build_matrix(Index(alt), classes)):
            before, after = change.before, change.after
            if before - after:
                closed += change.pairs
            if after - before:
                opened += change.pairs
            pair = next(
                (
                    (s, d)
                    for s in sorted(change.srcs, key=lambda c: c.id)
                    if s.kind is PeerKind.POD
                    for d in sorted(change.dsts, key=lambda c: c.id)
                    if has_pair(s, d, change.relation)
                ),
                None,
            )
            if pair is not None:
                src, dst = pair
                text = (
                    f"{src.name} → {dst.name} ({change.relation.value}): "
                    f"{before.describe(u)} becomes {after.describe(u)}"
                )
                examples.append((src.id, dst.id, change.relation.value, text))
        example = min(examples)[3] if examples else ""
        if not (opened or closed):
            continue
        yield info.finding(
            message=f"Enforcing {staged.ref} would close paths for {closed} endpoint pairs and "
            f"open paths for {opened}" + (f"; e.g. {example}" if example else "") + ".",
            subjects=(_subject(staged),),
            count=opened + closed,
            key_extra=str(staged.ref),
        )


def register(registry: Registry) -> None:
    registry.add(SELECTS_NOTHING, selects_nothing)
    registry.add(NEVER_DECIDES, never_decides)
    registry.add(STAGED_CHANGES, staged_changes)
