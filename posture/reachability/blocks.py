"""Reachability held as blocks: a set of source classes × a set of destination classes whose
paths every stage decides alike, decided once.

A whole path S → D (:mod:`posture.engine.path`) meets, in order, the source's own chains (a
workload's egress policy; host-endpoint policy of its node), then the destination's (host
endpoint policy of its node; a workload's ingress policy). Each chain's verdict depends on
the two ends only through what its rules can tell apart of them
(:meth:`ClassBits.partition`), and on the end it belongs to only through that end's own part
and its node's settings. So the verdict of S → D is a function of

* the source's egress behaviour (its chain's content and its own part in it) and the part the
  destination falls in under that chain;
* the destination's ingress behaviour and the part the source falls in under it;
* each end's node context (host endpoints, Felix settings, failsafe regions, SNAT), and the
  part the other end falls in under that node's host-endpoint chains;
* whether the ends share a node.

Blocks are built by splitting sets of classes (Python ints as bit sets) along those parts,
only where a chain allows something; the cost follows the number of distinct behaviours and
blocks, not the number of class pairs. Chains are compared by content (two namespaces'
profiles that allow everything are one behaviour), so an open cluster is a handful of
blocks. A block's verdict (its ``parts``) is that of one example pair; evidence naming a
particular pair is decided afresh for it (``Matrix.decide``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator

from posture.engine.chain import Chain
from posture.engine.flows import EMPTY, Flows
from posture.engine.index import Index, PolicySet
from posture.engine.path import PathEngine, PathVerdict
from posture.engine.peers import Peer, PeerKind
from posture.engine.verdict import Stage
from posture.model.net import IPSet
from posture.model.policy import Direction, Profile
from posture.reachability.bits import ClassBits, iter_bits
from posture.reachability.classes import EndpointClass
from posture.reachability.tally import Relation, Side, Tally


class Block:
    """Every pair of ``srcs`` × ``dsts`` in ``relation`` is allowed the same flows
    (``allowed``): ``pairs`` endpoint pairs, ``encrypted_pairs`` of them on paths WireGuard
    encrypts. ``parts`` is the whole-path verdict of one example pair, decided when first
    asked for (its steps name that pair's endpoints and policies)."""

    __slots__ = (
        "_engine",
        "_example",
        "_parts",
        "allowed",
        "dsts",
        "encrypted_pairs",
        "pairs",
        "relation",
        "srcs",
    )

    def __init__(
        self,
        srcs: tuple[EndpointClass, ...],
        dsts: tuple[EndpointClass, ...],
        relation: Relation,
        pairs: int,
        encrypted_pairs: int,
        allowed: Flows,
        engine: PathEngine,
        example: tuple[Peer, Peer] | None = None,
        parts: tuple[tuple[Flows, PathVerdict], ...] | None = None,
    ) -> None:
        self.srcs = srcs
        self.dsts = dsts
        self.relation = relation
        self.pairs = pairs
        self.encrypted_pairs = encrypted_pairs
        self.allowed = allowed
        self._engine = engine
        self._example = example
        self._parts = parts

    @property
    def src_kind(self) -> PeerKind:
        return self.srcs[0].kind

    @property
    def dst_kind(self) -> PeerKind:
        return self.dsts[0].kind

    @property
    def example(self) -> tuple[Peer, Peer]:
        """One endpoint pair of the block."""
        if self._example is None:
            t = Tally(self._engine.index)
            found = t.reps(t.side(self.srcs), t.side(self.dsts), self.relation)
            assert found is not None, "a block holds a pair in its relation"
            self._example = found
        return self._example

    @property
    def parts(self) -> tuple[tuple[Flows, PathVerdict], ...]:
        """The example pair's whole-path verdict."""
        if self._parts is None:
            src, dst = self.example
            full = self._engine.index.universe.full()
            self._parts = tuple(self._engine.decide(src, dst, full))
        return self._parts

    def __repr__(self) -> str:
        return (
            f"Block({len(self.srcs)} × {len(self.dsts)} classes, {self.relation.value}, "
            f"{self.pairs} pairs)"
        )


def allowed_of(parts: tuple[tuple[Flows, PathVerdict], ...]) -> Flows:
    out = EMPTY
    for flows, v in parts:
        if v.allowed:
            out = out | flows
    return out


_NODE_SETS = (PolicySet.UNTRACKED, PolicySet.PRE_DNAT, PolicySet.NORMAL, PolicySet.FORWARD)
_FORWARDED = (PolicySet.UNTRACKED, PolicySet.PRE_DNAT, PolicySet.FORWARD)


class _Behaviours:
    """Chains, their partitions and per-class keys, each computed once."""

    def __init__(self, index: Index, classes: list[EndpointClass], bits: ClassBits) -> None:
        self.index = index
        self.classes = classes
        self.bits = bits
        self._profile_keys: dict[tuple[int, Direction], Hashable] = {}
        self._parts: dict[tuple[Hashable, bool], list[int]] = {}
        self._part_of: dict[tuple[Hashable, bool], list[int]] = {}
        self._node_chains: dict[tuple[str, bool], tuple[Chain, ...]] = {}
        self.host_of_node: dict[str, int] = {}
        for i, c in enumerate(classes):
            if c.kind is PeerKind.HOST:
                for m in c.members:
                    self.host_of_node[m] = i
        self.snat = [self._snat(i) for i in range(len(classes))]
        nets: set[str] = set()
        felixes = {id(f): f for f in (index.snap.felix_for(n.name) for n in index.snap.nodes)}
        felixes[id(index.snap.felix)] = index.snap.felix
        for f in felixes.values():
            nets.update(e.net for e in (*f.failsafe_inbound, *f.failsafe_outbound) if e.net)
        self._failsafe_nets = [IPSet.from_cidrs([n]) for n in sorted(nets)]

    # --- chains ---------------------------------------------------------------------------

    def _profile_key(self, prof: Profile, direction: Direction) -> Hashable:
        key = (id(prof), direction)
        hit = self._profile_keys.get(key)
        if hit is None:
            hit = prof.rules(direction)
            self._profile_keys[key] = hit
        return hit

    def chain_key(self, chain: Chain) -> Hashable:
        """Chains with equal keys decide alike: the same policies in the same tiers, profiles
        with the same rules (whatever their names), the same end-of-chain behaviour."""
        return (
            chain.direction,
            chain.mode,
            tuple((g.tier.name, tuple(id(p) for p in g.policies)) for g in chain.groups),
            tuple(self._profile_key(p, chain.direction) for p in chain.profiles),
        )

    def parts(self, chain: Chain, toward_dst: bool) -> list[int]:
        key = (self.chain_key(chain), toward_dst)
        hit = self._parts.get(key)
        if hit is None:
            hit = self.bits.partition(chain, toward_dst)
            self._parts[key] = hit
        return hit

    def part_of(self, chain: Chain, toward_dst: bool) -> list[int]:
        """Class index → number of its part (for the few host-endpoint chains)."""
        key = (self.chain_key(chain), toward_dst)
        hit = self._part_of.get(key)
        if hit is None:
            hit = [0] * len(self.classes)
            for k, part in enumerate(self.parts(chain, toward_dst)):
                for i in iter_bits(part):
                    hit[i] = k
            self._part_of[key] = hit
        return hit

    def workload(self, c: EndpointClass, direction: Direction) -> Chain | None:
        if c.kind is not PeerKind.POD:
            return None
        return self.index.workload_chain(c.pods[0], direction)

    def node_chains(self, c: EndpointClass, forwarded: bool = False) -> tuple[Chain, ...]:
        """The host-endpoint chains of the class's node that have something to evaluate (a
        path meets some of them; which, the node context and the relation say). With
        ``forwarded``, only those a pod-to-pod path can meet: untracked, pre-DNAT and
        applyOnForward policy (§5.4, §5.8); normal host policy guards the host alone."""
        if c.kind is PeerKind.EXTERNAL:
            return ()
        node = c.rep.node
        hit = self._node_chains.get((node, forwarded))
        if hit is None:
            hosts = self.index.node_hosts(node)
            heps = [h for h in (hosts.wildcard, *hosts.named) if h is not None]
            sets = _FORWARDED if forwarded else _NODE_SETS
            found: dict[Hashable, Chain] = {}
            for hep in heps:
                for direction in Direction:
                    for which in sets:
                        chain = self.index.host_chain(hep, direction, which, Stage.HOST_INGRESS)
                        if chain.groups or chain.profiles:
                            found.setdefault(self.chain_key(chain), chain)
            hit = tuple(found.values())
            self._node_chains[(node, forwarded)] = hit
        return hit

    # --- per-class keys -------------------------------------------------------------------

    def _snat(self, i: int) -> int:
        """The class a pod's traffic to other nodes' addresses is seen from (natOutgoing, §4.8)."""
        c = self.classes[i]
        if c.kind is not PeerKind.POD:
            return i
        seen = PathEngine(self.index)._snat_source(c.rep)
        if seen is c.rep:
            return i
        return self.host_of_node.get(seen.node, i)

    def _failsafe(self, i: int) -> tuple[bool, ...]:
        region = self.classes[i].rep.region
        return tuple(region.issubset(n) for n in self._failsafe_nets)

    def own_parts(self, i: int, chains: tuple[Chain, ...]) -> tuple[int, ...]:
        out: list[int] = []
        for chain in chains:
            out.append(self.part_of(chain, True)[i])
            out.append(self.part_of(chain, False)[i])
        return tuple(out)

    def context(self, i: int) -> Hashable:
        """What of one end, beyond its workload chains, a path's verdict can depend on."""
        c = self.classes[i]
        j = self.snat[i]
        return (
            c.kind,
            c.rep.family,
            c.context,
            self.own_parts(i, self.node_chains(c)),
            self._failsafe(i),
            j != i,
            self._failsafe(j),
            c.rep.named_ports if c.kind is PeerKind.HOST else (),
        )

    def pod_context(self, i: int) -> Hashable:
        """The same for a pod on a path to or from another pod: only host-endpoint policy a
        forwarded packet meets can matter. None when there is none (the path is then decided
        by the two workload chains alone)."""
        c = self.classes[i]
        chains = self.node_chains(c, forwarded=True)
        if not chains:
            return None
        return (c.rep.family, c.context, self.own_parts(i, chains))


def _group(bits: int, group_of: list[int], groups: list[int]) -> Iterator[tuple[int, int]]:
    """(group number, bits ∩ group) for the groups that meet ``bits``: by walking the bits
    when there are fewer of them than groups, else by intersecting with each group."""
    if bits.bit_count() < len(groups):
        found: dict[int, int] = {}
        for i in iter_bits(bits):
            g = group_of[i]
            found[g] = found.get(g, 0) | (1 << i)
        yield from found.items()
        return
    for g, group in enumerate(groups):
        hit = bits & group
        if hit:
            yield g, hit


def _numbering(groups: list[int], n: int) -> list[int]:
    out = [0] * n
    for g, bits in enumerate(groups):
        for i in iter_bits(bits):
            out[i] = g
    return out


def _keyed(keys: list[Hashable]) -> tuple[list[int], list[int]]:
    """Groups of equal keys as bit sets, and each index's group number."""
    found: dict[Hashable, int] = {}
    of = [0] * len(keys)
    groups: list[int] = []
    for i, k in enumerate(keys):
        g = found.get(k)
        if g is None:
            g = found[k] = len(groups)
            groups.append(0)
        groups[g] |= 1 << i
        of[i] = g
    return groups, of


# A side's workload behaviour: (peer part, flows its chain allows to/from that part), parts
# with equal flows merged.
_Function = tuple[tuple[int, Flows], ...]


def _function(parts: list[tuple[int, Flows]]) -> _Function:
    by_flows: dict[Flows, int] = {}
    for part, flows in parts:
        by_flows[flows] = by_flows.get(flows, 0) | part
    return tuple(sorted(((bits, flows) for flows, bits in by_flows.items()), key=lambda x: x[0]))


class _Builder:
    def __init__(self, index: Index, classes: list[EndpointClass], engine: PathEngine) -> None:
        self.index = index
        self.classes = classes
        self.engine = engine
        self.bits = ClassBits(index, classes)
        self.b = _Behaviours(index, classes, self.bits)
        self.tally = Tally(index)
        self.full = index.universe.full()
        n = len(classes)
        self.contexts, self.context_of = _keyed([self.b.context(i) for i in range(n)])
        self.pod_contexts, self.pod_context_of = _keyed(
            [
                self.b.pod_context(i) if c.kind is PeerKind.POD else "-"
                for i, c in enumerate(classes)
            ]
        )
        self.transparent = [self.b.pod_context(i) is None for i in range(n)]
        self.sources = self._functions(Direction.EGRESS)
        self.targets = self._functions(Direction.INGRESS)
        self.target_bits = [bits for bits, _ in self.targets]
        self.target_of = _numbering(self.target_bits, n)
        self.source_bits = [bits for bits, _ in self.sources]
        self.source_of = _numbering(self.source_bits, n)
        self._side_memo: dict[int, Side] = {}
        self._on_memo: dict[tuple[int, PeerKind, int], int] = {}

    # --- workload stages ------------------------------------------------------------------

    def _functions(self, direction: Direction) -> list[tuple[int, _Function]]:
        """Classes grouped by what their own workload chain allows to (egress) or from
        (ingress) every peer part. Chains that differ in content but not in effect fall in
        one group: their verdicts differ only in the steps that explain them."""
        by_chain: dict[Hashable, tuple[int, Chain | None]] = {}
        for i, c in enumerate(self.classes):
            chain = self.b.workload(c, direction)
            key = (c.kind, None if chain is None else self.b.chain_key(chain))
            bits, _ = by_chain.get(key, (0, chain))
            by_chain[key] = (bits | (1 << i), chain)
        by_function: dict[Hashable, int] = {}
        egress = direction is Direction.EGRESS
        for bits, chain in by_chain.values():
            if chain is None:
                key = (
                    self.classes[(bits & -bits).bit_length() - 1].kind,
                    ((self.bits.all, self.full),),
                )
                by_function[key] = by_function.get(key, 0) | bits
                continue
            # The chain's own end: source of an egress chain, destination of an ingress one.
            for own in self.bits.partition(chain, not egress, within=bits):
                me = self._rep(own)
                parts = []
                for part in self.b.parts(chain, egress):
                    other = self._rep(part)
                    src, dst = (me, other) if egress else (other, me)
                    parts.append((part, self.bits.allowed(chain, src, dst)))
                key = (PeerKind.POD, _function(parts))
                by_function[key] = by_function.get(key, 0) | own
        return [(bits, key[1]) for key, bits in by_function.items()]  # type: ignore[index]

    def _rep(self, bits: int) -> Peer:
        return self.classes[(bits & -bits).bit_length() - 1].rep

    def candidates(self) -> Iterator[tuple[int, int, Flows]]:
        """(sources, destinations, what their workload stages allow between them): every
        pair that may have an allowed path, split by workload behaviour. A host's own pods
        stay candidates whatever their policy says (§5.7)."""
        host = PeerKind.HOST
        for src_bits, egress in self.sources:
            from_host = self.classes[(src_bits & -src_bits).bit_length() - 1].kind is host
            for part, flows in egress:
                if not flows:
                    continue
                for t, dst_bits in _group(part, self.target_of, self.target_bits):
                    for q, g_flows in self.targets[t][1]:
                        srcs = src_bits & q
                        if not srcs:
                            continue
                        both = flows & g_flows
                        if both or from_host:
                            yield srcs, dst_bits, both

    # --- node stages ----------------------------------------------------------------------

    def blocks(self) -> Iterator[Block]:
        pod = PeerKind.POD
        for srcs, dsts, flows in self.candidates():
            s_kind = self.classes[(srcs & -srcs).bit_length() - 1].kind
            d_kind = self.classes[(dsts & -dsts).bit_length() - 1].kind
            if s_kind is pod and d_kind is pod:
                of, groups = self.pod_context_of, self.pod_contexts
            else:
                of, groups = self.context_of, self.contexts
            by_src = list(_group(srcs, of, groups))
            for _, d1 in _group(dsts, of, groups):
                for _, s1 in by_src:
                    yield from self._node_blocks(s1, d1, flows)

    def _node_blocks(self, s1: int, d1: int, flows: Flows) -> Iterator[Block]:
        """Split by the parts each end falls in under the other end's host-endpoint chains,
        then decide each piece once per relation."""
        i = (s1 & -s1).bit_length() - 1
        j = (d1 & -d1).bit_length() - 1
        cs, cd = self.classes[i], self.classes[j]
        if cs.kind is PeerKind.EXTERNAL and cd.kind is PeerKind.EXTERNAL:
            return
        pods = cs.kind is PeerKind.POD and cd.kind is PeerKind.POD
        if pods and self.transparent[i] and self.transparent[j]:
            # Nothing between the two workload chains can change the verdict.
            yield from self._tallied(s1, d1, flows)
            return
        b = self.b
        d_parts = self._cross(d1, b.node_chains(cs, pods), lambda k: (k,))
        snat = b.snat
        s_parts = self._cross(s1, b.node_chains(cd, pods), lambda k: (k, snat[k]))
        for s2 in s_parts:
            for d2 in d_parts:
                yield from self._decided(s2, d2, bool(flows))

    def _cross(
        self, bits: int, chains: tuple[Chain, ...], seen: Callable[[int], tuple[int, ...]]
    ) -> list[int]:
        if not chains:
            return [bits]
        arrays = [b for c in chains for b in (self.b.part_of(c, True), self.b.part_of(c, False))]
        out: dict[Hashable, int] = {}
        for i in iter_bits(bits):
            key = tuple(a[j] for j in seen(i) for a in arrays)
            out[key] = out.get(key, 0) | (1 << i)
        return list(out.values())

    def _side(self, bits: int, groups: list[int], group_of: list[int]) -> Side:
        """The classes of a bit set, summed (memoised: many blocks share one end). Most of a
        behaviour group is summed as the group less the rest of it."""
        hit = self._side_memo.get(bits)
        if hit is not None:
            return hit
        classes = tuple(self.classes[i] for i in iter_bits(bits))
        parent = groups[group_of[(bits & -bits).bit_length() - 1]]
        if parent != bits and not bits & ~parent and 2 * bits.bit_count() > parent.bit_count():
            whole = self._side(parent, groups, group_of)
            rest = self._side(parent & ~bits, groups, group_of)
            nodes = dict(whole.nodes)
            for node, n in rest.nodes.items():
                left = nodes[node] - n
                if left:
                    nodes[node] = left
                else:
                    del nodes[node]
            hit = Side(classes, whole.size - rest.size, nodes)
        else:
            hit = self.tally.side(classes)
        self._side_memo[bits] = hit
        return hit

    def _sides(self, s: int, d: int) -> tuple[Side, Side]:
        return (
            self._side(s, self.source_bits, self.source_of),
            self._side(d, self.target_bits, self.target_of),
        )

    def _on(self, bits: int, side: Side, dst: Side) -> int:
        """Members of a side on nodes that encrypt the paths (memoised per bit set)."""
        rep = dst.classes[0].rep
        key = (bits, rep.kind, rep.family)
        hit = self._on_memo.get(key)
        if hit is None:
            hit = self._on_memo[key] = self.tally.on(side, rep.kind, rep.family)
        return hit

    def _encrypted(self, s: int, d: int, src: Side, dst: Side, relation: Relation) -> int:
        if relation is not Relation.OTHER_NODE:
            return 0
        rep = dst.classes[0].rep
        on = (self._on(s, src, dst), self._on(d, dst, dst))
        return self.tally.encrypted_pairs(src, dst, rep.kind, rep.family, on)

    def _pairs(self, s: int, d: int, src: Side, dst: Side) -> dict[Relation, int]:
        both = s & d
        itself = sum(self.classes[i].size for i in iter_bits(both)) if both else 0
        return self.tally.pairs(src, dst, itself)

    def _tallied(self, s: int, d: int, flows: Flows) -> Iterator[Block]:
        """Blocks whose verdict the workload stages alone decide: no path to decide."""
        src, dst = self._sides(s, d)
        for relation, pairs in self._pairs(s, d, src, dst).items():
            enc = self._encrypted(s, d, src, dst, relation)
            yield Block(src.classes, dst.classes, relation, pairs, enc, flows, self.engine)

    def _decided(self, s: int, d: int, open_: bool) -> Iterator[Block]:
        src, dst = self._sides(s, d)
        for relation, pairs in self._pairs(s, d, src, dst).items():
            if not open_ and relation is not Relation.SAME_NODE:
                continue  # only a host's own pods can still be reached (§5.7)
            reps = self.tally.reps(src, dst, relation)
            if reps is None:
                continue
            parts = tuple(self.engine.decide(reps[0], reps[1], self.full))
            allowed = allowed_of(parts)
            if allowed:
                enc = self._encrypted(s, d, src, dst, relation)
                yield Block(
                    src.classes,
                    dst.classes,
                    relation,
                    pairs,
                    enc,
                    allowed,
                    self.engine,
                    reps,
                    parts,
                )


def build_blocks(
    index: Index, classes: list[EndpointClass], engine: PathEngine | None = None
) -> list[Block]:
    """Every block with something allowed."""
    return list(_Builder(index, classes, engine or PathEngine(index)).blocks())
