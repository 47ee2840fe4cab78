"""The shape of the default-deny: one direction only, scoped so it misses endpoints, breaking
DNS or the control plane, or ordered so that it silences allow policies (calico-semantics §8)."""

from __future__ import annotations

from collections.abc import Iterable

from posture.engine.flows import parse_flow
from posture.engine.path import PathEngine
from posture.engine.peers import Peer, PeerKind
from posture.engine.verdict import Step
from posture.findings.exclusion import still_open
from posture.findings.model import Finding, PathInfo, RuleInfo, Severity, Subject
from posture.findings.registry import Analysis, Registry
from posture.findings.rules.common import early_denies, namespace_subjects, pods_phrase
from posture.model.policy import Action, Direction, Policy, PolicyKind, Rule
from posture.reachability.classes import EndpointClass

MEASURE = "cluster-default-deny"
CONTROL_PLANE_NAMESPACES = ("kube-system", "calico-system", "tigera-operator", "calico-apiserver")

ONE_DIRECTION = RuleInfo(
    "PST-DENY-002",
    Severity.MEDIUM,
    "The cluster-wide default-deny covers only one direction",
    MEASURE,
    "Cover both directions without silencing allows: a GlobalNetworkPolicy selecting every "
    "pod with types Ingress and Egress, no rules and no order, plus DNS and control-plane "
    "allows in a tier before default: `posture fix` writes exactly this "
    "(posture-default-deny, tier posture-baseline).",
)
MISSES_ENDPOINTS = RuleInfo(
    "PST-DENY-003",
    Severity.MEDIUM,
    "A default-deny policy misses endpoints",
    MEASURE,
    "Widen the policy's selector / namespaceSelector so that it selects every pod (and, if "
    "intended, host endpoints), or add a second default-deny for what it misses.",
)
BREAKS_CLUSTER = RuleInfo(
    "PST-DENY-004",
    Severity.HIGH,
    "Policy blocks DNS or the control plane",
    MEASURE,
    "Allow DNS (UDP and TCP 53 to kube-dns) from every pod and TCP 6443 to the API server from "
    "the control-plane namespaces in a tier evaluated before the deny: `posture fix` writes "
    "them as allow policies of tier posture-baseline, next to posture-default-deny.",
)
SHADOWS_ALLOWS = RuleInfo(
    "PST-DENY-005",
    Severity.HIGH,
    "An early Deny silences allow policies that come after it",
    MEASURE,
    "Give the default-deny no explicit Deny rule and no order (it is then evaluated after "
    "every other default-tier policy, and the end-of-tier deny does the denying), or move it "
    "to order > 1000.",
)


def _unconditional(rule: Rule) -> bool:
    return (
        rule.protocol is None
        and rule.not_protocol is None
        and rule.icmp is None
        and rule.not_icmp is None
        and rule.ip_version is None
        and rule.source.unconstrained
        and rule.destination.unconstrained
    )


def ends_in_deny(p: Policy, direction: Direction) -> bool:
    """The policy denies everything its earlier rules did not decide in ``direction``."""
    if direction not in p.types:
        return False
    return any(r.action is Action.DENY and _unconditional(r) for r in p.rules(direction))


def _selected(a: Analysis, p: Policy) -> list[EndpointClass]:
    return [c for c in a.matrix.classes if c.pods and p.selector.matches(c.pods[0].labels)]


def _pod_classes(a: Analysis) -> list[EndpointClass]:
    return [c for c in a.matrix.classes if c.kind is PeerKind.POD]


def _deny_policies(a: Analysis, direction: Direction) -> list[Policy]:
    return [
        p
        for p in a.index.policies
        if p.kind in (PolicyKind.GLOBAL, PolicyKind.NAMESPACED) and ends_in_deny(p, direction)
    ]


def isolates(a: Analysis, p: Policy, direction: Direction) -> bool:
    """Traffic that reaches the end of this policy's tier without a decision is denied:
    an unconditional Deny rule, or the tier's end-of-tier deny (defaultAction Deny)."""
    if direction not in p.types:
        return False
    if ends_in_deny(p, direction):
        return True
    tier = a.index.tiers.get(p.tier)
    return tier is not None and tier.default_action is Action.DENY


def _wide_global(a: Analysis, direction: Direction) -> list[tuple[Policy, list[EndpointClass]]]:
    """Global policies that isolate most pod groups in ``direction`` (meant as default-denies)."""
    pods = _pod_classes(a)
    out = []
    for p in a.index.policies:
        if p.kind is not PolicyKind.GLOBAL or not isolates(a, p, direction):
            continue
        selected = _selected(a, p)
        if selected and len(selected) * 2 >= len(pods):
            out.append((p, selected))
    return out


def _policy_subject(p: Policy) -> Subject:
    return Subject(
        p.ref.kind, p.ref.name, p.ref.namespace, p.ref.api_version or "projectcalico.org/v3"
    )


def one_direction(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    """Every pod is default-denied in one direction, while traffic nobody mentions still
    falls through to the namespace profile's Allow in the other."""
    open_by_dir = {d: still_open(a, d) for d in Direction}
    if not _pod_classes(a):
        return
    for covered, missing in (
        (Direction.INGRESS, Direction.EGRESS),
        (Direction.EGRESS, Direction.INGRESS),
    ):
        if open_by_dir[covered] or not open_by_dir[missing]:
            continue
        wide = [p for p, sel in _wide_global(a, covered) if len(sel) == len(_pod_classes(a))]
        by = f"{wide[0].ref} denies" if wide else "Policies deny"
        phrase, count = pods_phrase(open_by_dir[missing])
        yield info.finding(
            message=f"{by} {covered.value.lower()} traffic for every pod, but "
            f"{missing.value.lower()} traffic nobody mentions is still allowed for {phrase}.",
            subjects=tuple(_policy_subject(p) for p in wide[:1]),
            count=count,
            key_extra=missing.value,
        )


def misses_endpoints(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    """A global default-deny that isolates most pods, while the pods it does not select fall
    through to the profile's Allow (no other policy isolates them)."""
    for d in Direction:
        # System namespaces left out as Calico recommends are PST-DENY-006, not a miss.
        still = still_open(a, d)
        open_ids = {id(c) for c in still}
        if not open_ids:
            continue
        for p, selected in _wide_global(a, d):
            chosen = {id(c) for c in selected}
            missed = [c for c in still if id(c) not in chosen]
            # It must be a working default-deny where it applies, and miss someone.
            if not missed or chosen & open_ids:
                continue
            phrase, count = pods_phrase(missed)
            yield info.finding(
                title=f"{info.title} ({d.value})",
                message=f"{p.ref} ({p.selector_text}) denies "
                f"{d.value.lower()} traffic by default but does not select {phrase}, and no "
                "other default-deny does.",
                subjects=(_policy_subject(p), *namespace_subjects(c.namespace for c in missed)),
                count=count,
                key_extra=f"{p.ref}|{d.value}",
            )


def breaks_cluster(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    idx = a.index
    engine = PathEngine(idx)
    pods = _pod_classes(a)
    dns = next((c for c in pods if c.pods[0].labels.get("k8s-app") == "kube-dns"), None)
    if dns is not None:
        blocked: dict[str, list[tuple[EndpointClass, tuple[Step, ...]]]] = {}
        for c in pods:
            if c is dns:
                continue
            for port in ("53/UDP", "53/TCP"):
                parts = engine.decide(c.rep, dns.rep, parse_flow(port, idx.universe))
                denied = [v for _, v in parts if not v.allowed]
                if denied:
                    blocked.setdefault(port, []).append((c, denied[0].steps))
        for port, items in sorted(blocked.items()):
            phrase, count = pods_phrase(c for c, _ in items)
            yield info.finding(
                title=f"{info.title}: DNS ({port})",
                message=f"{phrase} cannot resolve names: {port} to kube-dns is denied.",
                subjects=namespace_subjects(c.namespace for c, _ in items),
                path=PathInfo(phrase, dns.name, port, "-"),
                steps=items[0][1],
                count=count,
                key_extra="dns",  # one root cause: both ports merge into one finding
            )
    api = _api_server(a)
    if api is None:
        return
    stuck = []
    for c in pods:
        if c.namespace not in CONTROL_PLANE_NAMESPACES:
            continue
        parts = engine.decide(c.rep, api, parse_flow("6443/TCP", idx.universe))
        denied = [v for _, v in parts if not v.allowed]
        if denied:
            stuck.append((c, denied[0].steps))
    if stuck:
        phrase, count = pods_phrase(c for c, _ in stuck)
        yield info.finding(
            title=f"{info.title}: API server",
            message=f"control-plane {phrase} cannot reach the Kubernetes API server "
            f"({api.name}, TCP 6443).",
            subjects=namespace_subjects(c.namespace for c, _ in stuck),
            path=PathInfo(phrase, api.name, "TCP 6443", "-"),
            steps=stuck[0][1],
            count=count,
            key_extra="api",
        )


def _api_server(a: Analysis) -> Peer | None:
    """A node address where the API server listens: a kube-apiserver hostNetwork pod's node,
    else a node labelled control-plane."""
    idx = a.index
    for node_name, pods in sorted(idx.host_network_pods.items()):
        for p in pods:
            if p.labels.get("component") == "kube-apiserver" and node_name in idx.nodes:
                return idx.host_peer(idx.nodes[node_name])
    for n in a.snapshot.nodes:
        if "node-role.kubernetes.io/control-plane" in n.labels and n.addresses:
            return idx.host_peer(n)
    return None


def shadows_allows(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    usage = a.rule_usage
    by_shadower: dict[str, set[str]] = {}
    for key in usage.shadowed():
        name, direction, index = key
        for shadower in early_denies(a, usage, key):
            by_shadower.setdefault(shadower, set()).add(
                f"{name} {direction.value.lower()} rule {index}"
            )
    for shadower, shadowed in sorted(by_shadower.items()):
        items = sorted(shadowed)
        shown = "; ".join(items[:8]) + (f"; and {len(items) - 8} more" if len(items) > 8 else "")
        yield info.finding(
            message=f"{shadower} denies before the Kubernetes NetworkPolicies (order 1000) are "
            f"consulted, so these allow rules never take effect: {shown}.",
            because=(f"{shadower} decides first in tier default",),
            subjects=tuple(
                _policy_subject(p) for p in (a.index.policy_by_name.get(shadower),) if p
            ),
            count=len(items),
            key_extra=shadower,
        )


def register(registry: Registry) -> None:
    registry.add(ONE_DIRECTION, one_direction)
    registry.add(MISSES_ENDPOINTS, misses_endpoints)
    registry.add(BREAKS_CLUSTER, breaks_cluster)
    registry.add(SHADOWS_ALLOWS, shadows_allows)
