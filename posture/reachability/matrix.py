"""The reachability matrix between endpoint classes.

Each cell is one whole-path decision between two representatives, over the full flow space.
Where the relation of the two ends matters (same node or not: pod → own node is a different
path from pod → remote node, §5.6/§5.8), a cell is computed per relation that actually occurs
among the members, with representatives chosen to match it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field

from posture.engine.chain import Chain
from posture.engine.flows import EMPTY, Flows
from posture.engine.index import Index
from posture.engine.path import PathEngine, PathVerdict
from posture.engine.peers import Peer, PeerKind
from posture.engine.verdict import Encryption
from posture.model.policy import Direction
from posture.reachability.bits import ClassBits, iter_bits
from posture.reachability.classes import EndpointClass, build_classes


class Relation(enum.Enum):
    SAME_NODE = "same-node"
    OTHER_NODE = "other-node"
    NONE = "-"  # an end is outside the cluster


@dataclass(frozen=True, slots=True)
class Cell:
    src: EndpointClass
    dst: EndpointClass
    relation: Relation
    parts: tuple[tuple[Flows, PathVerdict], ...]
    pairs: int  # endpoint pairs this cell stands for
    encrypted_pairs: int  # of those, pairs whose traffic WireGuard encrypts

    @property
    def allowed(self) -> Flows:
        out = EMPTY
        for flows, v in self.parts:
            if v.allowed:
                out = out | flows
        return out

    @property
    def encryption(self) -> Encryption:
        if self.relation is Relation.SAME_NODE:
            return Encryption.LOCAL
        if self.relation is Relation.NONE:
            return Encryption.UNENCRYPTED
        if self.encrypted_pairs == self.pairs:
            return Encryption.ENCRYPTED
        return Encryption.UNENCRYPTED


@dataclass(slots=True)
class Matrix:
    classes: list[EndpointClass]
    cells: list[Cell]
    engine: PathEngine
    _builder: _Builder | None = field(default=None, init=False, repr=False, compare=False)

    def _b(self) -> _Builder:
        if self._builder is None:
            self._builder = _Builder(self.engine.index)
        return self._builder

    def allowed_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.allowed]

    def pair_counts(self, a: EndpointClass, b: EndpointClass) -> dict[Relation, int]:
        """Endpoint pairs between two classes by relation (those with none left out)."""
        if PeerKind.EXTERNAL in (a.kind, b.kind):
            both = a.kind is PeerKind.EXTERNAL and b.kind is PeerKind.EXTERNAL
            return {} if both else {Relation.NONE: a.size * b.size}
        same, other = self._b().pair_counts(a, b)
        out = {Relation.SAME_NODE: same, Relation.OTHER_NODE: other}
        return {r: n for r, n in out.items() if n}

    def example(self, a: EndpointClass, b: EndpointClass, relation: Relation) -> tuple[Peer, Peer]:
        """One endpoint pair of the two classes in this relation (the cell's representatives)."""
        if relation is Relation.NONE:
            return a.rep, b.rep
        reps = self._b().reps(a, b, same_node=relation is Relation.SAME_NODE)
        return reps if reps is not None else (a.rep, b.rep)

    def decide(self, a: EndpointClass, b: EndpointClass, relation: Relation) -> Cell | None:
        """The cell of one class pair and relation, decided afresh (also when nothing is
        allowed, which the matrix does not keep); None when no such pair exists."""
        return next((c for c in self._b().cells(a, b) if c.relation is relation), None)


def _encrypting_nodes(index: Index, host_path: bool, family: int) -> set[str]:
    snap = index.snap
    return {n.name for n in snap.nodes if snap.wireguard_encrypts(n, family, host_path=host_path)}


class _Builder:
    def __init__(self, index: Index) -> None:
        self.index = index
        self.engine = PathEngine(index)
        self.full = index.universe.full()
        self._enc: dict[tuple[bool, int], set[str]] = {}
        self._counts: dict[int, dict[str, int]] = {}
        self._enc_counts: dict[tuple[int, bool, int], int] = {}

    def node_counts(self, c: EndpointClass) -> dict[str, int]:
        hit = self._counts.get(id(c))
        if hit is None:
            hit = c.node_counts()
            self._counts[id(c)] = hit
        return hit

    def enc_nodes(self, host_path: bool, family: int) -> set[str]:
        key = (host_path, family)
        if key not in self._enc:
            self._enc[key] = _encrypting_nodes(self.index, host_path, family)
        return self._enc[key]

    def cells(self, a: EndpointClass, b: EndpointClass) -> list[Cell]:
        if a.kind is PeerKind.EXTERNAL and b.kind is PeerKind.EXTERNAL:
            return []
        if PeerKind.EXTERNAL in (a.kind, b.kind):
            parts = self.engine.decide(a.rep, b.rep, self.full)
            return [Cell(a, b, Relation.NONE, tuple(parts), a.size * b.size, 0)]
        out = []
        same, other = self.pair_counts(a, b)
        if same:
            reps = self.reps(a, b, same_node=True)
            if reps is not None:
                parts = self.engine.decide(reps[0], reps[1], self.full)
                out.append(Cell(a, b, Relation.SAME_NODE, tuple(parts), same, 0))
        if other:
            reps = self.reps(a, b, same_node=False)
            if reps is not None:
                parts = self.engine.decide(reps[0], reps[1], self.full)
                enc = self._encrypted_pairs(a, b)
                out.append(Cell(a, b, Relation.OTHER_NODE, tuple(parts), other, enc))
        return out

    def pair_counts(self, a: EndpointClass, b: EndpointClass) -> tuple[int, int]:
        same = _overlap(self.node_counts(a), self.node_counts(b), None)
        total = a.size * b.size
        if a is b:  # an endpoint to itself is not a path
            same -= a.size
            total -= a.size
        return same, total - same

    def _encrypted_count(self, c: EndpointClass, enc_key: tuple[bool, int]) -> int:
        """Members of ``c`` on nodes that encrypt (memoised per class and node set)."""
        key = (id(c), *enc_key)
        hit = self._enc_counts.get(key)
        if hit is None:
            enc = self.enc_nodes(*enc_key)
            hit = sum(n for node, n in self.node_counts(c).items() if node in enc)
            self._enc_counts[key] = hit
        return hit

    def _encrypted_pairs(self, a: EndpointClass, b: EndpointClass) -> int:
        enc_key = (b.kind is PeerKind.HOST, b.rep.family)
        enc = self.enc_nodes(*enc_key)
        ea = self._encrypted_count(a, enc_key)
        eb = self._encrypted_count(b, enc_key)
        same_enc = _overlap(self.node_counts(a), self.node_counts(b), enc)
        return ea * eb - same_enc

    def reps(self, a: EndpointClass, b: EndpointClass, same_node: bool) -> tuple[Peer, Peer] | None:
        """Representatives of a and b on the same node / on different nodes."""
        b_nodes: dict[str, int] = {}
        for i, n in enumerate(b.member_nodes):
            b_nodes.setdefault(n, i)
        for i, node in enumerate(a.member_nodes):
            if same_node:
                j = b_nodes.get(node)
                if j is not None and not (a is b and i == j):
                    return self._peer(a, i), self._peer(b, j)
                if a is b and node in b_nodes:
                    for k, n2 in enumerate(b.member_nodes):
                        if n2 == node and k != i:
                            return self._peer(a, i), self._peer(b, k)
            else:
                for j, n2 in enumerate(b.member_nodes):
                    if n2 != node:
                        return self._peer(a, i), self._peer(b, j)
        return None

    def _peer(self, c: EndpointClass, i: int) -> Peer:
        if c.kind is PeerKind.POD:
            return self.index.pod_peer(c.pods[i])
        node = self.index.nodes[c.members[i]]
        return self.index.host_peer(node)


def _overlap(ca: dict[str, int], cb: dict[str, int], only: set[str] | None) -> int:
    """Pairs of members on the same node (restricted to nodes in ``only``), iterating over
    the smaller of the two node tallies: host classes can span thousands of nodes."""
    small, large = (ca, cb) if len(ca) <= len(cb) else (cb, ca)
    if only is None:
        return sum(n * large.get(node, 0) for node, n in small.items())
    return sum(n * large.get(node, 0) for node, n in small.items() if node in only)


def build_matrix(index: Index, classes: list[EndpointClass] | None = None) -> Matrix:
    """Cells with something allowed, for every ordered pair of classes. Pairs whose first or
    last workload chain allows nothing are skipped without deciding the whole path
    (:mod:`posture.reachability.bits`); cells whose paths allow nothing are not kept."""
    classes = classes if classes is not None else build_classes(index)
    b = _Builder(index)
    cells: list[Cell] = []
    for a, c in _candidate_pairs(index, classes):
        cells.extend(cell for cell in b.cells(a, c) if cell.allowed)
    return Matrix(classes, cells, b.engine)


_ChainKey = tuple[Direction, tuple[int, ...], tuple[str, ...]]


def _chain_key(chain: Chain) -> _ChainKey:
    return (
        chain.direction,
        tuple(id(p) for g in chain.groups for p in g.policies),
        tuple(p.name for p in chain.profiles),
    )


def _candidate_pairs(
    index: Index, classes: list[EndpointClass]
) -> Iterator[tuple[EndpointClass, EndpointClass]]:
    """Ordered class pairs that may have an allowed path, in matrix order (row by row)."""
    bits = ClassBits(index, classes)
    partitions: dict[tuple[_ChainKey, bool], list[int]] = {}

    def parts(chain: Chain, toward_dst: bool) -> list[int]:
        key = (_chain_key(chain), toward_dst)
        hit = partitions.get(key)
        if hit is None:
            hit = bits.partition(chain, toward_dst)
            partitions[key] = hit
        return hit

    def verdicts(i: int, direction: Direction) -> list[tuple[int, Flows]]:
        """(group of peer classes, allowed flows) for class i's own chain, nothing-allowed
        groups left out."""
        cls = classes[i]
        chain = index.workload_chain(cls.pods[0], direction)
        out = []
        for part in parts(chain, direction is Direction.EGRESS):
            other = classes[(part & -part).bit_length() - 1].rep
            src, dst = (cls.rep, other) if direction is Direction.EGRESS else (other, cls.rep)
            flows = bits.allowed(chain, src, dst)
            if flows:
                out.append((part, flows))
        return out

    ingress: dict[int, list[tuple[int, Flows]]] = {}
    ingress_any: dict[int, int] = {}

    def ingress_from(j: int, i: int) -> Flows:
        """What class j's ingress chain allows from class i."""
        if j not in ingress:
            ingress[j] = verdicts(j, Direction.INGRESS)
            acc = 0
            for part, _ in ingress[j]:
                acc |= part
            ingress_any[j] = acc
        if not (ingress_any[j] >> i) & 1:
            return EMPTY
        return next(f for part, f in ingress[j] if (part >> i) & 1)

    pod = PeerKind.POD
    for i, a in enumerate(classes):
        if a.kind is pod:
            allowed_to = [
                (j, f) for part, f in verdicts(i, Direction.EGRESS) for j in iter_bits(part)
            ]
            allowed_to.sort(key=lambda jf: jf[0])
            for j, flows in allowed_to:
                c = classes[j]
                if c.kind is not pod or flows & ingress_from(j, i):
                    yield a, c
        else:
            # host → its own pods is never policed (§5.7): no chain to consult.
            local = set(a.member_nodes) if a.kind is PeerKind.HOST else set()
            for j, c in enumerate(classes):
                if c.kind is pod:
                    if ingress_from(j, i) or not local.isdisjoint(c.member_nodes):
                        yield a, c
                elif not (a.kind is PeerKind.EXTERNAL and c.kind is PeerKind.EXTERNAL):
                    yield a, c
