"""Default-deny posture: is traffic nobody allowed actually denied, for every pod and direction?

A pod is default-denied in a direction when traffic that no rule mentions cannot reach the
``kns.<namespace>`` profile, whose rules allow everything (calico-semantics §2.6): some tier that
applies to the pod must end it with a Deny (an explicit catch-all rule or the end-of-tier deny).
"""

from __future__ import annotations

from collections.abc import Iterable

from posture.engine.peers import PeerKind
from posture.findings.exclusion import exclusion, still_open
from posture.findings.model import Finding, RuleInfo, Severity
from posture.findings.ports import NODE_SERVICES
from posture.findings.registry import Analysis, Registry
from posture.findings.rules.common import has_pair, namespace_subjects, pods_phrase
from posture.model.policy import Direction
from posture.reachability.classes import EndpointClass

MEASURE = "cluster-default-deny"

NO_DEFAULT_DENY = RuleInfo(
    "PST-DENY-001",
    Severity.HIGH,
    "No cluster-wide default-deny",
    MEASURE,
    "Deny by default without silencing any allow: one GlobalNetworkPolicy selecting every pod "
    "for Ingress and Egress with no rules and no order (it is evaluated after every "
    "default-tier policy, Kubernetes NetworkPolicies included, and the end-of-tier deny denies "
    "what nothing allowed), plus DNS and control-plane allows in a tier before default: "
    "`posture fix` writes exactly this (posture-default-deny, tier posture-baseline).",
)


def no_default_deny(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    for direction in (Direction.INGRESS, Direction.EGRESS):
        # System namespaces left out as Calico recommends are PST-DENY-006, not this.
        classes = still_open(a, direction)
        if not classes:
            continue
        phrase, pods = pods_phrase(classes)
        yield info.finding(
            title=f"{info.title} ({direction.value})",
            message=f"{phrase}: {direction.value.lower()} traffic that no policy mentions is "
            "allowed (it falls through to the namespace profile's Allow).",
            subjects=namespace_subjects(c.namespace for c in classes),
            count=pods,
            key_extra=direction.value,
        )


EXCLUDED_BY_DESIGN = RuleInfo(
    "PST-DENY-006",
    Severity.LOW,
    "System namespaces excluded from the default-deny, as Calico recommends",
    MEASURE,
    "Nothing to change for the exclusion itself; give the system namespaces' pods policies of "
    "their own where the reach listed is more than they need (their exposure to the outside, "
    "if any, is reported separately).",
)


def _reach(a: Analysis, classes: Iterable[EndpointClass]) -> list[str]:
    """What pods of ``classes`` can still do that a default-deny would have stopped."""
    ids = {id(c) for c in classes}
    universe = a.index.universe
    from_outside = to_outside = False
    services: set[str] = set()
    namespaces: set[str] = set()
    for block in a.matrix.blocks:
        if block.src_kind is PeerKind.EXTERNAL and any(id(c) in ids for c in block.dsts):
            from_outside = from_outside or any(not s.rep.owners for s in block.srcs)
        mine = [c for c in block.srcs if id(c) in ids]
        if not mine:
            continue
        if block.dst_kind is PeerKind.EXTERNAL:
            to_outside = True
        elif block.dst_kind is PeerKind.HOST:
            if any(has_pair(s, d, block.relation) for s in mine for d in block.dsts):
                services |= {s.name for s in NODE_SERVICES if block.allowed & s.flows(universe)}
        elif block.dst_kind is PeerKind.POD:
            namespaces.update(
                d.namespace
                for d in block.dsts
                if d.namespace not in namespaces
                and any(s.namespace != d.namespace and has_pair(s, d, block.relation) for s in mine)
            )
    out = []
    if from_outside:
        out.append("accept connections from outside the cluster (see PST-LAT-003)")
    if to_outside:
        out.append("open connections to outside the cluster")
    if services:
        names = [s.name for s in NODE_SERVICES if s.name in services]  # most serious first
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        out.append(f"reach node services ({shown})")
    if namespaces:
        out.append(f"reach pods in {len(namespaces)} other namespace(s)")
    return out


def excluded_by_design(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    found = [e for d in Direction if (e := exclusion(a, d)) is not None]
    if not found:
        return
    classes = list({id(c): c for e in found for c in e.classes}.values())
    policies = sorted({str(p.ref) for e in found for p in e.policies})
    directions = " and ".join(e.direction.value.lower() for e in found)
    phrase, pods = pods_phrase(classes)
    reach = _reach(a, classes)
    can = f" They can still {'; '.join(reach)}." if reach else ""
    yield info.finding(
        message=f"{', '.join(policies)} denies every other pod by default but leaves out "
        f"{phrase} ({directions}), as Calico's recommended default deny does: their "
        f"unmentioned traffic falls through to the namespace profile's Allow.{can}",
        subjects=namespace_subjects(c.namespace for c in classes),
        count=pods,
    )


def register(registry: Registry) -> None:
    registry.add(NO_DEFAULT_DENY, no_default_deny)
    registry.add(EXCLUDED_BY_DESIGN, excluded_by_design)
