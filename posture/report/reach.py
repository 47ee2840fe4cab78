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
from posture.reachability.matrix import Block, Matrix, Relation


def _names(classes: tuple[EndpointClass, ...]) -> str:
    """One end of a grouped row: its class when one, else a summary (the ids list them all)."""
    if len(classes) == 1:
        return classes[0].name
    kind = classes[0].kind
    if kind is PeerKind.POD:
        namespaces = sorted({c.namespace for c in classes})
        shown = ", ".join(namespaces[:5]) + (
            f" and {len(namespaces) - 5} more" if len(namespaces) > 5 else ""
        )
        ns_s = "s" if len(namespaces) > 1 else ""
        return f"{len(classes)} pod groups in namespace{ns_s} {shown}"
    if kind is PeerKind.HOST:
        nodes = sum(c.size for c in classes)
        return f"{len(classes)} node groups ({nodes} nodes)"
    # Outside: the ranges a network set names, then how many others.
    named = [c.name for c in classes if c.rep.owners]
    others = len(classes) - len(named)
    parts = named[:5] + ([f"{len(named) - 5} more named ranges"] if len(named) > 5 else [])
    if others:
        parts.append(f"{others} other outside range{'s' if others > 1 else ''}")
    return "; ".join(parts)


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

    def rectangles(
        self, block: Block
    ) -> Iterator[tuple[tuple[EndpointClass, ...], tuple[EndpointClass, ...]]]:
        """The parts of a block this filter keeps, as (sources, destinations)."""
        srcs = tuple(c for c in block.srcs if self.src is None or self._names(c, self.src))
        dsts = tuple(c for c in block.dsts if self.dst is None or self._names(c, self.dst))
        if not srcs or not dsts:
            return
        ns = self.namespace
        if ns is None:
            yield srcs, dsts
            return
        inside = tuple(c for c in srcs if c.namespace == ns)
        if inside:
            yield inside, dsts
        rest = tuple(c for c in srcs if c.namespace != ns)
        to_ns = tuple(c for c in dsts if c.namespace == ns)
        if rest and to_ns:
            yield rest, to_ns


@dataclass(frozen=True, slots=True)
class _Row:
    block: Block
    srcs: tuple[EndpointClass, ...]
    dsts: tuple[EndpointClass, ...]
    pairs: int
    encrypted: int


def _rows(matrix: Matrix, keep: ReachFilter) -> Iterator[_Row]:
    t = matrix.tally
    for block in matrix.blocks:
        for srcs, dsts in keep.rectangles(block):
            if (srcs, dsts) == (block.srcs, block.dsts):
                yield _Row(block, srcs, dsts, block.pairs, block.encrypted_pairs)
                continue
            a, b = t.side(srcs), t.side(dsts)
            pairs = t.pairs(a, b).get(block.relation, 0)
            if not pairs:
                continue
            enc = 0
            if block.relation is Relation.OTHER_NODE:
                enc = t.encrypted_pairs(a, b, block.dst_kind, dsts[0].rep.family)
            yield _Row(block, srcs, dsts, pairs, enc)


def _grouped_row(row: _Row, universe: Universe) -> dict[str, Any]:
    relation = row.block.relation
    if relation is Relation.SAME_NODE:
        encryption, clear = "local", 0
    elif relation is Relation.NONE:
        encryption, clear = "unencrypted", row.pairs
    else:
        clear = row.pairs - row.encrypted
        encryption = "unencrypted" if clear else "encrypted"
    return {
        "src": _names(row.srcs),
        "srcIds": [c.id for c in row.srcs],
        "dst": _names(row.dsts),
        "dstIds": [c.id for c in row.dsts],
        "relation": relation.value,
        "allowed": row.block.allowed.describe(universe),
        "encryption": encryption,
        "pairs": row.pairs,
        "unencryptedPairs": clear,
    }


def expanded_rows(
    matrix: Matrix, universe: Universe, keep: ReachFilter | None = None
) -> Iterator[dict[str, Any]]:
    """One row per (source endpoint, destination endpoint) of every allowed block, produced
    one at a time (an open cluster has as many rows as endpoint pairs)."""
    t = matrix.tally
    for row in _rows(matrix, keep or ReachFilter()):
        relation = row.block.relation
        same = relation is Relation.SAME_NODE
        allowed = row.block.allowed.describe(universe)
        enc = t.enc_nodes(row.block.dst_kind is PeerKind.HOST, row.dsts[0].rep.family)
        for src in row.srcs:
            for dst in row.dsts:
                for s_name, s_node in zip(src.members, src.member_nodes, strict=True):
                    for d_name, d_node in zip(dst.members, dst.member_nodes, strict=True):
                        if src is dst and s_name == d_name:
                            continue
                        if relation is not Relation.NONE and (s_node == d_node) != same:
                            continue
                        if same:
                            encryption = "local"
                        elif relation is Relation.NONE:
                            encryption = "unencrypted"
                        else:
                            both = s_node in enc and d_node in enc
                            encryption = "encrypted" if both else "unencrypted"
                        yield {
                            "src": s_name,
                            "dst": d_name,
                            "srcNode": s_node,
                            "dstNode": d_node,
                            "relation": relation.value,
                            "allowed": allowed,
                            "encryption": encryption,
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
            "apiVersion": "posture.dev/v1alpha2",
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
    return (_grouped_row(r, universe) for r in _rows(matrix, keep))


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
