"""Graphviz DOT: who reaches whom, between namespaces, nodes and external networks.

Pods are drawn per namespace and nodes per endpoint class (``report.reach`` rows aggregated), so
the graph stays readable on a large cluster. Red edges carry unencrypted traffic between nodes or
to the outside, bold edges allow every protocol and port. ``dot -Tsvg`` draws it.
"""

from __future__ import annotations

from posture.report.groups import group_edges, label_of
from posture.report.model import Report

_SHAPE = {"ns": "box", "ext": "diamond"}


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(report: Report) -> str:
    edges = group_edges(report.reach)
    groups = sorted({g for pair in edges for g in pair})
    lines = [
        "digraph posture {",
        "  rankdir=LR;",
        '  graph [fontname="Helvetica", label='
        + _q(f"posture reachability — {report.source}")
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
        label = f"{e.pairs} pair{'s' if e.pairs != 1 else ''}"
        if e.all_traffic:
            label += ", all traffic"
        if e.unencrypted_pairs:
            label += f", {e.unencrypted_pairs} unencrypted"
        colour = "#d7301f" if e.unencrypted_pairs else "#1a9850"
        width = "2.5" if e.all_traffic else "1"
        lines.append(
            f"  {_q(src)} -> {_q(dst)} [label={_q(label)}, color={_q(colour)}, penwidth={width}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
