"""Lateral movement: namespaces open to every other namespace, pods that can talk to (or be
reached from) everything, workloads open to the outside world."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from posture.engine.chain import evaluate
from posture.engine.flows import Flows
from posture.engine.peers import Peer, PeerKind
from posture.findings.model import Finding, PathInfo, RuleInfo, Severity, steps_text
from posture.findings.registry import Analysis, Registry
from posture.findings.rules.common import (
    evidence,
    has_pair,
    namespace_subjects,
    pods_phrase,
    sample,
)
from posture.model.net import PortSet
from posture.model.policy import Direction
from posture.reachability.bits import ClassBits
from posture.reachability.chains import (
    anonymous_peer,
    excluded_group,
    local_signature,
    peer_representatives,
)
from posture.reachability.classes import EndpointClass
from posture.reachability.matrix import Block, Relation

MEASURE = "lateral-movement-contained"

NAMESPACE_OPEN = RuleInfo(
    "PST-LAT-001",
    Severity.MEDIUM,
    "Namespace reachable from every other namespace",
    MEASURE,
    "Give the namespace an ingress policy that admits only the namespaces and workloads that "
    "need it (a Kubernetes NetworkPolicy with namespaceSelector peers, or a Calico policy).",
)
UNRESTRICTED_PODS = RuleInfo(
    "PST-LAT-002",
    Severity.MEDIUM,
    "Pods with unrestricted egress or ingress",
    MEASURE,
    "Select these pods with policies for both directions that allow only what they need; a "
    "cluster-wide default-deny makes every unlisted path closed.",
)
WORLD_OPEN = RuleInfo(
    "PST-LAT-003",
    Severity.HIGH,
    "Workloads reachable from outside the cluster on any port",
    MEASURE,
    "Restrict ingress from outside the cluster to the ports the workload serves (ipBlock or "
    "nets rules with ports), or deny it.",
)


def _dns(universe_flows: Flows, a: Analysis) -> Flows:
    u = a.index.universe
    return Flows({u.key(17): PortSet.of(53), u.key(6): PortSet.of(53)}) & universe_flows


def _namespaces(classes: Iterable[EndpointClass]) -> set[str]:
    return {c.namespace for c in classes}


def _across(a: Analysis, block: Block, twin: bool) -> Iterable[tuple[str, str]]:
    """(source namespace, destination namespace) pairs, namespaces apart, that a pod → pod
    block holds endpoint pairs for. Across nodes, any two namespaces' pods make a pair unless
    all of them sit on one node; on one node, only namespaces that share a node do. With a
    same-node ``twin`` allowing the same, every two namespaces' pods make a pair in one of
    the two."""
    if twin:
        dsts = _namespaces(block.dsts)
        for s in _namespaces(block.srcs):
            yield from ((s, d) for d in dsts if d != s)
        return
    if block.relation is Relation.OTHER_NODE:
        nodes_of: dict[str, set[str]] = {}
        for c in (*block.srcs, *block.dsts):
            nodes_of.setdefault(c.namespace, set()).update(c.member_nodes)
        dsts = _namespaces(block.dsts)
        for s in _namespaces(block.srcs):
            for d in dsts:
                if s != d and len(nodes_of[s] | nodes_of[d]) > 1:
                    yield s, d
        return
    for (_, s, _), (_, d, _) in a.matrix.colocated(block):
        if s != d:
            yield s, d


def namespace_open(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    namespaces = sorted({c.namespace for c in a.matrix.classes if c.kind is PeerKind.POD})
    if len(namespaces) < 3:
        return
    reached_from: dict[str, set[str]] = {ns: set() for ns in namespaces}
    sample_of: dict[str, tuple[Block, str]] = {}
    # A same-node block and a cross-node block of the same ends allowing the same are read
    # together (together they hold every pair of their ends).
    same = {
        (id(b.srcs), id(b.dsts), b.allowed)
        for b in a.matrix.blocks
        if b.relation is Relation.SAME_NODE
    }
    other = {
        (id(b.srcs), id(b.dsts), b.allowed)
        for b in a.matrix.blocks
        if b.relation is Relation.OTHER_NODE
    }
    for block in a.matrix.blocks:
        if block.src_kind is not PeerKind.POD or block.dst_kind is not PeerKind.POD:
            continue
        # DNS to kube-dns is meant to be open to everyone.
        if not (block.allowed - _dns(block.allowed, a)):
            continue
        key = (id(block.srcs), id(block.dsts), block.allowed)
        if block.relation is Relation.SAME_NODE and key in other:
            continue  # read with its twin
        twin = block.relation is Relation.OTHER_NODE and key in same
        for src_ns, dst_ns in _across(a, block, twin):
            reached_from[dst_ns].add(src_ns)
            sample_of.setdefault(dst_ns, (block, src_ns))
    for ns in namespaces:
        others = set(namespaces) - {ns}
        if others and reached_from[ns] >= others:
            block, src_ns = sample_of[ns]
            srcs = [c for c in block.srcs if c.namespace == src_ns]
            dsts = [c for c in block.dsts if c.namespace == ns]
            # A pair of the block, or of its same-node twin (which allows the same).
            relation, src, dst = next(
                (r, s, d)
                for r in (block.relation, Relation.SAME_NODE)
                for s in srcs
                for d in dsts
                if has_pair(s, d, r)
            )
            cell = sample(a, src, dst, relation)
            yield info.finding(
                title=f"{info.title}: {ns}",
                message=f"Pods in every other namespace ({len(others)}) can open connections to "
                f"pods in {ns}, on more than DNS.",
                subjects=namespace_subjects([ns]),
                path=PathInfo("every other namespace", ns, block.allowed.describe(), ""),
                because=steps_text(evidence(cell, block.allowed)),
                count=len(others),
                key_extra=ns,
            )


def _explicit_allow_all(
    a: Analysis, bits: ClassBits, cls: EndpointClass, direction: Direction, anonymous: Peer
) -> str:
    """The policy that allows this class every connection in ``direction`` from/to anyone,
    or '' when its own policy restricts something (or only the profile allows)."""
    idx = a.index
    pod = cls.pods[0]
    chain = idx.workload_chain(pod, direction)
    if not chain.groups:
        return ""
    full = idx.universe.full()
    peers = [anonymous, *(c.rep for c in peer_representatives(bits, chain, cls))]
    decider = ""
    for other in peers:
        src, dst = (cls.rep, other) if direction is Direction.EGRESS else (other, cls.rep)
        for _, outcome in evaluate(chain, src, dst, full, idx.ctx):
            last = outcome.steps[-1] if outcome.steps else None
            if not outcome.allowed or last is None or last.profile:
                return ""
            decider = decider or last.policy_name
    return decider


def unrestricted_pods(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    """Pods whose own policy allows all traffic in a direction (fall-through to the namespace
    profile is PST-DENY-001's; this is an explicit allow-all)."""
    bits = ClassBits(a.index, a.matrix.classes)
    anonymous = anonymous_peer(a.index)
    position = {id(c): i for i, c in enumerate(a.matrix.classes)}
    for direction in Direction:
        hits: dict[str, list[EndpointClass]] = {}
        known: dict[Hashable, str] = {}
        for c in a.matrix.classes:
            if c.kind is not PeerKind.POD:
                continue
            # The same chain, local signature and peer set decide alike.
            chain = a.index.workload_chain(c.pods[0], direction)
            groups = bits.partition(chain, direction is Direction.EGRESS)
            key = (
                local_signature(chain, c.rep, a.index.ctx),
                excluded_group(groups, c, position[id(c)]),
            )
            if key not in known:
                known[key] = _explicit_allow_all(a, bits, c, direction, anonymous)
            decider = known[key]
            if decider:
                hits.setdefault(decider, []).append(c)
        for decider, classes in sorted(hits.items()):
            phrase, count = pods_phrase(classes)
            way = "from" if direction is Direction.INGRESS else "to"
            label = direction.value.lower()
            yield info.finding(
                title=f"{info.title} ({label})",
                message=f"{decider} allows {phrase} all {label} traffic {way} any pod, node "
                "or outside address.",
                subjects=namespace_subjects(c.namespace for c in classes),
                because=(f"{decider} allows every protocol and port {way} every peer",),
                count=count,
                key_extra=f"{label}|{decider}",
            )


def world_open(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    full = a.index.universe.full()
    hit: list[Block] = []
    for block in a.matrix.blocks:
        to_pods = block.src_kind is PeerKind.EXTERNAL and block.dst_kind is PeerKind.POD
        # From the open internet, not only from a named network set.
        if to_pods and block.allowed == full and any(not s.rep.owners for s in block.srcs):
            hit.append(block)
    if not hit:
        return
    dsts = {id(c): c for b in hit for c in b.dsts}
    first = hit[0]
    src = next(s for s in first.srcs if not s.rep.owners)
    cell = sample(a, src, first.dsts[0], first.relation)
    phrase, count = pods_phrase(dsts.values())
    yield info.finding(
        message=f"{phrase} accept any connection from addresses outside the cluster"
        + ("" if src.name == "outside the cluster" else f" (e.g. {src.name})")
        + ".",
        subjects=namespace_subjects(c.namespace for c in dsts.values()),
        path=PathInfo(src.name, first.dsts[0].name, "all traffic", "-"),
        because=steps_text(evidence(cell, full)),
        encrypted="false",
        count=count,
    )


def register(registry: Registry) -> None:
    registry.add(NAMESPACE_OPEN, namespace_open)
    registry.add(UNRESTRICTED_PODS, unrestricted_pods)
    registry.add(WORLD_OPEN, world_open)
