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
from posture.report.model import ReachRow

OUTSIDE = "outside the cluster"
EXTERNAL = "external"
_Sig = frozenset[tuple[str, str, str, str]]


def _signatures(rows: Iterable[Mapping[str, Any]]) -> dict[str, set[tuple[str, str, str, str]]]:
    sigs: dict[str, set[tuple[str, str, str, str]]] = {}
    for r in rows:
        rel, allowed = str(r["relation"]), str(r["allowed"])
        if r["srcKind"] == EXTERNAL:
            sigs.setdefault(str(r["src"]), set()).add(("from", str(r["dst"]), rel, allowed))
        if r["dstKind"] == EXTERNAL:
            sigs.setdefault(str(r["dst"]), set()).add(("to", str(r["src"]), rel, allowed))
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
    merged: dict[tuple[str, str, str, str, str], ReachRow] = {}
    for r in rows:
        r = replace(r, src=names.get(r.src, r.src) if r.src_kind == EXTERNAL else r.src)
        r = replace(r, dst=names.get(r.dst, r.dst) if r.dst_kind == EXTERNAL else r.dst)
        key = (r.src, r.dst, r.relation, r.allowed, r.encryption)
        seen = merged.get(key)
        merged[key] = (
            r
            if seen is None
            else replace(
                seen,
                pairs=seen.pairs + r.pairs,
                unencrypted_pairs=seen.unencrypted_pairs + r.unencrypted_pairs,
            )
        )
    return tuple(merged.values())
