"""Compare two JSON reports: findings new, fixed and unchanged, reachability opened and closed.

Works on the published JSON documents rather than on Report objects, so that a report written
by an older posture (or stored by a CI job months ago) can be the baseline. Findings match by
their stable ``id``; reachability by (src, dst, relation, allowed) of the ``reach`` rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from posture.errors import InputError
from posture.report.changes import Changes, FindingRef, PathRef
from posture.report.json_render import report_dict
from posture.report.model import Report
from posture.report.outside import EXTERNAL, outside_names, row_groups


def load_report(path: Path) -> dict[str, Any]:
    """Read a ``posture check -o json`` file; one-line InputError when it is not one."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError(f"{path}: cannot read report: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}:{e.colno}: malformed report JSON: {e.msg}") from None
    if not isinstance(doc, dict) or doc.get("kind") != "PostureReport":
        raise InputError(f"{path}: not a posture report (kind must be PostureReport)")
    if not isinstance(doc.get("findings"), list):
        raise InputError(f"{path}: findings: must be a list")
    return doc


def _findings(doc: dict[str, Any]) -> dict[str, FindingRef]:
    out = {}
    for f in doc.get("findings") or []:
        ref = FindingRef(
            id=str(f.get("id", "")),
            check_id=str(f.get("checkId", "")),
            severity=str(f.get("severity", "")),
            title=str(f.get("title", "")),
        )
        out[ref.id] = ref
    return out


def _paths(doc: dict[str, Any]) -> set[PathRef]:
    """Paths between groups (a row stands for every pair of its source and destination
    groups), keyed after outside ranges are merged (a report by an older posture may still
    have them split): a new network set that no rule treats differently changes no path."""
    rows = [r for r in doc.get("reach") or [] if isinstance(r, dict)]
    full = [
        r for r in rows if {"src", "dst", "srcKind", "dstKind", "relation", "allowed"} <= r.keys()
    ]
    names = outside_names(full)

    def named(r: dict[str, Any], end: str) -> list[str]:
        values = row_groups(r.get(end, ""))
        if r.get(end + "Kind") != EXTERNAL:
            return values
        return sorted({names.get(v, v) for v in values})

    out: set[PathRef] = set()
    for r in rows:
        relation, allowed = str(r.get("relation", "")), str(r.get("allowed", ""))
        dsts = named(r, "dst")
        for src in named(r, "src"):
            out.update(
                PathRef(src=src, dst=dst, relation=relation, allowed=allowed) for dst in dsts
            )
    return out


def _where(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    where = meta.get("cluster") or meta.get("source") or "?"
    return f"{where} @ {meta.get('generatedAt') or '?'}"


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> Changes:
    before, after = _findings(old), _findings(new)
    # v1alpha1 reports held one reach row per class pair, v1alpha2 one per pair of groups,
    # v1alpha3 one per block: rows of different versions do not compare.
    compared = "reach" in old and "reach" in new and old.get("apiVersion") == new.get("apiVersion")
    old_paths, new_paths = (_paths(old), _paths(new)) if compared else (set(), set())
    return Changes(
        baseline=_where(old),
        new=tuple(sorted(after[i] for i in after.keys() - before.keys())),
        fixed=tuple(sorted(before[i] for i in before.keys() - after.keys())),
        unchanged=tuple(sorted(after[i] for i in after.keys() & before.keys())),
        opened=tuple(sorted(new_paths - old_paths)),
        closed=tuple(sorted(old_paths - new_paths)),
        reach_compared=compared,
    )


def diff_against(baseline: dict[str, Any], report: Report) -> Changes:
    """``check --baseline``: the current report against a stored one."""
    return diff_documents(baseline, report_dict(report))


def where(doc: dict[str, Any]) -> str:
    return _where(doc)
