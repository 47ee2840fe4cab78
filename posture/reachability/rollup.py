"""A block's pairs counted per group of its ends (namespace, node group, outside range…).

Reports and findings speak of namespaces and node groups, not of endpoint classes: a block of
many classes on each side is summed into one tally per (source group, destination group),
walking each node once (pairs on the same node) instead of every class pair.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TypeVar

from posture.engine.peers import PeerKind
from posture.reachability.blocks import Block
from posture.reachability.classes import EndpointClass
from posture.reachability.tally import Relation, Tally


@dataclass(frozen=True, slots=True)
class Count:
    pairs: int
    encrypted: int

    @property
    def unencrypted(self) -> int:
        return self.pairs - self.encrypted


S = TypeVar("S", bound=Hashable)
D = TypeVar("D", bound=Hashable)
K = TypeVar("K", bound=Hashable)


def _by_node(
    tally: Tally, groups: dict[K, list[EndpointClass]], without: AbstractSet[str]
) -> dict[str, dict[K, int]]:
    out: dict[str, dict[K, int]] = {}
    for k, classes in groups.items():
        for c in classes:
            for node, n in tally.node_counts(c).items():
                if node in without:
                    continue
                here = out.setdefault(node, {})
                here[k] = here.get(k, 0) + n
    return out


def _on(by_node: dict[str, dict[K, int]], nodes: set[str] | None) -> dict[K, int]:
    """Members per group on the given nodes (None: on any)."""
    out: dict[K, int] = {}
    for node, here in by_node.items():
        if nodes is None or node in nodes:
            for k, n in here.items():
                out[k] = out.get(k, 0) + n
    return out


def rollup(
    tally: Tally,
    block: Block,
    src_key: Callable[[EndpointClass], S],
    dst_key: Callable[[EndpointClass], D],
    without: AbstractSet[str] = frozenset(),
) -> dict[tuple[S, D], Count]:
    """Pairs (and encrypted pairs) of ``block`` per (source group, destination group); groups
    with no pair in the block's relation are left out. ``without``: count only endpoints on
    other nodes than these."""
    srcs: dict[S, list[EndpointClass]] = {}
    for c in block.srcs:
        srcs.setdefault(src_key(c), []).append(c)
    dsts: dict[D, list[EndpointClass]] = {}
    for c in block.dsts:
        dsts.setdefault(dst_key(c), []).append(c)
    if block.relation is Relation.NONE:
        s_size = {k: sum(c.size for c in cl) for k, cl in srcs.items()}
        d_size = {k: sum(c.size for c in cl) for k, cl in dsts.items()}
        return {(a, b): Count(s_size[a] * d_size[b], 0) for a in srcs for b in dsts}
    s_on = _by_node(tally, srcs, without)
    d_on = _by_node(tally, dsts, without)
    s_size = _on(s_on, None)
    d_size = _on(d_on, None)
    enc_nodes = tally.enc_nodes(block.dst_kind is PeerKind.HOST, block.dsts[0].rep.family)
    same: dict[tuple[S, D], int] = {}
    same_enc: dict[tuple[S, D], int] = {}
    for node, here in s_on.items():
        there = d_on.get(node)
        if not there:
            continue
        encrypting = node in enc_nodes
        for a, na in here.items():
            for b, nb in there.items():
                same[(a, b)] = same.get((a, b), 0) + na * nb
                if encrypting:
                    same_enc[(a, b)] = same_enc.get((a, b), 0) + na * nb
    out: dict[tuple[S, D], Count] = {}
    if block.relation is Relation.SAME_NODE:
        dst_ids = {id(c) for c in block.dsts}
        for c in block.srcs:  # an endpoint and itself are no pair
            if id(c) in dst_ids:
                k = (src_key(c), dst_key(c))
                own = sum(n for node, n in tally.node_counts(c).items() if node not in without)
                same[k] = same.get(k, 0) - own
        return {k: Count(n, 0) for k, n in same.items() if n}
    s_enc = _on(s_on, enc_nodes)
    d_enc = _on(d_on, enc_nodes)
    for a in srcs:
        for b in dsts:
            pairs = s_size.get(a, 0) * d_size.get(b, 0) - same.get((a, b), 0)
            if pairs:
                enc = s_enc.get(a, 0) * d_enc.get(b, 0) - same_enc.get((a, b), 0)
                out[(a, b)] = Count(pairs, enc)
    return out
