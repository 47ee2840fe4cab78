"""Node exposure: which pods can reach node-level services, and why (calico-semantics §5)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from posture.engine.flows import EMPTY, Flows
from posture.engine.path import PathEngine
from posture.engine.peers import PeerKind
from posture.engine.verdict import Encryption, Stage, Step
from posture.findings.exclusion import excluded_ids
from posture.findings.model import Finding, PathInfo, RuleInfo, Severity, Subject
from posture.findings.ports import NODE_SERVICES
from posture.findings.registry import Analysis, Registry
from posture.findings.rules.common import (
    class_pairs,
    evidence,
    node_subjects,
    pods_phrase,
    sample,
    source_subjects,
)
from posture.model.net import IPSet, PortSet
from posture.model.policy import Direction
from posture.reachability.chains import anonymous_peer
from posture.reachability.classes import EndpointClass
from posture.reachability.matrix import Block, Cell, Relation

MEASURE = "node-services-closed"

NODE_SERVICES_REACHABLE = RuleInfo(
    "PST-NODE-001",
    Severity.CRITICAL,
    "Pods can reach node-level services",
    MEASURE,
    "Own node: give these pods egress policy that denies node addresses except what they "
    "need, then set DefaultEndpointToHostAction to Drop. Other nodes: create host endpoints "
    "(KubeControllersConfiguration autoCreate: Enabled) and a host-endpoint ingress policy that "
    "admits only the control plane to these ports.",
)
NODE_UNRESTRICTED = RuleInfo(
    "PST-NODE-002",
    Severity.HIGH,
    "Pod-to-node traffic is unrestricted",
    MEASURE,
    "Deny pod egress to nodes unless allowed with a cluster-wide default-deny for both "
    "directions (`posture fix` writes posture-default-deny, with DNS and API server allows in "
    "tier posture-baseline), and protect the nodes with host endpoints and host-endpoint "
    "policy.",
)
NO_HOST_ENDPOINTS = RuleInfo(
    "PST-NODE-003",
    Severity.HIGH,
    "Nodes without host endpoints: Calico does not filter traffic to them",
    MEASURE,
    "Enable automatic host endpoints in place (`posture fix` prints it: kubectl patch "
    "kubecontrollersconfigurations.projectcalico.org default --type=merge -p "
    '\'{"spec":{"controllers":{"node":{"hostEndpoint":{"autoCreate":"Enabled"}}}}}\''
    ") and write host-endpoint policy; the failsafe ports keep SSH, etcd, BGP, Typha and the "
    "API server reachable meanwhile.",
)


def _why(relation: Relation) -> str:
    if relation is Relation.SAME_NODE:
        return (
            "pods on the node itself (pod → own node: egress policy, then "
            "DefaultEndpointToHostAction)"
        )
    return "pods on other nodes"


def _where(relation: Relation) -> str:
    return "own node" if relation is Relation.SAME_NODE else "other nodes"


# One class pair of a block: (block, source class, destination class).
Path = tuple[Block, EndpointClass, EndpointClass]


def _pod_to_host(a: Analysis) -> Iterable[Path]:
    """Allowed pod → node paths by class pair, except from pods left out of the default-deny
    by design (their reach is listed by PST-DENY-006)."""
    excluded = excluded_ids(a, Direction.EGRESS)
    for block in a.matrix.blocks:
        if block.src_kind is PeerKind.POD and block.dst_kind is PeerKind.HOST:
            for src, dst in class_pairs(block):
                if id(src) not in excluded:
                    yield block, src, dst


Hit = tuple[str, Severity, Flows]


def _services_hit(a: Analysis, dst: EndpointClass, reached: Flows) -> list[Hit]:
    universe = a.index.universe
    out = []
    for svc in NODE_SERVICES:
        hit = reached & svc.flows(universe)
        if hit:
            out.append((svc.name, svc.severity, hit))
    named = EMPTY
    for svc in NODE_SERVICES:
        named = named | svc.flows(universe)
    for listener, flows in _host_network_listeners(a, dst):
        hit = (reached & flows) - named  # a port already named above is not listed twice
        if hit:
            out.append((listener, Severity.HIGH, hit))
    return out


def _sorted_hits(a: Analysis, dst: EndpointClass, reached: Flows) -> list[Hit]:
    return sorted(_services_hit(a, dst, reached), key=lambda h: (-h[1].rank, h[0]))


def _groups(a: Analysis, unrestricted: bool) -> dict[tuple[str, Relation], list[Path]]:
    full = a.index.universe.full()
    groups: dict[tuple[str, Relation], list[Path]] = {}
    for path in _pod_to_host(a):
        block, _, dst = path
        if (block.allowed == full) == unrestricted:
            groups.setdefault((dst.id, block.relation), []).append(path)
    return groups


def _service_list(hits: list[Hit]) -> str:
    return "; ".join(f"{name} [{flows.describe()}]" for name, _, flows in hits)


def node_services(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    """Restricted pod → node paths that still reach named node services, grouped by node
    group, relation and the exact set of services reached."""
    groups: dict[tuple[str, Relation, tuple[str, ...]], list[tuple[Path, list[Hit]]]] = {}
    known: dict[tuple[int, str], list[Hit]] = {}
    for (dst_id, relation), paths in _groups(a, unrestricted=False).items():
        for path in paths:
            block, _, dst = path
            hits = known.get((id(block), dst_id))
            if hits is None:
                hits = known[(id(block), dst_id)] = _sorted_hits(a, dst, block.allowed)
            if hits:
                key = (dst_id, relation, tuple(h[0] for h in hits))
                groups.setdefault(key, []).append((path, hits))
    for (_, relation, names), items in groups.items():
        (block, src, dst), hits = items[0]
        cell = sample(a, src, dst, relation)
        sources = list({id(p[1]): p[1] for p, _ in items}.values())
        phrase, pods = pods_phrase(sources)
        union = EMPTY
        for _, _, f in hits:
            union = union | f
        yield info.finding(
            severity=hits[0][1],
            title=f"{info.title} ({_where(relation)}): {', '.join(names[:3])}"
            + (f" and {len(names) - 3} more" if len(names) > 3 else ""),
            message=f"{phrase} can reach {_service_list(hits)} on {dst.name}; {_why(relation)}.",
            subjects=(*source_subjects(sources), *node_subjects(dst)),
            path=PathInfo(phrase, dst.name, union.describe(), relation.value),
            encrypted=_enc(cell),
            steps=evidence(cell, hits[0][2]),
            count=pods,
            key_extra="|".join(names),
        )


def _host_network_listeners(a: Analysis, dst: EndpointClass) -> list[tuple[str, Flows]]:
    """Ports that hostNetwork pods on these nodes listen on (their container ports)."""
    out = []
    seen = set()
    for node in dst.members:
        for pod in a.index.host_network_pods.get(node, []):
            for cp in pod.ports:
                key = (pod.namespace, pod.name.rsplit("-", 1)[0], cp.protocol, cp.port)
                if key in seen:
                    continue
                seen.add(key)
                name = f"hostNetwork pod {pod.namespace}/{pod.name} port {cp.port}"
                out.append(
                    (name, Flows.single(a.index.universe.key(cp.protocol), PortSet.of(cp.port)))
                )
    return out


def _enc(cell: Cell) -> str:
    e = cell.encryption
    if e is Encryption.LOCAL:
        return "n/a"
    return "true" if e is Encryption.ENCRYPTED else "false"


def node_unrestricted(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    full = a.index.universe.full()
    for (_, relation), paths in _groups(a, unrestricted=True).items():
        _, src, dst = paths[0]
        cell = sample(a, src, dst, relation)
        sources = list({id(p[1]): p[1] for p in paths}.values())
        phrase, pods = pods_phrase(sources)
        steps = evidence(cell, full)
        hits = sorted(_services_hit(a, dst, full), key=lambda h: -h[1].rank)
        severity = max((h[1] for h in hits), key=lambda s: s.rank, default=info.severity)
        if severity.rank < info.severity.rank:
            severity = info.severity
        names = ", ".join(h[0] for h in hits[:6]) + (" …" if len(hits) > 6 else "")
        yield info.finding(
            severity=severity,
            title=f"{info.title} ({_where(relation)})",
            message=f"{phrase} can open any connection (every protocol and port) to {dst.name} "
            f"({names} included): {_unrestricted_reason(steps, relation)}.",
            subjects=(*source_subjects(sources), *node_subjects(dst)),
            path=PathInfo(phrase, dst.name, "all traffic", relation.value),
            encrypted=_enc(cell),
            steps=steps,
            count=pods,
        )


def _unrestricted_reason(steps: tuple[Step, ...], relation: Relation) -> str:
    if relation is Relation.SAME_NODE:
        return (
            "their egress policy lets it through and DefaultEndpointToHostAction accepts it; "
            "host-endpoint policy never applies to pod → own-node traffic"
        )
    if any("no host endpoint" in s.note for s in steps):
        return "their egress policy lets it through and the nodes have no host endpoints"
    return "their egress policy and the nodes' host-endpoint policy let it through"


def no_host_endpoints(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    snap = a.snapshot
    if not snap.nodes or not snap.calico_present:
        return
    bare = [n.name for n in snap.nodes if not a.index.node_hosts(n.name).any]
    if not bare:
        return
    which = (
        f"None of the {len(snap.nodes)} nodes has"
        if len(bare) == len(snap.nodes)
        else f"{len(bare)} of {len(snap.nodes)} nodes ({', '.join(bare[:10])}) have no"
    )
    yield info.finding(
        message=f"{which} host endpoint, so Calico filters nothing that reaches their "
        "addresses from other nodes, hostNetwork pods or outside (kubelet, etcd, SSH included; "
        "traffic to NodePorts meets only its backends' policy, no pre-DNAT policy).",
        subjects=tuple(Subject("Node", n, api_version="v1") for n in bare[:50]),
        count=len(bare),
    )


FAILSAFE_OPEN = RuleInfo(
    "PST-NODE-004",
    Severity.HIGH,
    "Failsafe ports stay open under a host-endpoint deny",
    MEASURE,
    "Failsafe ports bypass every host-endpoint policy. Narrow them in FelixConfiguration "
    "(failsafeInboundHostPorts with a net per entry, e.g. the control-plane CIDR) once "
    "host-endpoint policy allows what SSH, BGP, etcd, Typha and the API server need.",
)


def failsafe_open(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    """Paths to hosts that host-endpoint policy would deny but a failsafe port lets in."""
    strict = PathEngine(a.index, ignore_failsafe=True)
    groups: dict[str, tuple[Path, Flows, list[EndpointClass]]] = {}
    for block in a.matrix.blocks:
        if block.dst_kind is not PeerKind.HOST or block.src_kind is PeerKind.HOST:
            continue
        via_failsafe = EMPTY
        for flows, verdict in block.parts:
            if verdict.allowed and any(s.stage is Stage.FAILSAFE for s in verdict.steps):
                via_failsafe = via_failsafe | flows
        if not via_failsafe:
            continue
        # Only what the policy would otherwise deny is held open by the failsafe ports.
        opened = EMPTY
        for flows, verdict in strict.decide(*block.example, via_failsafe):
            if not verdict.allowed:
                opened = opened | flows
        if not opened:
            continue
        for src, dst in class_pairs(block):
            entry = groups.get(dst.id)
            if entry is None:
                groups[dst.id] = ((block, src, dst), opened, [src])
            else:
                groups[dst.id] = (entry[0], entry[1] | opened, [*entry[2], src])
    for (block, src, dst), opened, sources in groups.values():
        cell = sample(a, src, dst, block.relation)
        names = sorted({s.name for s in sources})
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        yield info.finding(
            message=f"{dst.name}: host-endpoint policy denies {opened.describe()}, yet "
            f"failsafe ports keep them reachable from {shown}.",
            subjects=node_subjects(dst),
            path=PathInfo(shown, dst.name, opened.describe(), block.relation.value),
            encrypted=_enc(cell),
            steps=evidence(cell, opened),
            count=len(sources),
        )


HOST_PORT_EXPOSED = RuleInfo(
    "PST-NODE-005",
    Severity.MEDIUM,
    "hostPort exposes a pod on its node's address to the outside",
    MEASURE,
    "Prefer a Service; otherwise restrict the pod's ingress to the clients that need the port "
    "(hostPort traffic is DNATed to the pod and its ingress policy applies).",
)


def host_port_exposed(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    idx = a.index
    world = anonymous_peer(idx)
    engine = PathEngine(idx)
    for pod in idx.wep_pods:
        for cp in pod.ports:
            if not cp.host_port:
                continue
            flows = Flows.single(idx.universe.key(cp.protocol), PortSet.of(cp.port))
            parts = engine.decide(world, idx.pod_peer(pod), flows)
            allowed = [v for _, v in parts if v.allowed]
            if not allowed:
                continue
            node = idx.nodes.get(pod.node)
            address = node.addresses[0] if node and node.addresses else pod.node
            yield info.finding(
                message=f"Pod {pod.namespace}/{pod.name} maps hostPort {cp.host_port} to port "
                f"{cp.port}; anyone outside the cluster can reach it at {address}:{cp.host_port}.",
                subjects=(Subject("Pod", pod.name, pod.namespace, "v1"),),
                path=PathInfo(world.name, f"{address}:{cp.host_port}", flows.describe(), "-"),
                encrypted="false",
                steps=allowed[0].steps,
                count=1,
                key_extra=f"{cp.protocol}/{cp.host_port}",
            )


WORLD_TO_NODES = RuleInfo(
    "PST-NODE-006",
    Severity.HIGH,
    "Node services reachable from outside the cluster",
    MEASURE,
    "Create host endpoints for the nodes and a host-endpoint ingress policy that admits only "
    "known networks (the control plane, load balancers) to node ports; narrow the failsafe "
    "ports to those networks too.",
)


# Address space that is not routed on the internet: RFC 1918 (IPv4 private), RFC 6598 (shared
# address space, carrier-grade NAT) and RFC 4193 (IPv6 unique local). A range inside it can only
# be reached from networks the operator's own routing connects, unlike "any address".
PRIVATE = IPSet.from_cidrs(
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]
)


def _range(region: IPSet) -> str:
    """A range's CIDRs when there are one or two, else its first and last address."""
    cidrs = region.to_cidrs()
    return ", ".join(cidrs) if len(cidrs) <= 2 else f"{cidrs[0].split('/')[0]} – {_last(region)}"


def _last(region: IPSet) -> str:
    if region.v4_intervals:
        return str(ipaddress.IPv4Address(region.v4_intervals[-1][1]))
    return str(ipaddress.IPv6Address(region.v6_intervals[-1][1]))


def _addresses(region: IPSet) -> int:
    return sum(hi - lo + 1 for lo, hi in (*region.v4_intervals, *region.v6_intervals))


def _outside_severity(worst: Severity, private: bool) -> Severity:
    """From the internet: the service's own severity (the API server: medium, not the expected
    info). From a private range a policy names: one step lower, at most medium, because only
    networks the operator routes can use it."""
    severity = Severity.MEDIUM if worst is Severity.INFO else worst
    if not private:
        return severity
    return Severity.MEDIUM if severity.rank >= Severity.HIGH.rank else Severity.LOW


def world_to_nodes(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    """Addresses outside the cluster (not a named network set) that reach node services.
    The API server port is meant for pods, but from outside it is a finding of its own.
    A private range (a host policy allowing the node subnet, say) is told apart from the
    internet: it names the range and how many addresses besides the cluster's it holds."""
    groups: dict[tuple[str, bool, tuple[str, ...]], list[tuple[Path, list[Hit]]]] = {}
    for block in a.matrix.blocks:
        if block.src_kind is not PeerKind.EXTERNAL or block.dst_kind is not PeerKind.HOST:
            continue
        for src, dst in class_pairs(block):
            if src.rep.owners:
                continue
            hits = _sorted_hits(a, dst, block.allowed)
            if hits:
                private = src.rep.region.issubset(PRIVATE)
                key = (dst.id, private, tuple(h[0] for h in hits))
                groups.setdefault(key, []).append(((block, src, dst), hits))
    for (_, private, names), items in groups.items():
        (block, src, dst), hits = items[0]
        cell = sample(a, src, dst, block.relation)
        worst = max((h[1] for h in hits), key=lambda s: s.rank)
        severity = _outside_severity(worst, private)
        services = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        if private:
            ranges = ", ".join(_range(p[1].rep.region) for p, _ in items[:3])
            count = sum(_addresses(p[1].rep.region) for p, _ in items)
            title = f"Node services reachable from a private range outside the cluster: {services}"
            who = (
                f"Addresses of the private range {ranges}"
                + (f" and {len(items) - 3} more" if len(items) > 3 else "")
                + f" ({count:,} addresses that are not the cluster's nodes or pods; "
                "not routed on the internet)"
            )
        else:
            title = f"{info.title}: {services}"
            who = "Addresses outside the cluster"
        yield info.finding(
            severity=severity,
            title=title,
            message=f"{who} can reach {_service_list(hits)} on {dst.name}.",
            subjects=node_subjects(dst),
            path=PathInfo(src.name, dst.name, block.allowed.describe(), "-"),
            encrypted="false",
            steps=evidence(cell, hits[0][2]),
            count=dst.size,
            key_extra="|".join(names) + ("|private" if private else ""),
        )


def register(registry: Registry) -> None:
    registry.add(NODE_SERVICES_REACHABLE, node_services)
    registry.add(WORLD_TO_NODES, world_to_nodes)
    registry.add(NODE_UNRESTRICTED, node_unrestricted)
    registry.add(NO_HOST_ENDPOINTS, no_host_endpoints)
    registry.add(FAILSAFE_OPEN, failsafe_open)
    registry.add(HOST_PORT_EXPOSED, host_port_exposed)
