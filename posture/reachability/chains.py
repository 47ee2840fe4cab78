"""Chain analyses that several checks share: what one endpoint's chain decides for peers it
cannot tell apart, and for traffic that no rule mentions.

* :func:`local_signature` says when two endpoints get the same verdicts from one chain, so a
  chain-level analysis runs once per signature instead of once per class;
* :func:`peer_representatives` picks one peer class per group that no rule tells apart;
* :func:`anonymous_peer` is an outside address that no rule, network set or cluster address
  covers ("traffic no rule mentions");
* :func:`default_open` finds the pod classes whose unmentioned traffic falls through to the
  namespace profile's Allow (calico-semantics §2.6).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from types import MappingProxyType

from posture.engine.chain import Chain, evaluate
from posture.engine.index import Index
from posture.engine.match import MatchContext, side_matches
from posture.engine.peers import Peer
from posture.engine.verdict import Decision
from posture.model.net import IPSet
from posture.model.policy import Direction
from posture.reachability.bits import ClassBits, iter_bits
from posture.reachability.classes import Atoms, EndpointClass, rule_address_sets

DefaultOpen = MappingProxyType[Direction, tuple[EndpointClass, ...]]


def local_signature(chain: Chain, me: Peer, ctx: MatchContext) -> Hashable:
    """Everything about the local endpoint that ``chain``'s verdicts can depend on: which
    rules' own side (source of an egress rule, destination of an ingress rule) it matches, and
    its named ports and family. Classes with the same chain and signature get the same
    verdicts from every peer, so chain-level analyses run once per signature."""
    own_is_src = chain.direction is Direction.EGRESS
    rules = [r for g in chain.groups for p in g.policies for r in p.rules(chain.direction)]
    rules.extend(r for prof in chain.profiles for r in prof.rules(chain.direction))
    matches = tuple(side_matches(r.source if own_is_src else r.destination, me, ctx) for r in rules)
    pod_ports = me.pod.ports if me.pod is not None else ()
    return (
        chain.direction,
        tuple(id(p) for g in chain.groups for p in g.policies),
        tuple(prof.name for prof in chain.profiles),
        matches,
        me.named_ports,
        pod_ports,
        me.family,
    )


def peer_representatives(
    bits: ClassBits, chain: Chain, me: EndpointClass, parts: list[int] | None = None
) -> Iterator[EndpointClass]:
    """One class per group of classes that no rule of ``chain`` tells apart as the peer: the
    chain decides the same for all of them (posture.reachability.bits). An endpoint is not its
    own peer, so a class of one is skipped as the representative of its group."""
    toward_dst = chain.direction is Direction.EGRESS
    for part in parts if parts is not None else bits.partition(chain, toward_dst):
        for i in iter_bits(part):
            other = bits.classes[i]
            if other is me and me.size == 1:
                continue
            yield other
            break


def excluded_group(parts: list[int], me: EndpointClass, position: int) -> int:
    """The peer group left out for ``me`` (itself alone, when it is a class of one)."""
    if me.size != 1:
        return 0
    mine = 1 << position
    return mine if mine in parts else 0


def anonymous_peer(index: Index) -> Peer:
    """An outside address that no rule, network set or cluster address covers."""
    sets = rule_address_sets(index)
    cluster = (
        IPSet.from_cidrs(p.cidr for p in index.snap.ip_pools)
        | IPSet.from_cidrs(a for n in index.snap.nodes for a in n.all_addresses)
        | IPSet.from_cidrs(ip for p in index.wep_pods for ip in p.ips)
    )
    for region in Atoms(sets).regions(4):
        free = region - cluster
        if free and not any(not free.isdisjoint(s) for s in sets):
            return index.external_peer(free, "traffic no rule mentions", 4)
    # Every IPv4 atom is mentioned somewhere; fall back to an atom outside the cluster.
    return index.external_peer(IPSet.from_cidrs(["198.51.100.77"]), "traffic no rule mentions")


def falls_through(index: Index, cls: EndpointClass, direction: Direction, anon: Peer) -> bool:
    """True when some unmentioned traffic reaches the namespace profile's Allow."""
    pod = cls.pods[0]
    me = index.pod_peer(pod)
    src, dst = (me, anon) if direction is Direction.EGRESS else (anon, me)
    chain = index.workload_chain(pod, direction)
    for _, outcome in evaluate(chain, src, dst, index.universe.full(), index.ctx):
        if outcome.decision is Decision.ALLOW and outcome.steps and outcome.steps[-1].profile:
            return True
    return False


def default_open(idx: Index, classes: Iterable[EndpointClass]) -> DefaultOpen:
    """Pod classes whose unmentioned traffic falls through to the profile, by direction."""
    anon = anonymous_peer(idx)
    out: dict[Direction, list[EndpointClass]] = {d: [] for d in Direction}
    known: dict[Hashable, bool] = {}
    for cls in classes:
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
    return MappingProxyType({d: tuple(out[d]) for d in Direction})
