"""Renderers for ``posture reach`` and ``posture explain`` (pure: data in, text out)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tabulate import tabulate

from posture.engine.explain import Explanation
from posture.engine.flows import Flows, Universe
from posture.engine.path import PathVerdict
from posture.engine.peers import Peer
from posture.reachability.matrix import Cell, Matrix


def _row(cell: Cell, universe: Universe) -> dict[str, Any]:
    return {
        "src": cell.src.name,
        "srcId": cell.src.id,
        "dst": cell.dst.name,
        "dstId": cell.dst.id,
        "relation": cell.relation.value,
        "allowed": cell.allowed.describe(universe),
        "encryption": cell.encryption.value,
        "pairs": cell.pairs,
        "unencryptedPairs": cell.pairs - cell.encrypted_pairs
        if cell.relation.value == "other-node"
        else (cell.pairs if cell.relation.value == "-" else 0),
    }


def expanded_rows(matrix: Matrix, universe: Universe) -> Iterator[dict[str, Any]]:
    """One row per (source endpoint, destination endpoint) of every allowed cell."""
    for cell in matrix.allowed_cells():
        same = cell.relation.value == "same-node"
        allowed = cell.allowed.describe(universe)
        for s_name, s_node in zip(cell.src.members, cell.src.member_nodes, strict=True):
            for d_name, d_node in zip(cell.dst.members, cell.dst.member_nodes, strict=True):
                if s_name == d_name and s_node == d_node and cell.src is cell.dst:
                    continue
                if cell.relation.value != "-" and (s_node == d_node) != same:
                    continue
                yield {
                    "src": s_name,
                    "dst": d_name,
                    "srcNode": s_node,
                    "dstNode": d_node,
                    "relation": cell.relation.value,
                    "allowed": allowed,
                    "encryption": cell.encryption.value if not same else "local",
                }


def render_reach(matrix: Matrix, universe: Universe, *, fmt: str, expand: bool) -> str:
    rows = (
        list(expanded_rows(matrix, universe))
        if expand
        else [_row(c, universe) for c in matrix.allowed_cells()]
    )
    if fmt == "json":
        doc = {
            "apiVersion": "posture.dev/v1alpha1",
            "kind": "Reachability",
            "expanded": expand,
            "classes": [
                {
                    "id": c.id,
                    "kind": c.kind.value,
                    "name": c.name,
                    "size": c.size,
                    "members": c.members,
                }
                for c in matrix.classes
            ],
            "paths": rows,
        }
        return json.dumps(doc, indent=2) + "\n"
    if not rows:
        return "no allowed paths\n"
    headers = (
        ["SRC", "DST", "RELATION", "ALLOWED", "ENCRYPTION"]
        if expand
        else ["SRC", "DST", "RELATION", "ALLOWED", "ENCRYPTION", "PAIRS"]
    )
    keys = (
        ["src", "dst", "relation", "allowed", "encryption"]
        if expand
        else ["src", "dst", "relation", "allowed", "encryption", "pairs"]
    )
    table = [[r[k] for k in keys] for r in rows]
    return (
        tabulate(table, headers=headers, tablefmt="plain", maxcolwidths=[30, 30, 10, 40, 11, 6])
        + "\n"
    )


def render_explain(
    src: Peer, dst: Peer, parts: list[tuple[Flows, PathVerdict]], universe: Universe, fmt: str
) -> str:
    parts = sorted(parts, key=lambda p: (not p[1].allowed, p[0].describe()))
    if fmt == "json":
        doc = {
            "apiVersion": "posture.dev/v1alpha1",
            "kind": "Explanation",
            "src": src.name,
            "dst": dst.name,
            "verdicts": [
                {
                    "flows": flows.describe(universe),
                    "allowed": v.allowed,
                    "encryption": v.encryption.value,
                    "steps": [
                        {
                            "stage": s.stage.value,
                            "subject": s.subject,
                            "tier": s.tier,
                            "policy": s.policy,
                            "rule": s.rule,
                            "action": s.action,
                            "note": s.note,
                        }
                        for s in v.steps
                    ],
                }
                for flows, v in parts
            ],
        }
        return json.dumps(doc, indent=2) + "\n"
    lines = [f"{src.name} → {dst.name}"]
    for flows, v in parts:
        verdict = "ALLOWED" if v.allowed else "DENIED"
        enc = f", {v.encryption.value}" if v.allowed else ""
        lines.append(f"{verdict}{enc}: {flows.describe(universe)}")
        for s in v.steps:
            lines.append(f"  {s.describe()}")
    return "\n".join(lines) + "\n"


def render_explanation(explanation: Explanation, fmt: str) -> str:
    """``posture explain``: one path as :func:`render_explain` shows it, or for a Service
    address one path per backend, each introduced by the Service and port it went through."""
    universe = explanation.universe
    if not explanation.service:
        (path,) = explanation.paths
        return render_explain(path.src, path.dst, list(path.parts), universe, fmt)
    if fmt == "json":
        doc = {
            "apiVersion": "posture.dev/v1alpha1",
            "kind": "ServiceExplanation",
            "service": explanation.service,
            "address": explanation.dst,
            "backends": [
                {
                    "ports": p.ports,
                    **json.loads(render_explain(p.src, p.dst, list(p.parts), universe, fmt)),
                }
                for p in explanation.paths
            ],
        }
        return json.dumps(doc, indent=2) + "\n"
    return "".join(
        f"via Service {explanation.service} ({explanation.dst}, port {p.ports}) →\n"
        + render_explain(p.src, p.dst, list(p.parts), universe, fmt)
        for p in explanation.paths
    )
