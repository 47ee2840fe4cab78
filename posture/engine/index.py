"""Per-snapshot lookups the engine needs: peers for addresses, applicable policies per label
set (memoised: endpoints with equal labels share one answer), host endpoints per node."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from posture.engine.chain import Chain, ChainMode, TierGroup
from posture.engine.flows import Flows, Universe
from posture.engine.match import MatchContext
from posture.engine.members import Members, build_members
from posture.engine.peers import Peer, PeerKind
from posture.engine.verdict import Stage
from posture.model.endpoints import EndpointGroup, HostEndpoint, Node, Pod
from posture.model.meta import Labels
from posture.model.net import IPSet, ip_to_int
from posture.model.policy import Direction, Policy, Profile, Tier
from posture.model.snapshot import Failsafe, Snapshot
from posture.selectors.calico.ast import AndNode, CompareNode, CompareOp, HasNode, SetNode
from posture.selectors.calico.ast import Node as SelectorNode


class PolicySet(enum.Enum):
    """Which policies a stage considers (§2.2 point 4, §5.4)."""

    NORMAL = "normal"  # neither preDNAT nor doNotTrack
    FORWARD = "forward"  # applyOnForward, neither preDNAT nor doNotTrack
    PRE_DNAT = "pre-dnat"
    UNTRACKED = "untracked"


def _in_set(p: Policy, which: PolicySet) -> bool:
    if which is PolicySet.NORMAL:
        return p.normal
    if which is PolicySet.FORWARD:
        return p.normal and p.apply_on_forward
    if which is PolicySet.PRE_DNAT:
        return p.pre_dnat
    return p.do_not_track


def parse_ip(address: str) -> tuple[int, int]:
    """``ip_to_int`` with a fast path for plain dotted-quad IPv4 (the vast majority)."""
    parts = address.split(".")
    if len(parts) == 4 and all(
        p.isascii() and p.isdigit() and len(p) <= 3 and (p == "0" or p[0] != "0") for p in parts
    ):
        a, b, c, d = (int(p) for p in parts)
        if a <= 255 and b <= 255 and c <= 255 and d <= 255:
            return 4, (a << 24) | (b << 16) | (c << 8) | d
    return ip_to_int(address)


def _family(address: str) -> int:
    return parse_ip(address)[0]


def _single(address: str) -> IPSet:
    fam, value = parse_ip(address)
    return IPSet(v4=((value, value),)) if fam == 4 else IPSet(v6=((value, value),))


@dataclass(frozen=True, slots=True)
class NodeHosts:
    """The host endpoints of one node."""

    wildcard: HostEndpoint | None
    named: tuple[HostEndpoint, ...]

    @property
    def any(self) -> bool:
        return self.wildcard is not None or bool(self.named)

    def for_address(self, address: str) -> HostEndpoint | None:
        """The HEP governing traffic to/from ``address`` on this node (§5.1): a named HEP whose
        expectedIPs hold it, else an interface-named HEP (assumed to be the main interface),
        else the ``*`` HEP."""
        for h in self.named:
            if address in h.expected_ips:
                return h
        for h in self.named:
            if h.interface and not h.expected_ips:
                return h
        return self.wildcard

    def assumed(self, address: str) -> HostEndpoint | None:
        """The host endpoint :meth:`for_address` picks for ``address`` only by assumption: one
        that names an interface but no ``expectedIPs``, so nothing says it carries this
        address (§4.5, §5.1)."""
        if any(address in h.expected_ips for h in self.named):
            return None
        return next((h for h in self.named if h.interface and not h.expected_ips), None)


class Index:
    """Lookups over one Snapshot. Built once per analysis; holds no global state."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        protos: set[int] = set()
        for p in (*snap.policies, *snap.staged_policies):
            for r in (*p.ingress, *p.egress):
                protos.update(x for x in (r.protocol, r.not_protocol) if x is not None)
        for prof in snap.profiles:
            for r in (*prof.ingress, *prof.egress):
                protos.update(x for x in (r.protocol, r.not_protocol) if x is not None)
        self.universe = Universe.of(protos)
        self.wep_pods: list[Pod] = [p for p in snap.pods if p.is_workload_endpoint]
        # Only Services some ``services`` rule names are ever matched against (§4.6): their
        # members alone are built, so the index does not grow with every Service's pods.
        named = _named_services(snap)
        self.ctx = MatchContext(
            self.universe,
            build_members(
                (s for s in snap.services if (s.namespace, s.name) in named),
                (g for g in snap.service_endpoints if (g.namespace, g.service) in named),
                self.wep_pods,
            ),
        )
        self.tiers: dict[str, Tier] = {t.name: t for t in snap.tiers}
        self._tier_rank = {t.name: i for i, t in enumerate(snap.tiers)}
        self.policies = sorted(
            snap.policies, key=lambda p: (self._tier_rank.get(p.tier, 1 << 30), p.order_key())
        )
        self.policy_by_name: dict[str, Policy] = {str(p.ref): p for p in self.policies}
        self.profiles: dict[str, Profile] = {p.name: p for p in snap.profiles}
        self.nodes: dict[str, Node] = {n.name: n for n in snap.nodes}
        self.pod_by_ip: dict[str, Pod] = {}
        for pod in self.wep_pods:
            for ip in pod.ips:
                self.pod_by_ip.setdefault(ip, pod)
        self.node_by_address: dict[str, Node] = {}
        for n in snap.nodes:
            for a in n.all_addresses:
                self.node_by_address.setdefault(a, n)
        # A host endpoint's expectedIPs are addresses of its node: traffic to them is host
        # traffic through that endpoint (§5.1), whether or not the Node object lists them.
        for h in snap.host_endpoints:
            owner = self.nodes.get(h.node)
            if owner is not None:
                for a in h.expected_ips:
                    self.node_by_address.setdefault(a, owner)
        self.host_network_pods: dict[str, list[Pod]] = {}
        for pod in snap.pods:
            if pod.host_network and pod.node:
                self.host_network_pods.setdefault(pod.node, []).append(pod)
        self.hosts: dict[str, NodeHosts] = {}
        by_node: dict[str, list[HostEndpoint]] = {}
        for h in snap.host_endpoints:
            by_node.setdefault(h.node, []).append(h)
        for node, heps in by_node.items():
            heps.sort(key=lambda h: h.name)
            wild = next((h for h in heps if h.wildcard), None)
            self.hosts[node] = NodeHosts(wild, tuple(h for h in heps if not h.wildcard))
        self._applicable: dict[tuple[Labels, Direction, PolicySet], tuple[TierGroup, ...]] = {}
        self._ip_owner_cache: dict[str, tuple[Labels, ...]] = {}
        self._membership: dict[str, tuple[Hashable, ...]] | None = None
        self._groups: dict[tuple[str, str], tuple[EndpointGroup, ...]] | None = None
        self._pods_by_namespace: dict[str, list[Pod]] | None = None
        self._peers: dict[int, Peer] = {}
        self.failsafe_cache: dict[tuple[tuple[Failsafe, ...], IPSet | None], Flows] = {}
        self._host_peers: dict[tuple[str, str], Peer] = {}
        # Host endpoint labels per expected IP, in the order owners_of reports them.
        self._hep_owners: dict[str, list[Labels]] = {}
        for hosts in self.hosts.values():
            for h in (*hosts.named, *((hosts.wildcard,) if hosts.wildcard else ())):
                for ip in dict.fromkeys(h.expected_ips):
                    self._hep_owners.setdefault(ip, []).append(h.labels)
        # Policies indexed by a label (key, value) or key their selector requires, so that
        # ``applicable`` evaluates only candidates (positions in self.policies, kept in order).
        self._selector_keys: frozenset[str] = frozenset(
            k for p in self.policies for k in p.selector.label_keys()
        )
        self._always: list[int] = []
        self._by_pair: dict[tuple[str, str], list[int]] = {}
        self._by_key: dict[str, list[int]] = {}
        options = [label_requirements(p.selector.ast) for p in self.policies]
        freq: Counter[tuple[str, str]] = Counter(
            kv for opts in options for o in opts if isinstance(o, tuple) for kv in o
        )
        for i, opts in enumerate(options):
            req = _choose(opts, freq)
            if req is None:
                self._always.append(i)
            elif isinstance(req, str):
                self._by_key.setdefault(req, []).append(i)
            else:
                for pair in req:
                    self._by_pair.setdefault(pair, []).append(i)

    # --- policies -----------------------------------------------------------------------

    def applicable(
        self, labels: Labels, direction: Direction, which: PolicySet
    ) -> tuple[TierGroup, ...]:
        """Tiers (in order) with the policies that select ``labels`` for ``direction``."""
        # Only keys some policy selector mentions can change the answer: endpoints whose labels
        # differ elsewhere (pod-template-hash, pod names) share one cache entry.
        keys = self._selector_keys
        key = (Labels({k: v for k, v in labels.items() if k in keys}), direction, which)
        hit = self._applicable.get(key)
        if hit is not None:
            return hit
        groups: list[TierGroup] = []
        current: list[Policy] = []
        tier_name = ""
        for p in self._candidates(labels):
            if direction not in p.types or not _in_set(p, which):
                continue
            if not p.selector.matches(labels):
                continue
            if p.tier != tier_name and current:
                groups.append(TierGroup(self.tiers[tier_name], tuple(current)))
                current = []
            tier_name = p.tier
            current.append(p)
        if current:
            groups.append(TierGroup(self.tiers[tier_name], tuple(current)))
        result = tuple(groups)
        self._applicable[key] = result
        return result

    def _candidates(self, labels: Labels) -> list[Policy]:
        """The policies whose selector may match ``labels``, in evaluation order."""
        found = list(self._always)
        by_pair, by_key = self._by_pair, self._by_key
        for item in labels.items():
            hit = by_pair.get(item)
            if hit:
                found.extend(hit)
            hit = by_key.get(item[0])
            if hit:
                found.extend(hit)
        policies = self.policies
        return [policies[i] for i in sorted(set(found))]

    def workload_chain(self, pod: Pod, direction: Direction) -> Chain:
        stage = Stage.EGRESS if direction is Direction.EGRESS else Stage.INGRESS
        profiles = tuple(self.profiles[n] for n in pod.profile_names if n in self.profiles)
        return Chain(
            stage,
            f"pod {pod.namespace}/{pod.name}",
            direction,
            self.applicable(pod.labels, direction, PolicySet.NORMAL),
            profiles,
        )

    def host_chain(
        self, hep: HostEndpoint, direction: Direction, which: PolicySet, stage: Stage
    ) -> Chain:
        mode = {
            PolicySet.NORMAL: ChainMode.NORMAL,
            PolicySet.FORWARD: ChainMode.FORWARD,
            PolicySet.PRE_DNAT: ChainMode.PRE,
            PolicySet.UNTRACKED: ChainMode.PRE,
        }[which]
        profiles = tuple(self.profiles[n] for n in hep.profiles if n in self.profiles)
        iface = "*" if hep.wildcard else (hep.interface or "by expectedIPs")
        subject = f"node {hep.node} (host endpoint {hep.name}, interface {iface})"
        return Chain(
            stage, subject, direction, self.applicable(hep.labels, direction, which), profiles, mode
        )

    def node_hosts(self, node: str) -> NodeHosts:
        return self.hosts.get(node, NodeHosts(None, ()))

    def endpoint_groups(self, namespace: str, service: str) -> tuple[EndpointGroup, ...]:
        """The EndpointSlices (or Endpoints) of one Service, as read."""
        if self._groups is None:
            groups: dict[tuple[str, str], list[EndpointGroup]] = {}
            for g in self.snap.service_endpoints:
                groups.setdefault((g.namespace, g.service), []).append(g)
            self._groups = {k: tuple(v) for k, v in groups.items()}
        return self._groups.get((namespace, service), ())

    def wep_pods_in(self, namespace: str) -> list[Pod]:
        """The workload pods of one namespace (a Service's selector looks nowhere else, so
        resolving every Service's endpoints costs the pods once, not once per Service)."""
        if self._pods_by_namespace is None:
            by_ns: dict[str, list[Pod]] = {}
            for pod in self.wep_pods:
                by_ns.setdefault(pod.namespace, []).append(pod)
            self._pods_by_namespace = by_ns
        return self._pods_by_namespace.get(namespace, [])

    def service_membership(self, address: str) -> tuple[Hashable, ...]:
        """The Services ``address`` is a member of, with its ports there: two endpoints that
        differ here can differ under a ``services`` rule (§4.6)."""
        if self._membership is None:
            by_addr: dict[str, list[Hashable]] = {}
            for key, members in sorted(self._referenced_members().items()):
                for addr, ports in members.ports.items():
                    by_addr.setdefault(addr, []).append((key, tuple(sorted(ports.items()))))
            self._membership = {a: tuple(v) for a, v in by_addr.items()}
        return self._membership.get(address, ())

    def service_addresses(self) -> list[str]:
        """Every address a Service that some rule names has as a member."""
        return sorted({a for m in self._referenced_members().values() for a in m.ports})

    def _referenced_members(self) -> dict[tuple[str, str], Members]:
        """Members of the Services some ``services`` rule names (only those can tell
        endpoints apart; the match context holds no others)."""
        return dict(self.ctx.services)

    # --- peers ----------------------------------------------------------------------------

    def owners_of(self, address: str) -> tuple[Labels, ...]:
        """Every label set that claims ``address``: WEP, HEPs (expectedIPs), network sets."""
        cached = self._ip_owner_cache.get(address)
        if cached is not None:
            return cached
        owners: list[Labels] = []
        pod = self.pod_by_ip.get(address)
        if pod is not None:
            owners.append(pod.labels)
        owners.extend(self._hep_owners.get(address, ()))
        if self.snap.network_sets:
            fam, value = parse_ip(address)
            for ns in self.snap.network_sets:
                if ns.nets.contains(value, fam):
                    owners.append(ns.labels)
        result = tuple(owners)
        self._ip_owner_cache[address] = result
        return result

    def pod_peer(self, pod: Pod) -> Peer:
        """The peer policy sees for a workload (memoised: peers are immutable)."""
        hit = self._peers.get(id(pod))
        if hit is not None and hit.pod is pod:
            return hit
        peer = self._pod_peer(pod)
        self._peers[id(pod)] = peer
        return peer

    def _pod_peer(self, pod: Pod) -> Peer:
        address = pod.ips[0]
        owners = self.owners_of(address)
        return Peer(
            kind=PeerKind.POD,
            region=_single(address),
            family=_family(address),
            owners=owners,
            named_ports=tuple((0, cp) for cp in pod.named_ports),
            node=pod.node,
            pod=pod,
            address=address,
            name=f"pod {pod.namespace}/{pod.name}",
        )

    def host_peer(self, node: Node, address: str | None = None) -> Peer:
        """The peer policy sees for a node address (memoised: peers are immutable)."""
        key = (node.name, address or "")
        hit = self._host_peers.get(key)
        if hit is not None and hit.node_obj is node:
            return hit
        peer = self._host_peer(node, address)
        self._host_peers[key] = peer
        return peer

    def _host_peer(self, node: Node, address: str | None) -> Peer:
        address = address or (node.addresses[0] if node.addresses else "")
        owners = self.owners_of(address) if address else ()
        # Named ports of host endpoints claiming this address (§4.4: HEP ``ports``).
        hosts = self.node_hosts(node.name)
        hep_ports = [
            (i, cp)
            for i, labels in enumerate(owners)
            for h in (*hosts.named, *((hosts.wildcard,) if hosts.wildcard else ()))
            if h.labels == labels and address in h.expected_ips
            for cp in h.ports
        ]
        return Peer(
            kind=PeerKind.HOST,
            region=IPSet.from_cidrs([address]) if address else IPSet.EMPTY,
            family=_family(address) if address else 4,
            owners=owners,
            named_ports=tuple(hep_ports),
            node=node.name,
            node_obj=node,
            address=address,
            name=f"node {node.name} ({address})" if address else f"node {node.name}",
        )

    def external_peer(self, region: IPSet, name: str, family: int = 4) -> Peer:
        owners = tuple(ns.labels for ns in self.snap.network_sets if region.issubset(ns.nets))
        return Peer(PeerKind.EXTERNAL, region, family, owners, address=_first(region), name=name)

    def peer_for_address(self, address: str) -> Peer:
        pod = self.pod_by_ip.get(address)
        if pod is not None:
            return self.pod_peer(pod)
        node = self.node_by_address.get(address)
        if node is not None:
            return self.host_peer(node, address)
        fam = _family(address)
        return self.external_peer(IPSet.from_cidrs([address]), f"address {address}", fam)


Requirement = str | tuple[tuple[str, str], ...]


def label_requirements(node: SelectorNode) -> list[Requirement]:
    """Things every label set matching ``node`` has, each alone sufficient as a filter: one of
    these (key, value) pairs, or this key. Empty when nothing is required (``all()``, ``!a``,
    ``a != 'x'``, ``a || b``)."""
    if isinstance(node, CompareNode) and node.op is CompareOp.EQ:
        return [((node.label, node.value),)]
    if isinstance(node, SetNode) and not node.negated:
        return [tuple((node.label, v) for v in node.values)]
    if isinstance(node, HasNode) or (isinstance(node, CompareNode) and node.op is not CompareOp.NE):
        return [node.label]
    if isinstance(node, AndNode):
        return [req for operand in node.operands for req in label_requirements(operand)]
    return []


def _choose(options: list[Requirement], freq: Counter[tuple[str, str]]) -> Requirement | None:
    """The most selective requirement: the (key, value) pairs fewest policies require."""
    pairs = [o for o in options if isinstance(o, tuple)]
    if pairs:
        return min(pairs, key=lambda o: sum(freq[kv] for kv in o))
    return options[0] if options else None


def _first(region: IPSet) -> str:
    cidrs = region.to_cidrs()
    return cidrs[0].split("/")[0] if cidrs else ""


def all_addresses(nodes: Iterable[Node]) -> set[str]:
    return {a for n in nodes for a in n.all_addresses}


def _named_services(snap: Snapshot) -> frozenset[tuple[str, str]]:
    """(namespace, name) of every Service a ``services`` rule of a policy, staged policy or
    profile names."""
    rules = [r for p in (*snap.policies, *snap.staged_policies) for r in (*p.ingress, *p.egress)]
    rules.extend(r for prof in snap.profiles for r in (*prof.ingress, *prof.egress))
    return frozenset(
        (e.services.namespace, e.services.name)
        for r in rules
        for e in (r.source, r.destination)
        if e.services is not None
    )
