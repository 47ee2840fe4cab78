"""Outside addresses named honestly, for every report and for ``diff``.

The analysis cuts the addresses outside the cluster into ranges wherever some rule, network set
or address pool has a boundary, so one "world" becomes many rows that differ only by range. For
people, and for comparing reports, what matters is which outside addresses are treated
differently: ranges whose rows (every peer, relation and allowed traffic, both ways) equal those
of the common outside are one "outside the cluster" row; only the others keep their name (the
network set that names them, or their range). The labels stay out of the analysis: this is a
renaming of report rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from posture.report.json_render import reach_dict
from posture.report.model import ReachRow, add_counts, merge_groups

OUTSIDE = "outside the cluster"
EXTERNAL = "external"
_Sig = frozenset[tuple[str, str, str, str]]


def row_groups(value: Any) -> list[str]:
    """A row end's groups: a list (this version), or one name (older reports)."""
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _signatures(rows: Iterable[Mapping[str, Any]]) -> dict[str, set[tuple[str, str, str, str]]]:
    sigs: dict[str, set[tuple[str, str, str, str]]] = {}
    for r in rows:
        rel, allowed = str(r["relation"]), str(r["allowed"])
        src, dst = row_groups(r["src"]), row_groups(r["dst"])
        if r["srcKind"] == EXTERNAL:
            for name in src:
                sigs.setdefault(name, set()).add(("from", "\n".join(dst), rel, allowed))
        if r["dstKind"] == EXTERNAL:
            for name in dst:
                sigs.setdefault(name, set()).add(("to", "\n".join(src), rel, allowed))
    return sigs


def _unnamed(name: str) -> bool:
    return name == OUTSIDE or name.startswith(("world (", OUTSIDE + " ("))


def outside_names(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """External row name → its honest name: ``"outside the cluster"`` when it is treated like
    the common outside (the behaviour most unnamed ranges share), else its own name."""
    sigs = {name: frozenset(sig) for name, sig in _signatures(rows).items()}
    common = Counter(sig for name, sig in sigs.items() if _unnamed(name)).most_common(1)
    reference: _Sig | None = common[0][0] if common else None
    out = {}
    for name, sig in sigs.items():
        if sig == reference:
            out[name] = OUTSIDE
        elif name.startswith("world ("):
            out[name] = OUTSIDE + name[len("world") :]
        else:
            out[name] = name
    return out


def merge_outside(rows: Iterable[ReachRow]) -> tuple[ReachRow, ...]:
    """The rows with outside ranges renamed, rows that became equal summed into one."""
    rows = tuple(rows)
    names = outside_names(reach_dict(r) for r in rows)
    merged: dict[tuple[tuple[str, ...], tuple[str, ...], str, str, str], ReachRow] = {}
    for r in rows:
        if r.src_kind == EXTERNAL:
            src, src_pairs = merge_groups(tuple(names.get(g, g) for g in r.src), r.src_pairs)
            r = replace(r, src=src, src_pairs=src_pairs)
        if r.dst_kind == EXTERNAL:
            dst, dst_pairs = merge_groups(tuple(names.get(g, g) for g in r.dst), r.dst_pairs)
            r = replace(r, dst=dst, dst_pairs=dst_pairs)
        key = (r.src, r.dst, r.relation, r.allowed, r.encryption)
        seen = merged.get(key)
        merged[key] = (
            r
            if seen is None
            else replace(
                seen,
                pairs=seen.pairs + r.pairs,
                unencrypted_pairs=seen.unencrypted_pairs + r.unencrypted_pairs,
                src_pairs=add_counts(seen.src_pairs, r.src_pairs),
                dst_pairs=add_counts(seen.dst_pairs, r.dst_pairs),
            )
        )
    return tuple(merged.values())
