"""How reach rows are grouped for pictures: pods by namespace, nodes by class, one outside node.

Shared by the DOT and HTML renderers so that both draw the same graph.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from posture.report.model import ReachRow


def group_of(kind: str, name: str, namespace: str) -> str:
    """The picture node a class belongs to: ``ns:shop``, ``node worker-2``, ``ext:world``."""
    if kind == "pod":
        return f"ns:{namespace}"
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
    pairs: int = 0
    unencrypted_pairs: int = 0
    all_traffic: bool = False
    outside: bool = False  # one end is outside the cluster: encryption does not apply


def group_edges(rows: tuple[ReachRow, ...]) -> dict[tuple[str, str], Edge]:
    """(src group, dst group) → pairs, unencrypted pairs, whether any row allows everything."""
    edges: dict[tuple[str, str], Edge] = defaultdict(Edge)
    for r in rows:
        key = (
            group_of(r.src_kind, r.src, r.src_namespace),
            group_of(r.dst_kind, r.dst, r.dst_namespace),
        )
        e = edges[key]
        e.pairs += r.pairs
        e.unencrypted_pairs += r.unencrypted_pairs
        e.all_traffic = e.all_traffic or r.allowed == "all traffic"
        e.outside = "external" in (r.src_kind, r.dst_kind)
    return dict(sorted(edges.items()))
