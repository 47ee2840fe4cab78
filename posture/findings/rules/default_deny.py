"""Default-deny posture: is traffic nobody allowed actually denied, for every pod and direction?

A pod is default-denied in a direction when traffic that no rule mentions cannot reach the
``kns.<namespace>`` profile, whose rules allow everything (calico-semantics §2.6): some tier that
applies to the pod must end it with a Deny (an explicit catch-all rule or the end-of-tier deny).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from posture.engine.chain import evaluate
from posture.engine.index import Index
from posture.engine.peers import Peer
from posture.engine.verdict import Decision
from posture.findings.base import Analysis, Finding, Registry, RuleInfo, Severity
from posture.findings.rules.common import anonymous_peer, namespace_subjects, pods_phrase
from posture.findings.shadow import local_signature
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


def falls_through(index: Index, cls: EndpointClass, direction: Direction, anon: Peer) -> bool:
    """True when some unmentioned traffic reaches the namespace profile's Allow."""
    pod = cls.pods[0]
    me = index.pod_peer(pod)
    src, dst = (me, anon) if direction is Direction.EGRESS else (anon, me)
    chain = index.workload_chain(pod, direction)
    for _, outcome in evaluate(chain, src, dst, index.universe.full(), index.ctx):
        if (
            outcome.decision is Decision.ALLOW
            and outcome.steps
            and (outcome.steps[-1].policy.startswith("Profile "))
        ):
            return True
    return False


def compute_default_open(a: Analysis) -> dict[Direction, list[EndpointClass]]:
    idx = a.index
    anon = anonymous_peer(idx)
    out: dict[Direction, list[EndpointClass]] = {d: [] for d in Direction}
    known: dict[Hashable, bool] = {}
    for cls in a.matrix.classes:
        if not cls.pods:
            continue
        for d in Direction:
            # Classes with the same chain and local signature fall through alike.
            chain = idx.workload_chain(cls.pods[0], d)
            key = local_signature(chain, cls.rep, idx.ctx)
            if key not in known:
                known[key] = falls_through(idx, cls, d, anon)
            if known[key]:
                out[d].append(cls)
    return out


def no_default_deny(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    open_by_dir = a.default_open
    for direction in (Direction.INGRESS, Direction.EGRESS):
        classes = open_by_dir[direction]
        if not classes:
            continue
        phrase, pods = pods_phrase(classes)
        yield Finding(
            check_id=info.id,
            severity=info.severity,
            title=f"{info.title} ({direction.value})",
            message=f"{phrase}: {direction.value.lower()} traffic that no policy mentions is "
            "allowed (it falls through to the namespace profile's Allow).",
            subjects=namespace_subjects(c.namespace for c in classes),
            remediation=info.remediation,
            count=pods,
            key_extra=direction.value,
        )


def register(registry: Registry) -> None:
    registry.add(NO_DEFAULT_DENY, no_default_deny)
