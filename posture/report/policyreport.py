"""Cluster-scoped report objects that Policy Reporter, Kyverno's UI and OpenReports consumers read.

Two shapes of the same content: ``wgpolicyk8s.io/v1alpha2`` ``ClusterPolicyReport`` (the
Kubernetes policy working group's API that most tools read today) and ``openreports.io/v1alpha1``
``ClusterReport`` (its successor). Rendered as YAML so ``kubectl apply -f`` takes it as is.

Every check of the checklist yields results: one ``fail`` per finding, a ``pass`` when the check
found nothing, ``skip`` for suppressed findings and for checks of a measure that could not be
evaluated. The v1alpha2 CRD only knows severities high/medium/low, so critical is written as
high and info as low there, with the real severity kept in ``properties``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import yaml

from posture.findings.model import Finding, Severity
from posture.report.model import MeasureStatus, Report

WGPOLICY_API = "wgpolicyk8s.io/v1alpha2"
OPENREPORTS_API = "openreports.io/v1alpha1"
REPORT_NAME = "posture"
_V1ALPHA2_SEVERITY = {
    Severity.CRITICAL: "high",
    Severity.HIGH: "high",
    Severity.MEDIUM: "medium",
    Severity.LOW: "low",
    Severity.INFO: "low",
}


def timestamp(generated_at: str) -> dict[str, int]:
    """RFC 3339 → the protobuf Timestamp both CRDs use; 0 when the time is unknown."""
    try:
        seconds = int(datetime.fromisoformat(generated_at).timestamp())
    except ValueError:
        seconds = 0
    return {"seconds": seconds, "nanos": 0}


def _result(
    report: Report,
    f: Finding,
    status: str,
    *,
    category: str,
    strict_severity: bool,
    note: str = "",
) -> dict[str, Any]:
    props = {
        "findingId": f.id,
        "severity": f.severity.value,
        "encrypted": f.encrypted,
        "title": f.title,
    }
    if f.path is not None:
        props.update({"src": f.path.src, "dst": f.path.dst, "protocols": f.path.protocols})
    if f.because:
        props["because"] = "\n".join(f.because)
    if f.remediation:
        props["remediation"] = f.remediation
    if note:
        props["suppressedBecause"] = note
    out: dict[str, Any] = {
        "source": "posture",
        "policy": f.check_id,
        "rule": f.check_id,
        "category": category,
        "result": status,
        "severity": _V1ALPHA2_SEVERITY[f.severity] if strict_severity else f.severity.value,
        "scored": True,
        "message": f.message or f.title,
        "timestamp": timestamp(report.generated_at),
        "properties": props,
    }
    if f.subjects:
        out["resources"] = [
            {
                k: v
                for k, v in (
                    ("apiVersion", s.api_version),
                    ("kind", s.kind),
                    ("namespace", s.namespace),
                    ("name", s.name),
                )
                if v
            }
            for s in f.subjects
        ]
    return out


def _results(report: Report, *, strict_severity: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    measures = {c: m for m in report.checklist for c in m.check_ids}
    seen: set[str] = set()
    for m in report.checklist:
        for check_id in m.check_ids:
            seen.add(check_id)
            failing = [f for f in report.findings if f.check_id == check_id]
            suppressed = [f for f in report.suppressed if f.check_id == check_id]
            for f in failing:
                out.append(
                    _result(report, f, "fail", category=m.title, strict_severity=strict_severity)
                )
            for f in suppressed:
                out.append(
                    _result(
                        report,
                        f,
                        "skip",
                        category=m.title,
                        strict_severity=strict_severity,
                        note=report.suppression_notes.get(f.id, ""),
                    )
                )
            if not failing and not suppressed:
                status = "skip" if m.status is MeasureStatus.UNKNOWN else "pass"
                out.append(
                    {
                        "source": "posture",
                        "policy": check_id,
                        "rule": check_id,
                        "category": m.title,
                        "result": status,
                        "scored": True,
                        "message": m.reason if status == "skip" else f"{check_id}: no findings",
                        "timestamp": timestamp(report.generated_at),
                    }
                )
    for f in report.findings:
        if f.check_id not in seen and f.check_id not in measures:
            out.append(
                _result(report, f, "fail", category="Other", strict_severity=strict_severity)
            )
    for f in report.suppressed:
        if f.check_id not in seen and f.check_id not in measures:
            out.append(
                _result(
                    report,
                    f,
                    "skip",
                    category="Other",
                    strict_severity=strict_severity,
                    note=report.suppression_notes.get(f.id, ""),
                )
            )
    return out


def _document(report: Report, api_version: str, kind: str, *, strict: bool) -> dict[str, Any]:
    results = _results(report, strict_severity=strict)
    summary = dict.fromkeys(("pass", "fail", "warn", "error", "skip"), 0)
    for r in results:
        summary[r["result"]] += 1
    doc: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": REPORT_NAME,
            "labels": {"app.kubernetes.io/managed-by": "posture"},
            "annotations": {
                "posture.dev/generated-at": report.generated_at,
                "posture.dev/tool-version": report.tool_version,
                "posture.dev/coverage-complete": str(report.coverage.complete).lower(),
            },
        },
        "summary": summary,
        "results": results,
    }
    if not strict:
        # Only OpenReports has a report-level source; v1alpha2 would reject the unknown field
        # under kubectl's strict field validation.
        doc["source"] = "posture"
    return doc


def policyreport_dict(report: Report) -> dict[str, Any]:
    return _document(report, WGPOLICY_API, "ClusterPolicyReport", strict=True)


def openreports_dict(report: Report) -> dict[str, Any]:
    return _document(report, OPENREPORTS_API, "ClusterReport", strict=False)


def _yaml(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def render_policyreport(report: Report) -> str:
    return _yaml(policyreport_dict(report))


def render_openreports(report: Report) -> str:
    return _yaml(openreports_dict(report))
