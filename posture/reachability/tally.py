"""Counting endpoint pairs between sets of classes without listing them.

A set of classes is summed into one node tally (members per node); pairs on the same node are
then one dot product of two tallies, and pairs on different nodes the rest. Encrypted pairs
likewise, over the nodes whose WireGuard covers the path (calico-semantics §6.2, §6.3).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from posture.engine.index import Index
from posture.engine.peers import Peer, PeerKind
from posture.engine.verdict import Encryption
from posture.reachability.classes import EndpointClass


class Relation(enum.Enum):
    SAME_NODE = "same-node"
    OTHER_NODE = "other-node"
    NONE = "-"  # an end is outside the cluster


def encryption(relation: Relation, pairs: int, encrypted_pairs: int) -> Encryption:
    """A set of pairs' encryption: local on one node, in clear from or to the outside,
    encrypted only when WireGuard covers every pair (§6.2, §6.3)."""
    if relation is Relation.SAME_NODE:
        return Encryption.LOCAL
    if relation is Relation.NONE or encrypted_pairs != pairs:
        return Encryption.UNENCRYPTED
    return Encryption.ENCRYPTED


@dataclass(frozen=True, slots=True)
class Side:
    """Classes on one side of a block, summed: members, members per node."""

    classes: tuple[EndpointClass, ...]
    size: int
    nodes: dict[str, int]


def overlap(ca: dict[str, int], cb: dict[str, int], only: set[str] | None = None) -> int:
    """Pairs of members on the same node (restricted to nodes in ``only``), iterating over
    the smaller of the two node tallies: host classes can span thousands of nodes."""
    small, large = (ca, cb) if len(ca) <= len(cb) else (cb, ca)
    if only is None:
        return sum(n * large.get(node, 0) for node, n in small.items())
    return sum(n * large.get(node, 0) for node, n in small.items() if node in only)


class Tally:
    """Node tallies, pair counts and representatives, memoised per class."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._counts: dict[int, dict[str, int]] = {}
        self._enc: dict[tuple[bool, int], set[str]] = {}

    def node_counts(self, c: EndpointClass) -> dict[str, int]:
        hit = self._counts.get(id(c))
        if hit is None:
            hit = c.node_counts()
            self._counts[id(c)] = hit
        return hit

    def side(self, classes: Iterable[EndpointClass]) -> Side:
        cl = tuple(classes)
        if len(cl) == 1:
            return Side(cl, cl[0].size, self.node_counts(cl[0]))
        nodes: dict[str, int] = {}
        size = 0
        for c in cl:
            size += c.size
            for node, n in self.node_counts(c).items():
                nodes[node] = nodes.get(node, 0) + n
        return Side(cl, size, nodes)

    def enc_nodes(self, host_path: bool, family: int) -> set[str]:
        """Nodes whose WireGuard encrypts paths to pods (or, ``host_path``, to node addresses)."""
        key = (host_path, family)
        hit = self._enc.get(key)
        if hit is None:
            snap = self.index.snap
            hit = {
                n.name
                for n in snap.nodes
                if snap.wireguard_encrypts(n, family, host_path=host_path)
            }
            self._enc[key] = hit
        return hit

    def pairs(self, a: Side, b: Side, itself: int | None = None) -> dict[Relation, int]:
        """Endpoint pairs between two sides (each of one kind) by relation (relations with
        none left out). An endpoint and itself are no pair: ``itself`` counts the members
        both sides hold, when the caller knows it."""
        kinds = {a.classes[0].kind, b.classes[0].kind}
        if PeerKind.EXTERNAL in kinds:
            return {} if kinds == {PeerKind.EXTERNAL} else {Relation.NONE: a.size * b.size}
        if itself is None:
            both = {id(c) for c in a.classes} & {id(c) for c in b.classes}
            itself = sum(c.size for c in a.classes if id(c) in both)
        same_all = overlap(a.nodes, b.nodes)
        out = {
            Relation.SAME_NODE: same_all - itself,
            Relation.OTHER_NODE: a.size * b.size - same_all,
        }
        return {r: n for r, n in out.items() if n}

    def on(self, side: Side, dst_kind: PeerKind, family: int) -> int:
        """Members of a side on nodes that encrypt paths to ``dst_kind`` of ``family``."""
        enc = self.enc_nodes(dst_kind is PeerKind.HOST, family)
        return sum(n for node, n in side.nodes.items() if node in enc)

    def encrypted_pairs(
        self,
        a: Side,
        b: Side,
        dst_kind: PeerKind,
        family: int,
        on: tuple[int, int] | None = None,
    ) -> int:
        """Pairs on different nodes that both encrypt the path (``on``: each side's members
        on encrypting nodes, when the caller knows them)."""
        enc = self.enc_nodes(dst_kind is PeerKind.HOST, family)
        ea, eb = (
            on if on is not None else (self.on(a, dst_kind, family), self.on(b, dst_kind, family))
        )
        return ea * eb - overlap(a.nodes, b.nodes, enc)

    def reps(self, a: Side, b: Side, relation: Relation) -> tuple[Peer, Peer] | None:
        """One endpoint pair of the two sides in this relation."""
        if relation is Relation.NONE:
            return a.classes[0].rep, b.classes[0].rep
        if relation is Relation.OTHER_NODE:
            for ca in a.classes:
                for cb in b.classes:
                    found = self.class_reps(ca, cb, False)
                    if found is not None:
                        return found
            return None
        # Same node: look only at classes with members on a node both sides use.
        for node in a.nodes.keys() & b.nodes.keys():
            a_here = [c for c in a.classes if node in self.node_counts(c)]
            b_here = [c for c in b.classes if node in self.node_counts(c)]
            for ca in a_here:
                for cb in b_here:
                    found = self.class_reps(ca, cb, True)
                    if found is not None:
                        return found
        return None

    def class_reps(
        self, a: EndpointClass, b: EndpointClass, same_node: bool
    ) -> tuple[Peer, Peer] | None:
        """Representatives of classes a and b on the same node / on different nodes."""
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
