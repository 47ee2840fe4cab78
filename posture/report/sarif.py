"""SARIF 2.1.0, for code-scanning dashboards (GitHub, GitLab, DefectDojo).

Findings are about cluster objects, not source lines, so results carry *logical* locations
(``Node/worker-2``, ``Namespace/shop``) and the finding's stable id as a partial fingerprint:
that is what lets a dashboard recognise the same finding across runs. Suppressed findings are
emitted too, with a SARIF ``suppressions`` entry, so they are visible rather than dropped.
"""

from __future__ import annotations

import json
from typing import Any

from posture.findings.model import Finding, Severity
from posture.report.model import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub ranks code-scanning alerts by this CVSS-like score (a string in rule properties).
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def _rules(findings: list[Finding]) -> list[dict[str, Any]]:
    first: dict[str, Finding] = {}
    for f in findings:
        first.setdefault(f.check_id, f)
    return [
        {
            "id": check_id,
            "name": check_id.replace("-", ""),
            "shortDescription": {"text": f.title},
            "help": {"text": f.remediation or f.title},
            "defaultConfiguration": {"level": _LEVEL[f.severity]},
            "properties": {
                "security-severity": _SECURITY_SEVERITY[f.severity],
                "tags": ["security", "kubernetes", "network-policy"],
            },
        }
        for check_id, f in sorted(first.items())
    ]


def _result(f: Finding, rule_index: int, suppression: str | None) -> dict[str, Any]:
    locations = [
        {
            "logicalLocations": [
                {
                    "name": s.name,
                    "fullyQualifiedName": "/".join(
                        part for part in (s.kind, s.namespace, s.name) if part
                    ),
                    "kind": "resource",
                }
                for s in f.subjects
            ]
        }
    ]
    out: dict[str, Any] = {
        "ruleId": f.check_id,
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity],
        "message": {"text": f.message or f.title},
        "partialFingerprints": {"postureFindingId/v1": f.id},
        "properties": {
            "severity": f.severity.value,
            "encrypted": f.encrypted,
            "because": list(f.because),
            "remediation": f.remediation,
        },
    }
    if f.subjects:
        out["locations"] = locations
    if f.path is not None:
        out["properties"]["path"] = {
            "src": f.path.src,
            "dst": f.path.dst,
            "protocols": f.path.protocols,
            "relation": f.path.relation,
        }
    if suppression is not None:
        out["suppressions"] = [{"kind": "external", "justification": suppression}]
    return out


def sarif_dict(report: Report) -> dict[str, Any]:
    everything = [*report.findings, *report.suppressed]
    rules = _rules(everything)
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = [_result(f, index[f.check_id], None) for f in report.findings]
    results += [
        _result(f, index[f.check_id], report.suppression_notes.get(f.id, "suppressed"))
        for f in report.suppressed
    ]
    notifications = [
        {
            "level": "warning",
            "message": {
                "text": f"{k.kind} ({k.api_group or 'core'}): {k.status.value}: {k.reason}"
            },
        }
        for k in report.coverage.unknown
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "posture",
                        "version": report.tool_version,
                        "semanticVersion": report.tool_version,
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "results": results,
                "properties": {"source": report.source, "generatedAt": report.generated_at},
            }
        ],
    }


def render_sarif(report: Report) -> str:
    return json.dumps(sarif_dict(report), indent=2) + "\n"
