"""The report's ``reach`` section: a summary whose size is bounded by namespaces, node groups
and outside ranges, never by endpoint classes or their pairs.

Pods are summarised by namespace, nodes by node group (endpoint classes of nodes: nodes that
policy treats alike), the outside world by range. One row per (source group, destination group,
relation, allowed flows), with pair and unencrypted-pair tallies summed over the classes it
stands for. Rows are exact: classes whose allowed flows differ stay in different rows, so "all
traffic" on a row means every pair it counts may open any connection. Full class-level detail
is ``posture reach -o json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from posture.engine.flows import Flows, Universe
from posture.reachability.matrix import Matrix, Relation
from posture.reachability.rollup import Group
from posture.report.model import ReachRow


@dataclass(slots=True)
class _Tally:
    pairs: int = 0
    unencrypted: int = 0


def reach_summary(matrix: Matrix, universe: Universe) -> tuple[ReachRow, ...]:
    """Allowed blocks summed into group rows (see the module docstring)."""
    tallies: dict[tuple[Group, Group, Relation, Flows], _Tally] = {}
    for block in matrix.blocks:
        relation = block.relation
        for (src, dst), count in matrix.groups(block).items():
            key = (src, dst, relation, block.allowed)
            t = tallies.get(key)
            if t is None:
                t = tallies[key] = _Tally()
            t.pairs += count.pairs
            if relation is Relation.NONE:
                t.unencrypted += count.pairs
            elif relation is Relation.OTHER_NODE:
                t.unencrypted += count.unencrypted
    described: dict[Flows, str] = {}
    rows = []
    for (src, dst, relation, allowed), t in tallies.items():
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
                src=src[2],
                src_kind=src[0],
                src_namespace=src[1],
                dst=dst[2],
                dst_kind=dst[0],
                dst_namespace=dst[1],
                relation=relation.value,
                allowed=text,
                encryption=encryption,
                pairs=t.pairs,
                unencrypted_pairs=t.unencrypted,
            )
        )
    rows.sort(key=lambda r: (r.src_kind, r.src, r.dst_kind, r.dst, r.relation, r.allowed))
    return tuple(rows)
