"""JSON (and YAML) rendering of a Report, shaped like a Kubernetes object (docs/schema/)."""

from __future__ import annotations

import json
from typing import Any

from posture.findings.base import Finding
from posture.report.model import API_VERSION, Report


def finding_dict(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.id,
        "checkId": f.check_id,
        "severity": f.severity.value,
        "result": "fail",
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


def report_dict(report: Report) -> dict[str, Any]:
    return {
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
    }


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, sort_keys=False) + "\n"
