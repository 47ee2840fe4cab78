"""Grouping endpoints into equivalence classes.

Two workload endpoints are equivalent when they have the same effective labels (so every
selector agrees), the same named ports, addresses in the same *atom* (a maximal address range
that no CIDR in any rule or network set splits), and nodes with the same host-endpoint and Felix
context. Node addresses are grouped the same way; the outside world is split into atoms.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from posture.engine.index import Index, parse_ip
from posture.engine.peers import Peer, PeerKind
from posture.model.endpoints import HostEndpoint, Node, Pod
from posture.model.meta import Labels
from posture.model.net import IPSet
from posture.model.policy import EntityMatch

# Labels that differ between replicas or revisions without meaning anything to policy authors.
NOISE_LABELS = frozenset(
    {
        "pod-template-hash",
        "controller-revision-hash",
        "pod-template-generation",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "batch.kubernetes.io/controller-uid",
        "controller-uid",
        "job-name",
        "batch.kubernetes.io/job-name",
    }
)


@dataclass(slots=True)
class EndpointClass:
    """A group of equivalent endpoints and one representative."""

    id: str
    kind: PeerKind
    name: str
    namespace: str
    rep: Peer
    members: list[str] = field(default_factory=list)  # ns/pod, node names, or CIDRs
    member_nodes: list[str] = field(default_factory=list)  # parallel to members ('' external)
    pods: list[Pod] = field(default_factory=list)  # POD classes: the members
    # What every member's node shares (host endpoints, Felix settings: :func:`node_context`);
    # None for the outside world.
    context: Hashable = None

    @property
    def size(self) -> int:
        return len(self.members)

    def node_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.member_nodes:
            out[n] = out.get(n, 0) + 1
        return out


class Atoms:
    """Address atoms: boundaries of every CIDR that a rule or network set mentions."""

    def __init__(self, sets: Iterable[IPSet]) -> None:
        v4: set[int] = set()
        v6: set[int] = set()
        for s in sets:
            for lo, hi in s.v4_intervals:
                v4.update((lo, hi + 1))
            for lo, hi in s.v6_intervals:
                v6.update((lo, hi + 1))
        self.v4 = sorted(v4)
        self.v6 = sorted(v6)

    def atom_of(self, address: str) -> tuple[int, int]:
        fam, value = parse_ip(address)
        bounds = self.v4 if fam == 4 else self.v6
        return fam, bisect_right(bounds, value)

    def regions(self, family: int) -> list[IPSet]:
        bounds = self.v4 if family == 4 else self.v6
        top = (1 << 32) - 1 if family == 4 else (1 << 128) - 1
        points = [0, *[b for b in bounds if 0 < b <= top], top + 1]
        out = []
        for lo, nxt in pairwise(points):
            if lo < nxt:
                iv = ((lo, nxt - 1),)
                out.append(IPSet(v4=iv) if family == 4 else IPSet(v6=iv))
        return out


def address_set(addresses: Iterable[str]) -> IPSet:
    """``IPSet.from_cidrs`` for bare addresses, without parsing each one the slow way."""
    v4: list[tuple[int, int]] = []
    v6: list[tuple[int, int]] = []
    for a in addresses:
        fam, value = parse_ip(a)
        (v4 if fam == 4 else v6).append((value, value))
    return IPSet(v4=v4, v6=v6)


def _entity_sets(ent: EntityMatch) -> list[IPSet]:
    return [s for s in (ent.nets, ent.not_nets) if s is not None]


def rule_address_sets(index: Index) -> list[IPSet]:
    sets: list[IPSet] = [ns.nets for ns in index.snap.network_sets]
    for p in index.snap.policies:
        for r in (*p.ingress, *p.egress):
            sets.extend(_entity_sets(r.source))
            sets.extend(_entity_sets(r.destination))
    # Service members outside pods and nodes (an external database) are their own region.
    sets.extend(address_set([a]) for a in index.service_addresses())
    for e in (*index.snap.felix.failsafe_inbound, *index.snap.felix.failsafe_outbound):
        if e.net:
            sets.append(IPSet.from_cidrs([e.net]))
    return sets


def pod_display(pod: Pod, selected: frozenset[str] | None = None) -> str:
    """A pod group's name: its namespace and up to three labels. Given ``selected`` (the label
    keys some selector mentions), only those: a label no selector reads cannot move a pod out
    of its group, so it must not rename the group (reports and ``diff`` key paths by name)."""
    own = {
        k: v
        for k, v in pod.labels.items()
        if not k.startswith(("projectcalico.org/", "pcns.", "pcsa.")) and k not in NOISE_LABELS
        if selected is None or k in selected
    }
    if not own:
        return (
            f"{pod.namespace}: (no labels)"
            if selected is None or not pod.labels
            else (f"{pod.namespace}: (no selected labels)")
        )
    return f"{pod.namespace}: " + ",".join(f"{k}={v}" for k, v in sorted(own.items())[:3])


def relevant_label_keys(index: Index) -> frozenset[str]:
    """Every label key any selector (enforced or staged policy, rule, profile rule) or service
    selector mentions: labels outside this set cannot change any verdict (members of Services
    that rules name are also told apart by address, ``Index.service_membership``)."""
    keys: set[str] = set()
    snap = index.snap
    rule_sets = [(p.ingress, p.egress) for p in snap.profiles]
    for p in (*snap.policies, *snap.staged_policies):
        keys |= p.selector.label_keys()
        rule_sets.append((p.ingress, p.egress))
    for ingress, egress in rule_sets:
        for r in (*ingress, *egress):
            for ent in (r.source, r.destination):
                for sel in (ent.selector, ent.not_selector):
                    if sel is not None:
                        keys |= sel.label_keys()
    for svc in snap.services:
        if svc.selector:
            keys.update(svc.selector)
    return frozenset(keys)


class _Projector:
    """Label sets reduced to the keys that matter (memoised: few distinct label sets)."""

    def __init__(self, keys: frozenset[str]) -> None:
        self.keys = keys
        self._cache: dict[Labels, tuple[tuple[str, str], ...]] = {}

    def __call__(self, labels: Labels) -> tuple[tuple[str, str], ...]:
        hit = self._cache.get(labels)
        if hit is None:
            keys = self.keys
            hit = tuple(kv for kv in labels.items() if kv[0] in keys)
            self._cache[labels] = hit
        return hit

    def owners(self, owners: tuple[Labels, ...]) -> Hashable:
        return tuple(self(o) for o in owners)


def node_context(
    index: Index, node: str, project: _Projector | None = None, atoms: Atoms | None = None
) -> Hashable:
    """What makes two nodes' host-level treatment differ: their host endpoints (as selectors
    see them), Felix settings, and the node's own address as policy sees it (pod traffic to
    remote nodes may be SNATed to it)."""
    hosts = index.node_hosts(node)
    proj = project or (lambda labels: labels)
    n = index.nodes.get(node)
    primary = n.addresses[0] if n is not None and n.addresses else ""

    def sig(h: HostEndpoint | None) -> Hashable:
        if h is None:
            return None
        return (proj(h.labels), h.profiles, h.interface, h.wildcard, primary in h.expected_ips)

    own: Hashable = None
    if primary:
        owners = index.owners_of(primary)
        own = (
            project.owners(owners) if project is not None else owners,
            atoms.atom_of(primary) if atoms is not None else primary,
        )
    return (
        sig(hosts.wildcard),
        tuple(sig(h) for h in hosts.named),
        index.snap.felix_for(node),
        own,
    )


@dataclass(frozen=True, slots=True)
class Refinement:
    """What selectors outside the snapshot see (organisation invariants), so that classes are
    split along them too and every class lies wholly inside or outside each selection: extra
    pod label keys, node label keys and node names, and address ranges (atom boundaries)."""

    label_keys: frozenset[str] = frozenset()
    node_label_keys: frozenset[str] = frozenset()
    node_names: frozenset[str] = frozenset()
    nets: tuple[IPSet, ...] = ()

    def node_tag(self, node: Node) -> Hashable:
        if not self.node_label_keys and not self.node_names:
            return None
        labels = tuple(sorted((k, v) for k, v in node.labels.items() if k in self.node_label_keys))
        return (labels, node.name if node.name in self.node_names else None)


NO_REFINEMENT = Refinement()


def build_classes(index: Index, refine: Refinement = NO_REFINEMENT) -> list[EndpointClass]:
    atoms = Atoms([*rule_address_sets(index), *refine.nets])
    selected = relevant_label_keys(index) | refine.label_keys
    project = _Projector(selected)
    classes: dict[Hashable, EndpointClass] = {}
    ctx_cache: dict[str, Hashable] = {}

    def ctx(node: str) -> Hashable:
        if node not in ctx_cache:
            ctx_cache[node] = node_context(index, node, project, atoms)
        return ctx_cache[node]

    for pod in index.wep_pods:
        # Equal for every selector: the same labels on the keys selectors mention, the same
        # namespace and service account (profiles), named ports, address atom, node context.
        key: Hashable = (
            "pod",
            project.owners(index.owners_of(pod.ips[0])),
            pod.namespace,
            pod.service_account,
            pod.profiles,  # a WorkloadEndpoint's own profiles (§2.6)
            pod.named_ports,
            atoms.atom_of(pod.ips[0]),
            ctx(pod.node),
            index.service_membership(pod.ips[0]),
        )
        cls = classes.get(key)
        if cls is None:
            cls = EndpointClass(
                id="",
                kind=PeerKind.POD,
                name=pod_display(pod, selected),
                namespace=pod.namespace,
                rep=index.pod_peer(pod),
                context=ctx(pod.node),
            )
            classes[key] = cls
        cls.members.append(f"{pod.namespace}/{pod.name}")
        cls.member_nodes.append(pod.node)
        cls.pods.append(pod)

    for node in index.snap.nodes:
        if not node.addresses:
            continue
        peer = index.host_peer(node)
        wg = node.wireguard
        key = (
            "host",
            project.owners(peer.owners),
            peer.named_ports,
            atoms.atom_of(peer.address),
            ctx(node.name),
            index.service_membership(peer.address),
            refine.node_tag(node),
            wg,
            # What listens on the node itself: nodes running different hostNetwork pods expose
            # different services, so findings about them must not be merged.
            frozenset(
                (cp.protocol, cp.port)
                for p in index.host_network_pods.get(node.name, [])
                for cp in p.ports
            ),
        )
        cls = classes.get(key)
        if cls is None:
            cls = EndpointClass(
                id="", kind=PeerKind.HOST, name="", namespace="", rep=peer, context=ctx(node.name)
            )
            classes[key] = cls
        cls.members.append(node.name)
        cls.member_nodes.append(node.name)

    cluster = IPSet.from_cidrs(p.cidr for p in index.snap.ip_pools if not p.disabled)
    cluster = (
        cluster
        | address_set(a for n in index.snap.nodes for a in n.all_addresses)
        | address_set(ip for p in index.wep_pods for ip in p.ips)
    )
    for fam in (4, 6):
        if fam == 6 and not atoms.v6:
            continue
        for region in atoms.regions(fam):
            outside = region - cluster
            if not outside:
                continue
            peer = index.external_peer(outside, "", fam)
            names = sorted(
                str(ns.ref.name) for ns in index.snap.network_sets if outside.issubset(ns.nets)
            )
            full = region == (IPSet.from_cidrs(["0.0.0.0/0"] if fam == 4 else ["::/0"]))
            label = "any address outside the cluster" if full else _cidr_label(region)
            # Never "world": the range may span pod-pool or node addresses (not outside).
            display = (
                f"{', '.join(names)} ({label})"
                if names
                else "outside the cluster"
                if full
                else f"outside the cluster ({label})"
            )
            peer = Peer(
                peer.kind, peer.region, fam, peer.owners, address=peer.address, name=display
            )
            key = ("ext", fam, region)
            classes[key] = EndpointClass(
                id="",
                kind=PeerKind.EXTERNAL,
                name=display,
                namespace="",
                rep=peer,
                members=[label],
                member_nodes=[""],
            )
    out = list(classes.values())
    _name_and_number(out)
    return out


def _cidr_label(region: IPSet) -> str:
    """CIDRs when there are one or two, else the address range (atoms are ranges)."""
    cidrs = region.to_cidrs()
    if len(cidrs) <= 2:
        return ", ".join(cidrs)
    intervals = region.v4_intervals or region.v6_intervals
    first, last = intervals[0][0], intervals[-1][1]
    if region.v4_intervals:
        lo, hi = ipaddress.IPv4Address(first), ipaddress.IPv4Address(last)
    else:
        lo, hi = ipaddress.IPv6Address(first), ipaddress.IPv6Address(last)  # type: ignore[assignment]
    return f"{lo} – {hi}"


def _name_and_number(classes: list[EndpointClass]) -> None:
    """Stable ids and display names (deterministic across runs on the same input)."""
    for c in classes:
        if c.kind is PeerKind.HOST:
            shown = ", ".join(c.members[:3]) + (f", … ({c.size} nodes)" if c.size > 3 else "")
            c.name = f"node {shown}" if c.size == 1 else f"nodes {shown}"
    classes.sort(key=lambda c: (c.kind.value, c.name, c.members[0]))
    seen: dict[str, int] = {}
    for c in classes:
        base = f"{c.kind.value}:{c.name}"
        seen[base] = seen.get(base, 0) + 1
        c.id = base if seen[base] == 1 else f"{base}#{seen[base]}"
        if seen[base] > 1:
            c.name = f"{c.name} #{seen[base]}"
