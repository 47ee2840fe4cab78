"""Services exposed outside the cluster through their nodes (calico-semantics §5.10, §4.8).

A NodePort (open on every node address), an external IP or a load-balancer address is not a
port of the node: kube-proxy translates the connection to one of the Service's endpoints, and
policy decides on that endpoint after DNAT (docs ``network-policy/services/kubernetes-node-ports``;
kubernetes ``pkg/proxy/iptables/proxier.go``). On the node that translates only the arrival host
endpoint's untracked and pre-DNAT policy see the NodePort; after DNAT the packet is forwarded, so
applyOnForward host policy applies and normal host policy never does; then the backend's ingress
policy decides, from the client's address, or from the translating node's address when a backend
on another node is reached with ``externalTrafficPolicy: Cluster`` (``PathEngine.decide_dnat``).

So the question is, per Service: which of its backends accept connections from outside the
cluster through it. Cost follows behaviours, not nodes or pods: nodes are grouped by what their
host-level treatment depends on (``node_context``), backends by what their own policy can tell
apart, the outside world by which rule address sets hold it; one path is decided per Service
port, node group, backend group, relation (same node, other node) and outside group.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from posture.engine.flows import Flows
from posture.engine.index import Index
from posture.engine.path import Dnat, PathEngine
from posture.engine.peers import Peer
from posture.engine.services import Front, backends
from posture.engine.verdict import Stage, Step
from posture.findings.model import (
    Finding,
    PathInfo,
    RuleInfo,
    Severity,
    Subject,
    assumption_note,
    steps_text,
)
from posture.findings.registry import Analysis, Registry
from posture.findings.rules.common import MAX_SUBJECTS
from posture.model.endpoints import HostEndpoint, Service, ServiceType
from posture.model.net import IPSet, PortSet, protocol_name
from posture.reachability.classes import (
    Atoms,
    address_set,
    relevant_label_keys,
    rule_address_sets,
)

MEASURE = "node-services-closed"

# kube-apiserver --service-node-port-range default: where a NodePort not yet allocated will be.
NODE_PORT_RANGE = PortSet.range(30000, 32767)

# Address space not routed on the internet: RFC 1918, RFC 6598 (shared address space) and
# RFC 4193 (IPv6 unique local). Reach from such a range only is one step less severe.
PRIVATE = IPSet.from_cidrs(
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]
)

SERVICE_EXPOSED = RuleInfo(
    "PST-NODE-007",
    Severity.MEDIUM,
    "Service reachable from outside the cluster through its nodes",
    MEASURE,
    "If the Service is meant to be public, accept the finding (suppress it by its id). "
    "Otherwise give its backends ingress policy that admits only the clients that need it "
    "(NodePort traffic reaches them after DNAT: from the client's address, or from the "
    "forwarding node's address with externalTrafficPolicy: Cluster), or deny the port at the "
    "nodes with a preDNAT host-endpoint policy (applyOnForward: true); make it a ClusterIP "
    "Service if nobody outside needs it.",
)

Pair = tuple[Flows, Flows, str]  # (front flows, backend flows, "30080/TCP → 8080")


@dataclass(frozen=True, slots=True)
class _Outside:
    """Outside addresses every rule treats alike: one representative peer decides for all."""

    peer: Peer
    region: IPSet
    private: bool
    label: str
    named: bool  # some rule address set holds it (a range a policy names)


@dataclass(slots=True)
class _Group:
    """Backends of one Service that policy cannot tell apart, with their port mapping."""

    peers: list[Peer]
    pairs: tuple[Pair, ...]  # service port → endpoint port


@dataclass(slots=True)
class _Exposure:
    """What one Service's front lets in from one kind of outside (internet or private)."""

    accepting: dict[str, Peer] = field(default_factory=dict)
    nodes: set[str] = field(default_factory=set)
    fronts: list[str] = field(default_factory=list)  # "30080/TCP", "203.0.113.80:80/TCP"
    sources: list[_Outside] = field(default_factory=list)
    steps: tuple[Step, ...] = ()  # the first accepting path
    assumed: list[Step] = field(default_factory=list)  # assumptions of any accepting path

    def add(self, peers: Iterable[Peer], nodes: Iterable[str], front: str) -> None:
        for p in peers:
            self.accepting.setdefault(p.name, p)
        self.nodes.update(nodes)
        if front not in self.fronts:
            self.fronts.append(front)


class _Context:
    """Per-analysis groupings, built once and only when some Service is exposed."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.engine = PathEngine(index)
        self.sets = rule_address_sets(index)
        self.atoms = Atoms(self.sets)
        self.keys = relevant_label_keys(index)
        self._node_ctx: dict[str, Hashable] = {}
        self._labels: dict[Mapping[str, str], tuple[tuple[str, str], ...]] = {}
        self._fronts: list[list[str]] | None = None
        self._outside: list[_Outside] | None = None

    def node_ctx(self, node: str) -> Hashable:
        """What a node's part of these paths depends on (as ``node_context`` keys node classes,
        with labels reduced to the keys selectors read): its host endpoints, Felix settings,
        and its own address as policy sees it (a remote backend sees it after SNAT)."""
        hit = self._node_ctx.get(node)
        if hit is None:
            idx = self.index
            hosts = idx.node_hosts(node)
            n = idx.nodes.get(node)
            primary = n.addresses[0] if n is not None and n.addresses else ""

            def sig(h: HostEndpoint | None) -> Hashable:
                if h is None:
                    return None
                labels = self.project(h.labels)
                return (labels, h.profiles, h.interface, h.wildcard, primary in h.expected_ips)

            own = (
                (self.owners(primary), self.atoms.atom_of(primary), idx.service_membership(primary))
                if primary
                else None
            )
            hit = (
                sig(hosts.wildcard),
                tuple(sig(h) for h in hosts.named),
                idx.snap.felix_for(node),
                own,
            )
            self._node_ctx[node] = hit
        return hit

    def project(self, labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
        """Labels reduced to the keys some selector reads (memoised: few distinct sets)."""
        hit = self._labels.get(labels)
        if hit is None:
            hit = self._labels[labels] = tuple(kv for kv in labels.items() if kv[0] in self.keys)
        return hit

    def owners(self, address: str) -> Hashable:
        return tuple(self.project(o) for o in self.index.owners_of(address))

    def fronts(self) -> list[list[str]]:
        """Node names grouped by host context: a NodePort decides alike on all of a group."""
        if self._fronts is None:
            groups: dict[Hashable, list[str]] = {}
            for n in self.index.snap.nodes:
                if n.addresses:
                    groups.setdefault(self.node_ctx(n.name), []).append(n.name)
            self._fronts = list(groups.values())
        return self._fronts

    def outside(self) -> list[_Outside]:
        """The outside world (no pool, node or pod address; no named network set) grouped by
        which rule address sets hold it: every rule matches all of a group alike."""
        if self._outside is None:
            self._outside = self._group_outside()
        return self._outside

    def _group_outside(self) -> list[_Outside]:
        idx = self.index
        pools = IPSet.from_cidrs(p.cidr for p in idx.snap.ip_pools if not p.disabled)
        cluster = (
            pools
            | address_set(a for n in idx.snap.nodes for a in n.all_addresses)
            | _outside_pools(pools, (ip for p in idx.wep_pods for ip in p.ips))
        )
        sets = _source_sets(idx)
        groups: dict[tuple[int, tuple[int, ...]], list[IPSet]] = {}
        for fam in (4, 6):
            if fam == 6 and not self.atoms.v6 and not _ipv6_fronts(idx):
                continue
            for region in self.atoms.regions(fam):
                rest = region - cluster
                if rest:
                    sig = tuple(i for i, s in enumerate(sets) if not rest.isdisjoint(s))
                    groups.setdefault((fam, sig), []).append(rest)
        out = []
        families = [fam for fam, _ in groups]
        for (fam, sig), regions in groups.items():
            peer = idx.external_peer(regions[0], "", fam)
            if peer.owners:
                continue  # a named network set is a known party, not "outside"
            union = regions[0]
            for r in regions[1:]:
                union = union | r
            if families.count(fam) == 1:
                label = "any address outside the cluster"
            elif not sig:
                label = "addresses outside the cluster that no policy names"
            else:
                label = f"addresses outside the cluster in {_range(union)}"
            peer = dataclasses.replace(peer, name=f"outside the cluster ({label})")
            out.append(_Outside(peer, union, union.issubset(PRIVATE), label, bool(sig)))
        return out

    def backend_key(self, peer: Peer) -> Hashable:
        """What the backend's own side of a path depends on: labels selectors read (as every
        owner of its address), namespace, service account and named ports, address range,
        node context and Service membership (as ``build_classes`` keys pod classes)."""
        pod = peer.pod
        own = (pod.namespace, pod.service_account, pod.named_ports) if pod is not None else ()
        return (
            peer.kind,
            self.owners(peer.address),
            own,
            peer.named_ports,
            self.atoms.atom_of(peer.address),
            self.node_ctx(peer.node) if peer.node else None,
            self.index.service_membership(peer.address),
        )


def _outside_pools(pools: IPSet, addresses: Iterable[str]) -> IPSet:
    """The pod addresses outside every pool (few or none: the rest is in ``pools`` already),
    read with the kernel's strict dotted-quad parser for IPv4 (every pod's address is read:
    twenty times faster than the general one at 150,000 pods)."""
    v4: list[tuple[int, int]] = []
    other: list[str] = []
    for a in addresses:
        try:
            value = int.from_bytes(socket.inet_pton(socket.AF_INET, a), "big")
        except OSError:
            other.append(a)
        else:
            if not pools.contains(value, 4):
                v4.append((value, value))
    return IPSet(v4=v4) | address_set(other)


def _ipv6_fronts(index: Index) -> bool:
    """Whether some node address or Service address a client could use is IPv6."""
    nodes = (a for n in index.snap.nodes for a in n.addresses[:1])
    services = (a for s in index.snap.services for a in (*s.external_ips, *s.load_balancer_ips))
    return any(":" in a for a in (*nodes, *services))


def _source_sets(index: Index) -> list[IPSet]:
    """The address sets that can tell two outside clients apart on these paths: network sets
    (their labels meet selectors), rules' source nets, failsafe nets, outside Service members
    (a ``services`` source rule), and untracked egress rules' destination nets (the replies,
    §5.5). Destination nets otherwise match the node or the backend, never the client, so
    they split no group of clients."""
    snap = index.snap
    sets: list[IPSet] = [ns.nets for ns in snap.network_sets]
    for p in snap.policies:
        for r in (*p.ingress, *p.egress):
            sides = (r.source, r.destination) if p.do_not_track else (r.source,)
            sets.extend(s for side in sides for s in (side.nets, side.not_nets) if s is not None)
    sets.extend(address_set([a]) for a in index.service_addresses())
    for e in (*snap.felix.failsafe_inbound, *snap.felix.failsafe_outbound):
        if e.net:
            sets.append(IPSet.from_cidrs([e.net]))
    return list(dict.fromkeys(sets))


def service_exposed(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    """Services whose NodePorts, external IPs or load-balancer addresses let outside
    addresses reach backends that accept them, after DNAT."""
    ctx: _Context | None = None
    for svc in a.snapshot.services:
        if not _exposed_kind(svc):
            continue
        ctx = ctx or _Context(a.index)
        groups = _backend_groups(ctx, svc)
        if not groups:
            continue
        total = sum(len(g.peers) for g in groups)
        found: dict[tuple[str, bool], _Exposure] = {}
        for src in ctx.outside():
            if _has_node_ports(svc):
                _node_ports(ctx, svc, groups, src, found)
            for kind, addresses in (
                (Front.EXTERNAL_IP, svc.external_ips),
                (Front.LOAD_BALANCER, svc.load_balancer_ips),
            ):
                for address in addresses:
                    _address(ctx, svc, groups, src, kind, address, found)
        for (front_kind, private), exp in found.items():
            # A private range adds nothing when the internet gets in the same way.
            if not (private and (front_kind, False) in found):
                yield _finding(a, info, svc, front_kind, private, exp, total)


def _exposed_kind(svc: Service) -> bool:
    return _has_node_ports(svc) or bool(svc.external_ips or svc.load_balancer_ips)


def _has_node_ports(svc: Service) -> bool:
    """NodePort Services always have NodePorts (allocated by the API server when the input
    does not name them); a LoadBalancer Service has those it lists (none when created with
    ``allocateLoadBalancerNodePorts: false``)."""
    if svc.type is ServiceType.NODE_PORT:
        return bool(svc.ports)
    return svc.type is ServiceType.LOAD_BALANCER and any(sp.node_port for sp in svc.ports)


def _backend_groups(ctx: _Context, svc: Service) -> list[_Group]:
    idx = ctx.index
    groups: dict[Hashable, _Group] = {}
    for b in backends(idx, svc, idx.universe.full(), Front.CLUSTER_IP):
        peer = idx.peer_for_address(b.address)
        key = (ctx.backend_key(peer), tuple(t for _, _, t in b.pairs))
        g = groups.get(key)
        if g is None:
            groups[key] = _Group([peer], b.pairs)
        else:
            g.peers.append(peer)
    return list(groups.values())


def _node_port_pairs(idx: Index, svc: Service, pairs: tuple[Pair, ...]) -> list[Pair]:
    """The service-port pairs re-keyed by NodePort (the whole NodePort range when the input
    names none: the API server allocates one there), labelled ``30080/TCP → 8080``."""
    out = []
    for front, back, text in pairs:
        to = text.split(" → ", 1)[-1]
        for sp in svc.ports:
            key = idx.universe.key(sp.protocol)
            if sp.port not in front.ports(key) or not (sp.node_port or _unallocated(svc)):
                continue
            ports = PortSet.of(sp.node_port) if sp.node_port else NODE_PORT_RANGE
            label = str(sp.node_port) if sp.node_port else "30000-32767 (not allocated yet)"
            out.append(
                (Flows.single(key, ports), back, f"{label}/{protocol_name(sp.protocol)} → {to}")
            )
    return out


def _unallocated(svc: Service) -> bool:
    return svc.type is ServiceType.NODE_PORT


def _node_ports(
    ctx: _Context,
    svc: Service,
    groups: list[_Group],
    src: _Outside,
    found: dict[tuple[str, bool], _Exposure],
) -> None:
    """Every node group's NodePort, to every backend group: on the same node (client address
    kept) and, unless ``externalTrafficPolicy: Local``, on another node (SNAT to the node)."""
    idx = ctx.index
    for front_nodes in ctx.fronts():
        members = set(front_nodes)
        for g in groups:
            pairs = _node_port_pairs(idx, svc, g.pairs)
            local = [p for p in g.peers if p.node in members]
            if local:
                b = local[0]
                front = idx.host_peer(idx.nodes[b.node])
                for label, steps in _accepted(ctx, svc, src, front, b, pairs, keep=True):
                    nodes = {p.node for p in local}
                    _record(found, src, "NodePort", local, nodes, label, steps)
            if svc.external_local:
                continue  # kube-proxy drops it on nodes without a local endpoint
            remote = _remote_example(front_nodes, g.peers)
            if remote is None:
                continue
            n, b = remote
            front = idx.host_peer(idx.nodes[n])
            for label, steps in _accepted(ctx, svc, src, front, b, pairs, keep=False):
                # A backend is reached from another node of the group, a node reaches a
                # backend elsewhere, unless the group and the backends are one same node.
                where = {p.node for p in g.peers}
                peers = [p for p in g.peers if len(front_nodes) > 1 or p.node != front_nodes[0]]
                forwarding = [x for x in front_nodes if len(where) > 1 or x not in where]
                _record(found, src, "NodePort", peers, forwarding, label, steps)


def _remote_example(front_nodes: list[str], peers: list[Peer]) -> tuple[str, Peer] | None:
    """A (front node, backend elsewhere) pair, if the group has one."""
    for b in peers:
        n = next((x for x in front_nodes if x != b.node), None)
        if n is not None:
            return n, b
    return None


def _address(
    ctx: _Context,
    svc: Service,
    groups: list[_Group],
    src: _Outside,
    kind: Front,
    address: str,
    found: dict[tuple[str, bool], _Exposure],
) -> None:
    """An external or load-balancer address, taken (as ``posture explain`` does) to arrive at
    the node running the endpoint, which translates with the client address kept."""
    idx = ctx.index
    at = idx.peer_for_address(address)
    for g in groups:
        # Backends on one node context decide alike; one per node context is enough.
        by_ctx: dict[Hashable, Peer] = {}
        for p in g.peers:
            if p.node and p.node in idx.nodes:
                by_ctx.setdefault(ctx.node_ctx(p.node), p)
        for same, b in by_ctx.items():
            front = dataclasses.replace(at, node=b.node)
            for label, steps in _accepted(ctx, svc, src, front, b, g.pairs, keep=True, at=address):
                peers = [p for p in g.peers if p.node and ctx.node_ctx(p.node) == same]
                _record(found, src, kind.value, peers, (), label, steps)


def _accepted(
    ctx: _Context,
    svc: Service,
    src: _Outside,
    front: Peer,
    backend: Peer,
    pairs: Iterable[Pair],
    *,
    keep: bool,
    at: str = "",
) -> Iterator[tuple[str, tuple[Step, ...]]]:
    """(``port/PROTO``, prefixed with ``at:`` when given, and the evidence) for each port
    mapping through which ``src`` opens connections to ``backend`` (the steps of the first
    allowed verdict)."""
    if not src.peer.family == front.family == backend.family:
        return  # kube-proxy translates within one address family
    name = f"Service {svc.namespace}/{svc.name}"
    for f, back, text in pairs:
        port = text.split(" → ", 1)[0]
        label = f"{at}:{port}" if at else port
        dnat = Dnat(backend, f, back, name, f"{front.address}:{text} → {backend.name}", keep)
        for _, verdict in ctx.engine.decide_dnat(src.peer, front, dnat):
            if verdict.allowed:
                yield label, verdict.steps
                break


def _record(
    found: dict[tuple[str, bool], _Exposure],
    src: _Outside,
    front_kind: str,
    peers: Iterable[Peer],
    nodes: Iterable[str],
    front_text: str,
    steps: tuple[Step, ...],
) -> None:
    exp = found.setdefault((front_kind, src.private), _Exposure())
    exp.add(peers, nodes, front_text)
    if src not in exp.sources:
        exp.sources.append(src)
    if not exp.steps:
        exp.steps = steps
    for step in steps:
        if step.stage is Stage.ASSUMPTION and step not in exp.assumed:
            exp.assumed.append(step)


def _finding(
    a: Analysis,
    info: RuleInfo,
    svc: Service,
    front_kind: str,
    private: bool,
    exp: _Exposure,
    total: int,
) -> Finding:
    name = f"{svc.namespace}/{svc.name}"
    accepting = sorted(exp.accepting)
    shown = ", ".join(n.removeprefix("pod ") for n in accepting[:5]) + (
        f" and {len(accepting) - 5} more" if len(accepting) > 5 else ""
    )
    noun = "backend" if len(accepting) == 1 else "backends"
    rest = total - len(accepting)
    denied = f"; {rest} of its {total} backends do not" if rest > 0 else ""
    fronts = ", ".join(exp.fronts)
    if front_kind == "NodePort":
        every = len(exp.nodes) == sum(1 for n in a.snapshot.nodes if n.addresses)
        nodes = sorted(exp.nodes)
        where = (
            f"NodePort {fronts} of every node"
            if every and len(nodes) > 1
            else f"NodePort {fronts} of node{'s' if len(nodes) > 1 else ''} "
            + ", ".join(nodes[:5])
            + (f" and {len(nodes) - 5} more" if len(nodes) > 5 else "")
        )
    else:
        where = f"its {front_kind} {fronts}"
    sources = sorted(exp.sources, key=lambda s: s.named)
    who = sources[0].label
    if len(sources) > 1:
        more = [_range(s.region) for s in sources[1:]]
        who += (
            f" and {len(more)} more outside range{'s' if len(more) > 1 else ''} "
            f"({', '.join(more[:3])}{', …' if len(more) > 3 else ''})"
        )
    subjects = (
        Subject("Service", svc.name, svc.namespace, "v1"),
        *sorted(
            {
                Subject("Pod", p.pod.name, p.pod.namespace, "v1")
                for p in exp.accepting.values()
                if p.pod is not None
            }
        )[: MAX_SUBJECTS - 1],
    )
    return info.finding(
        severity=Severity.LOW if private else info.severity,
        title=f"{info.title}: Service {name} ({front_kind})",
        message=f"{who[0].upper()}{who[1:]} can open connections to Service {name} on {where}; "
        f"after kube-proxy's DNAT, {noun} {shown} accept{'s' if len(accepting) == 1 else ''} "
        f"them{denied}." + assumption_note(exp.assumed),
        subjects=subjects,
        path=PathInfo(who, f"Service {name} ({where})", fronts, "-"),
        encrypted="false",
        because=steps_text(exp.steps),
        count=len(accepting),
        key_extra=f"{front_kind}|{'private' if private else 'any'}",
    )


def _range(region: IPSet) -> str:
    """CIDRs when one or two, else the first and last address."""
    cidrs = region.to_cidrs()
    if len(cidrs) <= 2:
        return ", ".join(cidrs)
    intervals = region.v4_intervals or region.v6_intervals
    make = ipaddress.IPv4Address if region.v4_intervals else ipaddress.IPv6Address
    return f"{make(intervals[0][0])} – {make(intervals[-1][1])}"


def register(registry: Registry) -> None:
    registry.add(SERVICE_EXPOSED, service_exposed)
