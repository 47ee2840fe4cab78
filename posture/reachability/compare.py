"""What differs between two matrices over the same classes (a what-if: a staged policy
enforced), found block by block.

Sources are grouped by the blocks they start in, in either matrix; for each such group the
destinations of its blocks (disjoint within a relation: every pair lies in one block) are cut
where the two matrices' blocks overlap. The cost follows blocks and their overlaps, never
class pairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from posture.engine.flows import EMPTY, Flows
from posture.reachability.bits import iter_bits
from posture.reachability.classes import EndpointClass
from posture.reachability.matrix import Block, Matrix
from posture.reachability.tally import Relation


@dataclass(frozen=True, slots=True)
class Change:
    srcs: tuple[EndpointClass, ...]
    dsts: tuple[EndpointClass, ...]
    relation: Relation
    before: Flows
    after: Flows
    pairs: int


def _starts(m: Matrix, pos: dict[int, int]) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in m.classes]
    for k, b in enumerate(m.blocks):
        for c in b.srcs:
            out[pos[id(c)]].append(k)
    return out


def _dst_bits(b: Block, pos: dict[int, int]) -> int:
    bits = 0
    for c in b.dsts:
        bits |= 1 << pos[id(c)]
    return bits


def _pieces(
    before: list[tuple[int, Flows]], after: list[tuple[int, Flows]]
) -> Iterator[tuple[int, Flows, Flows]]:
    """Destinations cut by both sides' blocks: (destinations, flows before, flows after)."""
    all_before = 0
    for d, _ in before:
        all_before |= d
    all_after = 0
    for d, _ in after:
        all_after |= d
    for d1, f1 in before:
        for d2, f2 in after:
            both = d1 & d2
            if both:
                yield both, f1, f2
        if d1 & ~all_after:
            yield d1 & ~all_after, f1, EMPTY
    for d2, f2 in after:
        if d2 & ~all_before:
            yield d2 & ~all_before, EMPTY, f2


def changes(base: Matrix, alt: Matrix) -> Iterator[Change]:
    """Every (sources, destinations, relation) whose allowed flows differ, with its pairs."""
    classes = base.classes
    pos = {id(c): i for i, c in enumerate(classes)}
    b_starts, a_starts = _starts(base, pos), _starts(alt, pos)
    groups: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {}
    for i in range(len(classes)):
        key = (tuple(b_starts[i]), tuple(a_starts[i]))
        groups[key] = groups.get(key, 0) | (1 << i)
    b_dsts: dict[int, int] = {}
    a_dsts: dict[int, int] = {}

    def side(
        m: Matrix, ks: tuple[int, ...], memo: dict[int, int], r: Relation
    ) -> list[tuple[int, Flows]]:
        out = []
        for k in ks:
            b = m.blocks[k]
            if b.relation is r:
                if k not in memo:
                    memo[k] = _dst_bits(b, pos)
                out.append((memo[k], b.allowed))
        return out

    t = base.tally
    for (bks, aks), src_bits in groups.items():
        srcs = tuple(classes[i] for i in iter_bits(src_bits))
        for relation in Relation:
            before = side(base, bks, b_dsts, relation)
            after = side(alt, aks, a_dsts, relation)
            for d, f1, f2 in _pieces(before, after):
                if f1 == f2:
                    continue
                dsts = tuple(classes[i] for i in iter_bits(d))
                pairs = t.pairs(t.side(srcs), t.side(dsts)).get(relation, 0)
                if pairs:
                    yield Change(srcs, dsts, relation, f1, f2, pairs)
