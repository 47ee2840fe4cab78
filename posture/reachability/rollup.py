"""A block's pairs counted per group of its ends (pods by namespace, node groups, outside
ranges), as reports and findings speak of them.

Pairs between two groups are the product of their sizes, less (for other-node blocks) or
only (for same-node blocks) the pairs on one node: a dot product of the two groups' node
tallies. A block often holds every class of a group (a whole namespace); such a group's
tally is the group's own, and its dot products with other whole groups or with single classes
are computed once for the whole matrix. So the cost follows groups and blocks, walking nodes
only where a block holds part of a group.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from posture.engine.peers import PeerKind
from posture.reachability.blocks import Block
from posture.reachability.classes import EndpointClass
from posture.reachability.tally import Relation, Tally, overlap

Group = tuple[str, str, str]  # kind, namespace, group name


def group_of(c: EndpointClass) -> Group:
    """Pods by namespace; node groups and outside ranges by their class."""
    return (c.kind.value, c.namespace, c.namespace if c.kind is PeerKind.POD else c.name)


# One side of a block, by group: (group, its classes in the block, whether that is all of
# them, (when not) their identity for memoising, and their members).
_Part = tuple[Group, list[EndpointClass], bool, tuple[int, ...], int]


class Rollups:
    """Per-group pair counts of blocks over one matrix's classes (memoised)."""

    def __init__(self, tally: Tally, classes: list[EndpointClass]) -> None:
        self.tally = tally
        self._of = {id(c): group_of(c) for c in classes}
        self._members: dict[Group, int] = {}
        self._group_classes: dict[Group, list[EndpointClass]] = {}
        for c in classes:
            g = self._of[id(c)]
            self._members[g] = self._members.get(g, 0) + 1
            self._group_classes.setdefault(g, []).append(c)
        self._group_nodes: dict[Group, dict[str, int]] = {}
        self._dots: dict[tuple[object, object], int] = {}
        self._parts: dict[tuple[int, ...], dict[str, int]] = {}
        self._sides: dict[tuple[int, ...], list[_Part]] = {}
        self._vs: dict[int, dict[Group, int]] = {}
        self._by_node: dict[str, dict[Group, int]] | None = None
        self._side_tallies: dict[tuple[int, ...], dict[str, int]] = {}

    def _nodes(self, g: Group) -> dict[str, int]:
        hit = self._group_nodes.get(g)
        if hit is None:
            hit = self._group_nodes[g] = self.tally.side(self._group_classes[g]).nodes
        return hit

    def _side(self, classes: tuple[EndpointClass, ...]) -> list[_Part]:
        """A block side by group (memoised: many blocks share a side)."""
        key = tuple(map(id, classes))
        hit = self._sides.get(key)
        if hit is not None:
            return hit
        by: dict[Group, list[EndpointClass]] = {}
        of = self._of
        for c in classes:
            by.setdefault(of[id(c)], []).append(c)
        out: list[_Part] = []
        for g, cl in by.items():
            whole = len(cl) == self._members[g]
            ids = () if whole else tuple(id(c) for c in cl)
            out.append((g, cl, whole, ids, sum(c.size for c in cl)))
        self._sides[key] = out
        return out

    def _part_nodes(self, key: tuple[int, ...], classes: list[EndpointClass]) -> dict[str, int]:
        hit = self._parts.get(key)
        if hit is None:
            hit = self._parts[key] = self.tally.side(classes).nodes
        return hit

    def _versus(self, c: EndpointClass) -> dict[Group, int]:
        """Pairs on one node between a class and each whole group, from the groups on each
        of its nodes (memoised per class)."""
        hit = self._vs.get(id(c))
        if hit is None:
            if self._by_node is None:
                self._by_node = {}
                for g in self._group_classes:
                    for node, n in self._nodes(g).items():
                        self._by_node.setdefault(node, {})[g] = n
            hit = {}
            for node, n in self.tally.node_counts(c).items():
                for g, m in self._by_node.get(node, {}).items():
                    hit[g] = hit.get(g, 0) + n * m
            self._vs[id(c)] = hit
        return hit

    def _same(self, a: _Part, b: _Part) -> int:
        """Pairs on one node between a's and b's classes of the block."""
        ga, ca, whole_a, ta, _ = a
        gb, cb, whole_b, tb, _ = b
        dots = self._dots
        key: tuple[object, object]
        if whole_a and whole_b:
            key = (ga, gb)
            hit = dots.get(key)
            if hit is None:
                hit = dots[key] = overlap(self._nodes(ga), self._nodes(gb))
            return hit
        if whole_b or whole_a:
            # Sum per class of the partial side against the whole group.
            whole, part = (gb, ca) if whole_b else (ga, cb)
            return sum(self._versus(c).get(whole, 0) for c in part)
        key = (ta, tb)
        hit = dots.get(key)
        if hit is None:
            hit = dots[key] = overlap(self._part_nodes(ta, ca), self._part_nodes(tb, cb))
        return hit

    def colocated(self, block: Block) -> list[tuple[Group, Group]]:
        """The (source group, destination group) pairs of a same-node block that hold an
        endpoint pair: groups with members on one node (an endpoint and itself excepted)."""
        assert block.relation is Relation.SAME_NODE
        srcs, dsts = self._side(block.srcs), self._side(block.dsts)
        dst_ids = {id(c) for c in block.dsts}
        out = []
        for a in srcs:
            for b in dsts:
                pairs = self._same(a, b)
                if a[0] == b[0]:  # an endpoint and itself are no pair
                    pairs -= sum(c.size for c in a[1] if id(c) in dst_ids)
                if pairs:
                    out.append((a[0], b[0]))
        return out

    def _part_tally(self, part: _Part) -> dict[str, int]:
        g, classes, whole, ids, _ = part
        return self._nodes(g) if whole else self._part_nodes(ids, classes)

    def _side_tally(self, parts: list[_Part]) -> dict[str, int]:
        key = tuple(id(p[1]) for p in parts)
        hit = self._side_tallies.get(key)
        if hit is None:
            hit = {}
            for p in parts:
                for node, n in self._part_tally(p).items():
                    hit[node] = hit.get(node, 0) + n
            self._side_tallies[key] = hit
        return hit

    def ends(self, block: Block) -> tuple[list[Group], list[Group]]:
        """The groups of a block's sources and of its destinations."""
        return [p[0] for p in self._side(block.srcs)], [p[0] for p in self._side(block.dsts)]

    def marginals(self, block: Block) -> tuple[list[tuple[Group, int]], list[tuple[Group, int]]]:
        """Pairs of ``block`` from each source group to all its destinations, and to each
        destination group from all its sources."""
        srcs, dsts = self._side(block.srcs), self._side(block.dsts)

        def per_group(
            mine: list[_Part], other: list[_Part], other_classes: tuple[EndpointClass, ...]
        ) -> list[tuple[Group, int]]:
            relation = block.relation
            size = sum(p[4] for p in other)
            if relation is Relation.NONE:
                return [(p[0], p[4] * size) for p in mine]
            nodes = self._side_tally(other)
            ids = {id(c) for c in other_classes}
            out = []
            for p in mine:
                same = overlap(self._part_tally(p), nodes)
                if relation is Relation.SAME_NODE:
                    itself = sum(c.size for c in p[1] if id(c) in ids)
                    out.append((p[0], same - itself))
                else:
                    out.append((p[0], p[4] * size - same))
            return out

        return per_group(srcs, dsts, block.dsts), per_group(dsts, srcs, block.srcs)


class Touching:
    """Pairs of cross-node blocks with an end on some nodes (which do not encrypt), counted
    from each side's members on those nodes (memoised per class and per side), never from
    the sides' whole node tallies."""

    def __init__(self, tally: Tally, nodes: AbstractSet[str]) -> None:
        self.tally = tally
        self.nodes = nodes
        self._class: dict[int, dict[str, int]] = {}
        self._side: dict[int, tuple[int, dict[str, int]]] = {}

    def _on(self, c: EndpointClass) -> dict[str, int]:
        hit = self._class.get(id(c))
        if hit is None:
            nodes = self.nodes
            hit = {n: k for n, k in self.tally.node_counts(c).items() if n in nodes}
            self._class[id(c)] = hit
        return hit

    def _sum(
        self, classes: tuple[EndpointClass, ...] | list[EndpointClass]
    ) -> tuple[int, dict[str, int]]:
        size = 0
        on: dict[str, int] = {}
        for c in classes:
            size += c.size
            for n, k in self._on(c).items():
                on[n] = on.get(n, 0) + k
        return size, on

    def _of(self, classes: tuple[EndpointClass, ...]) -> tuple[int, dict[str, int]]:
        hit = self._side.get(id(classes))
        if hit is None:
            hit = self._side[id(classes)] = self._sum(classes)
        return hit

    @staticmethod
    def _pairs(a: tuple[int, dict[str, int]], b: tuple[int, dict[str, int]]) -> int:
        """Pairs on different nodes with an end on the nodes: a's members there with any of b
        not on the same node, and a's others with b's members there."""
        size_a, on_a = a
        size_b, on_b = b
        in_a, in_b = sum(on_a.values()), sum(on_b.values())
        same = sum(k * on_b.get(n, 0) for n, k in on_a.items())
        return in_a * size_b - same + (size_a - in_a) * in_b

    def count(self, block: Block) -> tuple[int, int]:
        """Pairs of a cross-node block with an end on the nodes, and how many of those go to
        node addresses or from pods to pods of another namespace."""
        assert block.relation is Relation.OTHER_NODE
        hit = self._pairs(self._of(block.srcs), self._of(block.dsts))
        if block.dst_kind is PeerKind.HOST:
            return hit, hit
        if block.dst_kind is not PeerKind.POD or block.src_kind is not PeerKind.POD:
            return hit, 0
        shared = {c.namespace for c in block.srcs} & {c.namespace for c in block.dsts}
        within = 0
        for ns in shared:
            a = self._sum([c for c in block.srcs if c.namespace == ns])
            b = self._sum([c for c in block.dsts if c.namespace == ns])
            within += self._pairs(a, b)
        return hit, hit - within
