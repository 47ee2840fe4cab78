"""What changed between two reports: findings new, fixed and unchanged, paths opened and closed.

The data lives here, in the report layer, so that every renderer can show it; computing it from
two JSON reports is :mod:`posture.history`'s job. Findings are matched by their stable ``id``,
reachability by the ``reach`` row key (src, dst, relation, allowed): a path whose allowed ports
widen shows up as one row closed and one opened, which is what a reviewer needs to see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from tabulate import tabulate

DIFF_KIND = "PostureDiff"


@dataclass(frozen=True, slots=True, order=True)
class FindingRef:
    """A finding as a diff shows it: enough to recognise it without the whole report."""

    id: str
    check_id: str
    severity: str
    title: str


@dataclass(frozen=True, slots=True, order=True)
class PathRef:
    """One reachability row's identity."""

    src: str
    dst: str
    relation: str
    allowed: str


@dataclass(frozen=True, slots=True)
class Changes:
    baseline: str  # where the old report came from: "source @ generatedAt"
    new: tuple[FindingRef, ...] = ()
    fixed: tuple[FindingRef, ...] = ()
    unchanged: tuple[FindingRef, ...] = ()
    opened: tuple[PathRef, ...] = ()
    closed: tuple[PathRef, ...] = ()
    reach_compared: bool = True  # False when either report carries no reach section

    @property
    def empty(self) -> bool:
        return not (self.new or self.fixed or self.opened or self.closed)


def _finding(f: FindingRef) -> dict[str, str]:
    return {"id": f.id, "checkId": f.check_id, "severity": f.severity, "title": f.title}


def _path(p: PathRef) -> dict[str, str]:
    return {"src": p.src, "dst": p.dst, "relation": p.relation, "allowed": p.allowed}


def changes_dict(c: Changes) -> dict[str, Any]:
    """The ``baseline`` section of a JSON report, and the body of ``posture diff -o json``."""
    return {
        "baseline": c.baseline,
        "counts": {
            "new": len(c.new),
            "fixed": len(c.fixed),
            "unchanged": len(c.unchanged),
            "opened": len(c.opened),
            "closed": len(c.closed),
        },
        "reachCompared": c.reach_compared,
        "findings": {
            "new": [_finding(f) for f in c.new],
            "fixed": [_finding(f) for f in c.fixed],
            "unchanged": [_finding(f) for f in c.unchanged],
        },
        "reach": {
            "opened": [_path(p) for p in c.opened],
            "closed": [_path(p) for p in c.closed],
        },
    }


def diff_document(c: Changes, new_source: str) -> dict[str, Any]:
    return {
        "apiVersion": "posture.dev/v1alpha1",
        "kind": DIFF_KIND,
        "metadata": {"baseline": c.baseline, "current": new_source},
        **{k: v for k, v in changes_dict(c).items() if k != "baseline"},
    }


def render_changes_table(c: Changes) -> str:
    """The section ``check --baseline`` appends to the table, and ``posture diff``'s output."""
    lines = [
        f"Changes since {c.baseline}: {len(c.new)} new, {len(c.fixed)} fixed, "
        f"{len(c.unchanged)} unchanged finding(s); {len(c.opened)} path(s) opened, "
        f"{len(c.closed)} closed"
    ]
    rows = [["NEW", f.severity.upper(), f.check_id, f.title] for f in c.new]
    rows += [["FIXED", f.severity.upper(), f.check_id, f.title] for f in c.fixed]
    if rows:
        lines.append(
            tabulate(rows, headers=["CHANGE", "SEVERITY", "CHECK", "TITLE"], tablefmt="plain")
        )
    paths = [["OPENED", p.src, p.dst, p.relation, p.allowed] for p in c.opened]
    paths += [["CLOSED", p.src, p.dst, p.relation, p.allowed] for p in c.closed]
    if paths:
        lines.append("")
        lines.append(
            tabulate(paths, headers=["PATH", "SRC", "DST", "RELATION", "ALLOWED"], tablefmt="plain")
        )
    if not c.reach_compared:
        lines.append("(reachability not compared: a report has no reach section)")
    return "\n".join(lines) + "\n"


def render_diff(c: Changes, new_source: str, fmt: str) -> str:
    """``posture diff`` output in table, json or yaml."""
    if fmt == "json":
        return json.dumps(diff_document(c, new_source), indent=2) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(diff_document(c, new_source), sort_keys=False, allow_unicode=True)
    return render_changes_table(c)
