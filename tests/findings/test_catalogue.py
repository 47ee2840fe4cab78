"""The rule catalogue itself: the IDs, default severities and measures the scenarios and
docs/findings.md rely on."""

from __future__ import annotations

import re
from pathlib import Path

from posture.findings.model import Severity
from posture.findings.rules import default_registry
from posture.sources import offline_source
from tests.findings.conftest import run_check

DOC = Path(__file__).resolve().parents[2] / "docs" / "findings.md"

CATALOGUE = {
    "PST-NODE-001": Severity.CRITICAL,
    "PST-NODE-002": Severity.HIGH,
    "PST-NODE-003": Severity.HIGH,
    "PST-NODE-004": Severity.HIGH,
    "PST-NODE-005": Severity.MEDIUM,
    "PST-NODE-006": Severity.HIGH,
    "PST-NODE-007": Severity.MEDIUM,
    "PST-DENY-001": Severity.HIGH,
    "PST-DENY-002": Severity.MEDIUM,
    "PST-DENY-003": Severity.MEDIUM,
    "PST-DENY-004": Severity.HIGH,
    "PST-DENY-005": Severity.HIGH,
    "PST-DENY-006": Severity.LOW,
    "PST-ENC-001": Severity.HIGH,
    "PST-ENC-002": Severity.HIGH,
    "PST-ENC-003": Severity.MEDIUM,
    "PST-ENC-004": Severity.LOW,
    "PST-LAT-001": Severity.MEDIUM,
    "PST-LAT-002": Severity.MEDIUM,
    "PST-LAT-003": Severity.HIGH,
    "PST-HYG-001": Severity.LOW,
    "PST-HYG-002": Severity.LOW,
    "PST-HYG-003": Severity.INFO,
    "PST-RT-001": Severity.INFO,
    "PST-RT-002": Severity.LOW,
    "PST-CAL-001": Severity.MEDIUM,
}

# Findings that contradict the example's premise (a Calico cluster) cannot appear in it, nor the
# recommended exclusion of the system namespaces (the example has no working default-deny).
NOT_IN_EXAMPLE = {"PST-CAL-001", "PST-DENY-006"}


def test_the_default_registry_holds_exactly_the_catalogue() -> None:
    assert {r.info.id: r.info.severity for r in default_registry()} == CATALOGUE


def test_every_rule_says_how_to_fix_it() -> None:
    for r in default_registry():
        assert r.info.remediation, r.info.id
        assert r.info.title, r.info.id


def test_every_rule_has_a_scenario() -> None:
    """Each check ID appears in a test_<theme>.py scenario of this directory."""
    here = Path(__file__).parent
    text = "".join(
        p.read_text(encoding="utf-8")
        for p in here.glob("test_*.py")
        if p.name != "test_catalogue.py"
    )
    missing = [i for i in CATALOGUE if f'"{i}"' not in text]
    assert not missing


def test_docs_describe_every_rule_with_its_default_severity() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for rule_id, severity in CATALOGUE.items():
        heading = re.search(rf"^### {re.escape(rule_id)}\b.*$", doc, re.MULTILINE)
        assert heading, f"{rule_id} has no section in docs/findings.md"
        section = doc[heading.end() :].split("\n### ", 1)[0]
        assert f"**Default severity: {severity.value}**" in section, rule_id


def test_the_example_cluster_triggers_every_check() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "cluster"
    report = run_check(offline_source([example]).load())
    assert {f.check_id for f in report.findings} == set(CATALOGUE) - NOT_IN_EXAMPLE
