"""ClusterPolicyReport (wgpolicyk8s.io/v1alpha2) and ClusterReport (openreports.io/v1alpha1).

No PyPI or npm package ships these CRDs, so the schemas below restate, by hand, what the
upstream CRDs' openAPIV3Schema requires (kubernetes-sigs/wg-policy-prototypes
``policy-report/crd/v1alpha2`` and openreports/reports-api ``crd/openreports.io/v1alpha1``):
the fields each level may carry (unknown fields are what ``kubectl apply`` rejects under strict
field validation), the result and severity enums, ``policy`` required in every result and the
protobuf timestamp shape.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import yaml

from posture.report.formats import Format, render
from posture.report.model import Report

_STR = {"type": "string"}
_COUNT = {"type": "integer", "minimum": 0}
_REF = {
    "type": "object",
    "additionalProperties": False,
    "properties": dict.fromkeys(
        ("apiVersion", "kind", "namespace", "name", "uid", "resourceVersion", "fieldPath"), _STR
    ),
}


def _crd_schema(severities: list[str], *, report_source: bool) -> dict[str, Any]:
    result = {
        "type": "object",
        "required": ["policy"],
        "additionalProperties": False,
        "properties": {
            "source": _STR,
            "policy": _STR,
            "rule": _STR,
            "category": _STR,
            "message": _STR,
            "scored": {"type": "boolean"},
            "result": {"enum": ["pass", "fail", "warn", "error", "skip"]},
            "severity": {"enum": severities},
            "properties": {"type": "object", "additionalProperties": _STR},
            "resources": {"type": "array", "items": _REF},
            "resourceSelector": {"type": "object"},
            "timestamp": {
                "type": "object",
                "required": ["seconds", "nanos"],
                "additionalProperties": False,
                "properties": {"seconds": {"type": "integer"}, "nanos": {"type": "integer"}},
            },
        },
    }
    top: dict[str, Any] = {
        "apiVersion": _STR,
        "kind": _STR,
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"},
                "labels": {"type": "object", "additionalProperties": _STR},
                "annotations": {"type": "object", "additionalProperties": _STR},
            },
        },
        "results": {"type": "array", "items": result},
        "scope": _REF,
        "scopeSelector": {"type": "object"},
        "summary": {
            "type": "object",
            "additionalProperties": False,
            "properties": dict.fromkeys(("pass", "fail", "warn", "error", "skip"), _COUNT),
        },
    }
    if report_source:
        top["source"] = _STR
        top["configuration"] = {"type": "object"}
    return {"type": "object", "additionalProperties": False, "properties": top}


CASES = [
    (
        Format.POLICYREPORT,
        "wgpolicyk8s.io/v1alpha2",
        "ClusterPolicyReport",
        _crd_schema(["high", "low", "medium"], report_source=False),
    ),
    (
        Format.OPENREPORTS,
        "openreports.io/v1alpha1",
        "ClusterReport",
        _crd_schema(["critical", "high", "low", "medium", "info"], report_source=True),
    ),
]


@pytest.mark.parametrize(("fmt", "api_version", "kind", "schema"), CASES)
def test_report_object_fits_its_crd(
    report: Report, fmt: Format, api_version: str, kind: str, schema: dict[str, Any]
) -> None:
    doc = yaml.safe_load(render(report, fmt))
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert (doc["apiVersion"], doc["kind"]) == (api_version, kind)
    results = doc["results"]
    assert sum(doc["summary"].values()) == len(results)
    assert doc["summary"]["fail"] == len(report.findings)
    failed_ids = {r["properties"]["findingId"] for r in results if r["result"] == "fail"}
    assert failed_ids == {f.id for f in report.findings}
    # Checks without findings are reported (pass, or skip when unevaluated), not left out.
    found = {f.check_id for f in report.findings}
    for m in report.checklist:
        for check_id in set(m.check_ids) - found:
            statuses = {r["result"] for r in results if r["policy"] == check_id}
            assert statuses in ({"pass"}, {"skip"}), check_id


def test_v1alpha2_keeps_the_real_severity_in_properties(report: Report) -> None:
    doc = yaml.safe_load(render(report, Format.POLICYREPORT))
    critical = [r for r in doc["results"] if r.get("properties", {}).get("severity") == "critical"]
    assert critical
    assert {r["severity"] for r in critical} == {"high"}
