"""The report's ``reach`` section: a summary whose size is bounded by namespaces, node groups
and outside ranges, never by endpoint classes or their pairs.

Pods are summarised by namespace, nodes by node group (endpoint classes of nodes: nodes that
policy treats alike), the outside world by range. One row per block of the model: the groups
its sources and destinations belong to, its relation and allowed flows, pair and
unencrypted-pair tallies, and pairs per group of each end. Rows are exact: classes whose
allowed flows differ stay in different rows, so "all traffic" on a row means every pair it
counts may open any connection (a group split by policy appears in several rows). An open
cluster is a handful of rows whatever its namespaces. Full class-level detail is
``posture reach -o json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from posture.engine.flows import Flows, Universe
from posture.engine.peers import PeerKind
from posture.reachability.matrix import Block, Matrix, Relation
from posture.reachability.rollup import Group
from posture.report.model import ReachRow, add_counts, merge_groups


@dataclass(slots=True)
class _Tally:
    pairs: int = 0
    unencrypted: int = 0
    src_pairs: list[int] = field(default_factory=list)
    dst_pairs: list[int] = field(default_factory=list)


def _add(into: list[int], values: list[int]) -> None:
    if not into:
        into.extend(values)
    else:
        for k, v in enumerate(values):
            into[k] += v


def _ends(matrix: Matrix, block: Block) -> tuple[list[tuple[Group, int]], list[tuple[Group, int]]]:
    """The block's groups on each end, with pairs per group where they come cheap: paths to
    or from nodes and the outside. Pod-to-pod blocks leave them out (-1): they would take every
    namespace pair's same-node count, which grows with the square of the namespaces."""
    if block.src_kind is PeerKind.POD and block.dst_kind is PeerKind.POD:
        srcs, dsts = matrix.ends(block)
        return [(g, -1) for g in srcs], [(g, -1) for g in dsts]
    return matrix.marginals(block)


def reach_summary(matrix: Matrix, universe: Universe) -> tuple[ReachRow, ...]:
    """One row per block, its ends named by group (see the module docstring); blocks whose
    rows would be equal are summed into one."""
    tallies: dict[tuple[str, tuple[str, ...], str, tuple[str, ...], Relation, Flows], _Tally] = {}
    for block in matrix.blocks:
        relation = block.relation
        srcs, dsts = _ends(matrix, block)
        srcs.sort(key=lambda gn: gn[0][2])
        dsts.sort(key=lambda gn: gn[0][2])
        key = (
            block.src_kind.value,
            tuple(g[2] for g, _ in srcs),
            block.dst_kind.value,
            tuple(g[2] for g, _ in dsts),
            relation,
            block.allowed,
        )
        t = tallies.get(key)
        if t is None:
            t = tallies[key] = _Tally()
        t.pairs += block.pairs
        if relation is Relation.NONE:
            t.unencrypted += block.pairs
        elif relation is Relation.OTHER_NODE:
            t.unencrypted += block.pairs - block.encrypted_pairs
        if srcs[0][1] >= 0:
            _add(t.src_pairs, [n for _, n in srcs])
            _add(t.dst_pairs, [n for _, n in dsts])
    described: dict[Flows, str] = {}
    rows = []
    for (src_kind, src, dst_kind, dst, relation, allowed), t in tallies.items():
        text = described.get(allowed)
        if text is None:
            text = described[allowed] = allowed.describe(universe)
        if relation is Relation.SAME_NODE:
            encryption = "local"
        elif relation is Relation.NONE or t.unencrypted:
            encryption = "unencrypted"
        else:
            encryption = "encrypted"
        rows.append(
            ReachRow(
                src=src,
                src_kind=src_kind,
                dst=dst,
                dst_kind=dst_kind,
                relation=relation.value,
                allowed=text,
                encryption=encryption,
                pairs=t.pairs,
                unencrypted_pairs=t.unencrypted,
                src_pairs=tuple(t.src_pairs),
                dst_pairs=tuple(t.dst_pairs),
            )
        )
    rows = _merge(_merge(rows, by_src=True), by_src=False)
    rows.sort(key=lambda r: (r.src_kind, r.src, r.dst_kind, r.dst, r.relation, r.allowed))
    return tuple(rows)


def _merge(rows: list[ReachRow], *, by_src: bool) -> list[ReachRow]:
    """Rows that share one end (``by_src``: the sources) and allow the same are one row over
    the union of their other ends: every pair it names lies in one of them, allowed alike.
    Many blocks share their sources (one egress behaviour towards many ingress behaviours)."""
    merged: dict[tuple[object, ...], ReachRow] = {}
    for r in rows:
        end = (r.src_kind, r.src) if by_src else (r.dst_kind, r.dst)
        key = (*end, r.src_kind, r.dst_kind, r.relation, r.allowed, r.encryption)
        seen = merged.get(key)
        if seen is None:
            merged[key] = r
            continue
        if by_src:
            both = seen.dst_pairs + r.dst_pairs if seen.dst_pairs and r.dst_pairs else ()
            dst, dst_pairs = merge_groups(seen.dst + r.dst, both)
            src_pairs = add_counts(seen.src_pairs, r.src_pairs)
            src = seen.src
        else:
            both = seen.src_pairs + r.src_pairs if seen.src_pairs and r.src_pairs else ()
            src, src_pairs = merge_groups(seen.src + r.src, both)
            dst_pairs = add_counts(seen.dst_pairs, r.dst_pairs)
            dst = seen.dst
        merged[key] = replace(
            seen,
            src=src,
            dst=dst,
            src_pairs=src_pairs,
            dst_pairs=dst_pairs,
            pairs=seen.pairs + r.pairs,
            unencrypted_pairs=seen.unencrypted_pairs + r.unencrypted_pairs,
        )
    return list(merged.values())
