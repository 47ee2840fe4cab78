"""How reach rows are grouped for pictures: pods by namespace, nodes by class, one outside node.

Shared by the DOT and HTML renderers so that both draw the same graph.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from posture.report.model import ReachRow


def group_of(kind: str, name: str) -> str:
    """The picture node a group belongs to: ``ns:shop``, ``node worker-2``, ``ext:world``."""
    if kind == "pod":
        return f"ns:{name}"
    if kind == "external":
        # One outside node: the picture is about the cluster; ranges are in the reach section.
        return "ext:outside the cluster"
    return name


def label_of(group: str) -> str:
    if group.startswith("ns:"):
        return group[3:]
    if group.startswith("ext:"):
        return group[4:]
    return group


@dataclass(slots=True)
class Edge:
    pairs: int = 0  # endpoint pairs, where the rows tell them per edge (see ``counted``)
    counted: bool = True  # False: some row held this edge among several groups on each end
    unencrypted: bool = False  # some pair of some row on the edge travels in clear
    all_traffic: bool = False
    outside: bool = False  # one end is outside the cluster: encryption does not apply


def group_edges(rows: tuple[ReachRow, ...]) -> dict[tuple[str, str], Edge]:
    """(src group, dst group) → pairs, whether unencrypted, whether any row allows everything.

    A row's pairs split exactly over edges when one of its ends is a single group (that
    end's per-group counts are the edges'); a row with several groups on both ends gives its
    edges no count (the report keeps per-group totals, not every group pair)."""
    edges: dict[tuple[str, str], Edge] = defaultdict(Edge)
    for r in rows:
        single_src, single_dst = len(r.src) == 1, len(r.dst) == 1
        for i, s in enumerate(r.src):
            for j, d in enumerate(r.dst):
                e = edges[(group_of(r.src_kind, s), group_of(r.dst_kind, d))]
                if single_src and j < len(r.dst_pairs):
                    e.pairs += r.dst_pairs[j]
                elif single_dst and i < len(r.src_pairs):
                    e.pairs += r.src_pairs[i]
                else:
                    e.counted = False
                e.unencrypted = e.unencrypted or r.unencrypted_pairs > 0
                e.all_traffic = e.all_traffic or r.allowed == "all traffic"
                e.outside = "external" in (r.src_kind, r.dst_kind)
    return dict(sorted(edges.items()))
