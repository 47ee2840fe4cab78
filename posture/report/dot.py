"""Graphviz DOT: who reaches whom, between namespaces, nodes and external networks.

Pods are drawn per namespace, nodes per node group and everything outside the cluster as one
node (``report.reach`` rows aggregated), so the graph stays readable on a large cluster. Red
edges carry unencrypted traffic between nodes, green edges encrypted traffic; edges to or from
the outside are grey (in-cluster encryption does not apply there). Bold edges allow every
protocol and port. A scope draws part of it: ``nodes`` (edges to or from nodes), ``namespaces``
(between namespaces) or ``namespace=NAME`` (edges touching one namespace). ``dot -Tsvg`` draws it.
"""

from __future__ import annotations

from collections.abc import Callable

from posture.errors import ConfigError
from posture.report.groups import Edge, group_edges, label_of
from posture.report.model import Report

SCOPES = ("all", "nodes", "namespaces", "namespace=NAME")

_SHAPE = {"ns": "box", "ext": "diamond"}


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _in_scope(scope: str) -> Callable[[str, str], bool]:
    def is_node(g: str) -> bool:
        return not g.startswith(("ns:", "ext:"))

    if scope == "all":
        return lambda _s, _d: True
    if scope == "nodes":
        return lambda s, d: is_node(s) or is_node(d)
    if scope == "namespaces":
        return lambda s, d: s.startswith("ns:") and d.startswith("ns:")
    if scope.startswith("namespace=") and scope != "namespace=":
        ns = "ns:" + scope.removeprefix("namespace=")
        return lambda s, d: ns in (s, d)
    raise ConfigError(f"--dot-scope: expected {', '.join(SCOPES)}, got {scope!r}")


def _colour(e: Edge) -> str:
    if e.outside:
        return "#737373"
    return "#d7301f" if e.unencrypted else "#1a9850"


def render_dot(report: Report, scope: str = "all") -> str:
    keep = _in_scope(scope)
    edges = {k: e for k, e in group_edges(report.reach).items() if keep(*k)}
    groups = sorted({g for pair in edges for g in pair})
    lines = [
        "digraph posture {",
        "  rankdir=LR;",
        '  graph [fontname="Helvetica", label='
        + _q(f"posture reachability — {report.source}" + ("" if scope == "all" else f" ({scope})"))
        + "];",
        '  node [fontname="Helvetica", style=filled, fillcolor="#f0f0f0"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for g in groups:
        prefix = g.split(":", 1)[0] if ":" in g else "node"
        shape = _SHAPE.get(prefix, "ellipse")
        fill = {"box": "#deebf7", "diamond": "#fee8c8"}.get(shape, "#e5f5e0")
        lines.append(f"  {_q(g)} [label={_q(label_of(g))}, shape={shape}, fillcolor={_q(fill)}];")
    for (src, dst), e in edges.items():
        label = f"{e.pairs} pair{'s' if e.pairs != 1 else ''}" if e.counted else "allowed"
        if e.all_traffic:
            label += ", all traffic"
        if e.unencrypted and not e.outside:
            label += ", unencrypted"
        colour = _colour(e)
        width = "2.5" if e.all_traffic else "1"
        lines.append(
            f"  {_q(src)} -> {_q(dst)} [label={_q(label)}, color={_q(colour)}, penwidth={width}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
