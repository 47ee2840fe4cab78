"""Suppressions from a config file and from annotations: counted, explained, expiring."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from posture.cli import main
from posture.errors import ConfigError
from posture.findings.base import Finding, Severity, Subject
from posture.model.coverage import Coverage
from posture.report.json_render import report_dict
from posture.report.model import Measure, MeasureStatus, Report
from posture.sources.convert_misc import posture_annotations
from posture.suppressions import (
    EXPIRED_CHECK,
    UNJUSTIFIED_CHECK,
    apply_suppressions,
    parse_rules,
)
from tests.support import EXAMPLE, ROOT

SCHEMA = json.loads((ROOT / "docs" / "schema" / "posture-report-v1alpha1.json").read_text())
TODAY = dt.date(2025, 6, 1)

NS_FINDING = Finding(
    "PST-DENY-001",
    Severity.HIGH,
    "No default deny",
    "two namespaces",
    subjects=(Subject("Namespace", "shop", api_version="v1"), Subject("Namespace", "payments")),
)
NODE_FINDING = Finding(
    "PST-NODE-001", Severity.CRITICAL, "Node open", "node", subjects=(Subject("Node", "worker-2"),)
)
POD_FINDING = Finding(
    "PST-LAT-001", Severity.MEDIUM, "Pod", "pod", subjects=(Subject("Pod", "db-0", "shop"),)
)


def _report(*findings: Finding) -> Report:
    return Report(
        tool_version="0",
        source="test",
        cluster="",
        context="",
        generated_at="2025-06-01T00:00:00Z",
        coverage=Coverage(),
        findings=findings,
        checklist=(
            Measure(
                "cluster-default-deny",
                "deny",
                MeasureStatus.FAILED,
                ("PST-DENY-001",),
                tuple(f.id for f in findings if f.check_id == "PST-DENY-001"),
                "1 finding(s)",
            ),
        ),
    )


def test_a_finding_is_suppressed_only_when_every_subject_is_covered() -> None:
    rules = parse_rules([{"check": "PST-DENY-001", "namespace": "shop", "reason": "r"}], "f")
    out = apply_suppressions(_report(NS_FINDING), rules, today=TODAY)
    assert out.findings == (NS_FINDING,)
    rules += parse_rules([{"check": "PST-DENY-*", "namespace": "pay*", "reason": "r2"}], "g")
    out = apply_suppressions(_report(NS_FINDING), rules, today=TODAY)
    assert out.findings == ()
    assert out.suppressed == (NS_FINDING,)
    assert out.suppression_notes[NS_FINDING.id] == "f#0: r; g#0: r2"
    assert out.checklist[0].reason == "0 finding(s), 1 suppressed"
    assert out.checklist[0].status is MeasureStatus.FAILED  # an accepted risk is still a risk
    doc = report_dict(out)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert doc["summary"]["suppressed"] == 1
    assert doc["suppressed"][0]["suppressedBecause"].startswith("f#0")


def test_name_globs_match_nodes_and_pods() -> None:
    rules = parse_rules(
        [
            {"check": "PST-NODE-001", "name": "worker-*", "reason": "lab nodes"},
            {"check": "PST-LAT-001", "namespace": "shop", "name": "db-?", "reason": "legacy db"},
        ],
        "f",
    )
    out = apply_suppressions(_report(NODE_FINDING, POD_FINDING), rules, today=TODAY)
    assert out.findings == ()
    assert len(out.suppressed) == 2


def test_expired_rule_suppresses_nothing_and_is_a_finding() -> None:
    rules = parse_rules(
        [{"check": "PST-NODE-001", "reason": "until the upgrade", "expires": "2025-05-31"}], "f"
    )
    out = apply_suppressions(_report(NODE_FINDING), rules, today=TODAY)
    assert [f.check_id for f in out.findings] == ["PST-NODE-001", EXPIRED_CHECK]
    expired = out.findings[1]
    assert expired.severity is Severity.LOW
    assert "2025-05-31" in expired.message
    # Still valid on its last day.
    rules = parse_rules(
        [{"check": "PST-NODE-001", "reason": "r", "expires": dt.date(2025, 6, 1)}], "f"
    )
    assert apply_suppressions(_report(NODE_FINDING), rules, today=TODAY).findings == ()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([{"check": "PST-NODE-001"}], "reason: required"),
        ([{"check": "PST-NODE-001", "reason": " "}], "reason: required"),
        ([{"reason": "x"}], "check: required"),
        ([{"check": "X", "reason": "x", "expires": "soon"}], "expected a date"),
        ([{"check": "X", "reason": "x", "nmespace": "a"}], "unknown field(s) nmespace"),
        ({"check": "X"}, "expected a list"),
    ],
)
def test_config_errors_name_entry_and_field(doc: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_rules(doc, "s.yaml")


def test_namespace_and_workload_annotations() -> None:
    objects = [
        {
            "kind": "Namespace",
            "metadata": {
                "name": "shop",
                "annotations": {
                    "posture.dev/ignore": "PST-DENY-001, PST-LAT-001",
                    "posture.dev/ignore-reason": "shop is a sandbox",
                },
            },
        },
        {
            "kind": "Namespace",
            "metadata": {
                "name": "payments",
                "annotations": {"posture.dev/ignore": "PST-DENY-001"},  # no reason
            },
        },
        {
            "kind": "Node",
            "metadata": {
                "name": "worker-2",
                "annotations": {
                    "posture.dev/ignore": "PST-NODE-001",
                    "posture.dev/ignore-reason": "being drained",
                    "posture.dev/ignore-until": "2025-01-01",
                },
            },
        },
        {"kind": "Pod", "metadata": {"name": "x", "namespace": "shop"}},
    ]
    index = posture_annotations(objects)
    assert set(index) == {
        ("Namespace", "", "shop"),
        ("Namespace", "", "payments"),
        ("Node", "", "worker-2"),
    }
    out = apply_suppressions(
        _report(NS_FINDING, NODE_FINDING, POD_FINDING), [], today=TODAY, annotations=index
    )
    assert [f.check_id for f in out.suppressed] == ["PST-LAT-001"]
    checks = sorted(f.check_id for f in out.findings)
    # payments has no reason (PST-DENY-001 stays), worker-2's date has passed.
    assert checks == sorted(["PST-DENY-001", "PST-NODE-001", EXPIRED_CHECK, UNJUSTIFIED_CHECK])


def test_cli_suppressions_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rules = tmp_path / "s.yaml"
    rules.write_text(
        "- check: PST-NODE-002\n  reason: accepted until host endpoints land\n"
        "  expires: 2999-01-01\n"
        "- check: PST-RT-*\n  reason: old one\n  expires: 2000-01-01\n"
    )
    rc = main(["check", "--from", EXAMPLE, "--suppressions", str(rules), "-o", "json"])
    doc = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert rc == 1
    assert {f["checkId"] for f in doc["suppressed"]} == {"PST-NODE-002"}
    assert "PST-NODE-002" not in {f["checkId"] for f in doc["findings"]}
    assert EXPIRED_CHECK in {f["checkId"] for f in doc["findings"]}
    assert doc["summary"]["suppressed"] == len(doc["suppressed"]) > 0
