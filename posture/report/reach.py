"""Renderers for ``posture reach`` and ``posture explain`` (pure: data in, text out)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tabulate import tabulate

from posture.engine.explain import Explanation
from posture.engine.flows import Flows, Universe
from posture.engine.path import PathVerdict
from posture.engine.peers import Peer, PeerKind
from posture.reachability.classes import EndpointClass
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


@dataclass(frozen=True, slots=True)
class ReachFilter:
    """Which ends ``posture reach`` shows: ``src``/``dst`` name a namespace, a pod
    (``namespace/name``), a node or an outside class by name; ``namespace`` keeps paths with
    either end in that namespace. Decided per endpoint class, never per pair."""

    src: str | None = None
    dst: str | None = None
    namespace: str | None = None

    @staticmethod
    def _names(c: EndpointClass, what: str) -> bool:
        if c.kind is PeerKind.POD and (c.namespace == what or what in c.members):
            return True
        return what in c.members or c.name == what or c.id == what

    def keeps(self, cell: Cell) -> bool:
        if self.src is not None and not self._names(cell.src, self.src):
            return False
        if self.dst is not None and not self._names(cell.dst, self.dst):
            return False
        ns = self.namespace
        return ns is None or ns in (cell.src.namespace, cell.dst.namespace)


def _cells(matrix: Matrix, keep: ReachFilter) -> Iterator[Cell]:
    return (c for c in matrix.allowed_cells() if keep.keeps(c))


def expanded_rows(
    matrix: Matrix, universe: Universe, keep: ReachFilter | None = None
) -> Iterator[dict[str, Any]]:
    """One row per (source endpoint, destination endpoint) of every allowed cell, produced one
    at a time (an open cluster has as many rows as endpoint pairs)."""
    for cell in _cells(matrix, keep or ReachFilter()):
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


_EXPANDED_KEYS = ("src", "dst", "relation", "allowed", "encryption")


_GROUPED_KEYS = ("src", "dst", "relation", "allowed", "encryption", "pairs")


def iter_reach(
    matrix: Matrix,
    universe: Universe,
    *,
    fmt: str,
    expand: bool,
    keep: ReachFilter | None = None,
) -> Iterator[str]:
    """``posture reach`` as chunks of text. Expanded output is streamed row by row (JSON as one
    document written piece by piece, the table with tab-separated columns), never held whole."""
    keep = keep or ReachFilter()
    if fmt == "json":
        classes = [
            {"id": c.id, "kind": c.kind.value, "name": c.name, "size": c.size, "members": c.members}
            for c in matrix.classes
        ]
        head = {
            "apiVersion": "posture.dev/v1alpha1",
            "kind": "Reachability",
            "expanded": expand,
            "classes": classes,
        }
        text = json.dumps(head, indent=2)
        yield text[: text.rstrip().rindex("}")].rstrip() + ',\n  "paths": ['
        rows = expanded_rows(matrix, universe, keep) if expand else _grouped(matrix, universe, keep)
        sep = "\n"
        for row in rows:
            yield sep + "    " + json.dumps(row)
            sep = ",\n"
        yield "\n  ]\n}\n"
        return
    if fmt == "tsv":
        # For cut, awk and spreadsheets: a header, then one tab-separated line per path (no
        # "no allowed paths" text: an empty result is the header alone).
        keys = list(_EXPANDED_KEYS) if expand else list(_GROUPED_KEYS)
        yield "\t".join(k.upper() for k in keys) + "\n"
        rows = expanded_rows(matrix, universe, keep) if expand else _grouped(matrix, universe, keep)
        for row in rows:
            yield "\t".join(str(row[k]).replace("\t", " ") for k in keys) + "\n"
        return
    if expand:
        first = True
        for row in expanded_rows(matrix, universe, keep):
            if first:
                yield "\t".join(k.upper() for k in _EXPANDED_KEYS) + "\n"
                first = False
            yield "\t".join(str(row[k]) for k in _EXPANDED_KEYS) + "\n"
        if first:
            yield "no allowed paths\n"
        return
    grouped = list(_grouped(matrix, universe, keep))
    if not grouped:
        yield "no allowed paths\n"
        return
    keys = list(_GROUPED_KEYS)
    table = [[r[k] for k in keys] for r in grouped]
    yield (
        tabulate(
            table,
            headers=[k.upper() for k in keys],
            tablefmt="plain",
            maxcolwidths=[30, 30, 10, 40, 11, 6],
        )
        + "\n"
    )


def _grouped(matrix: Matrix, universe: Universe, keep: ReachFilter) -> Iterator[dict[str, Any]]:
    return (_row(c, universe) for c in _cells(matrix, keep))


def render_reach(
    matrix: Matrix,
    universe: Universe,
    *,
    fmt: str,
    expand: bool,
    keep: ReachFilter | None = None,
) -> str:
    """:func:`iter_reach` joined (for callers that want the whole text)."""
    return "".join(iter_reach(matrix, universe, fmt=fmt, expand=expand, keep=keep))


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
                            "policy": s.policy_name,
                            "rule": s.rule,
                            "action": s.action.value,
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
