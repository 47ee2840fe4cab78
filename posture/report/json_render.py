"""JSON (and YAML) rendering of a Report, shaped like a Kubernetes object.

The shape is published as a JSON Schema in ``docs/schema/posture-report-v1alpha3.json`` and is
backward-compatible within ``v1alpha3``: keys are only ever added, never renamed or removed,
because dashboards and pipelines break when field names change. The tests validate every JSON
and YAML output against that schema.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from posture.findings.model import Finding
from posture.report.changes import changes_dict
from posture.report.model import API_VERSION, ReachRow, Report


def finding_dict(f: Finding, *, result: str = "fail") -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.id,
        "checkId": f.check_id,
        "severity": f.severity.value,
        "result": result,
        "title": f.title,
        "message": f.message,
        "subjects": [
            {"apiVersion": s.api_version, "kind": s.kind, "namespace": s.namespace, "name": s.name}
            for s in f.subjects
        ],
        "encrypted": f.encrypted,
        "because": list(f.because),
        "remediation": f.remediation,
        "count": f.count,
    }
    if f.path is not None:
        out["path"] = {
            "src": f.path.src,
            "dst": f.path.dst,
            "protocols": f.path.protocols,
            "relation": f.path.relation,
        }
    return out


def reach_dict(r: ReachRow) -> dict[str, Any]:
    return {
        "src": list(r.src),
        "srcKind": r.src_kind,
        "srcPairs": list(r.src_pairs),
        "dst": list(r.dst),
        "dstKind": r.dst_kind,
        "dstPairs": list(r.dst_pairs),
        "relation": r.relation,
        "allowed": r.allowed,
        "encryption": r.encryption,
        "pairs": r.pairs,
        "unencryptedPairs": r.unencrypted_pairs,
    }


def report_dict(report: Report) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "PostureReport",
        "metadata": {
            "cluster": report.cluster,
            "context": report.context,
            "source": report.source,
            "generatedAt": report.generated_at,
            "toolVersion": report.tool_version,
        },
        "coverage": {
            "complete": report.coverage.complete,
            "ratio": round(report.coverage.ratio(), 4),
            "kinds": [
                {
                    "kind": k.kind,
                    "apiGroup": k.api_group,
                    "status": k.status.value,
                    "count": k.count,
                    "pages": k.pages,
                    "reason": k.reason,
                }
                for k in report.coverage.kinds
            ],
        },
        "summary": {
            "bySeverity": report.summary(),
            "findings": len(report.findings),
            "suppressed": len(report.suppressed),
            "stats": dict(sorted(report.stats.items())),
            "inputGaps": list(report.input_gaps),
            "droppedPods": dict(report.dropped_pods),
            "unmatchedSuppressions": list(report.suppression_warnings),
        },
        "checklist": [
            {
                "id": m.id,
                "title": m.title,
                "status": m.status.value,
                "checkIds": list(m.check_ids),
                "findingIds": list(m.finding_ids),
                "reason": m.reason,
            }
            for m in report.checklist
        ],
        "findings": [finding_dict(f) for f in report.findings],
        "suppressed": [
            {
                **finding_dict(f, result="skip"),
                "suppressedBecause": report.suppression_notes.get(f.id, ""),
            }
            for f in report.suppressed
        ],
        "reach": [reach_dict(r) for r in report.reach],
    }
    if report.invariants:
        doc["invariants"] = [
            {
                "name": r.name,
                "demand": r.demand.value,
                "severity": r.severity.value,
                "holds": r.violations == 0,
                "violations": r.violations,
            }
            for r in report.invariants
        ]
    if report.changes is not None:
        doc["baseline"] = changes_dict(report.changes)
    return doc


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, sort_keys=False) + "\n"


def render_yaml(report: Report) -> str:
    """The same document as JSON, for people who read reports in YAML (kubectl's habit)."""
    return yaml.safe_dump(report_dict(report), sort_keys=False, allow_unicode=True, width=100)
