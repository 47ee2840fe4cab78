"""The measures checklist: which checks feed which measure, and when a measure is passed,
failed or unknown."""

from __future__ import annotations

import dataclasses

from posture.findings.rules import default_registry
from posture.model.coverage import Coverage, KindCoverage, ReadStatus
from posture.report.model import Measure, MeasureStatus, Report
from tests.findings.conftest import CheckFn, LoadFn, run_check
from tests.support.builders import felix, gnp

FEEDS = {
    "cluster-default-deny": (
        "PST-DENY-001",
        "PST-DENY-006",
        "PST-DENY-002",
        "PST-DENY-003",
        "PST-DENY-004",
        "PST-DENY-005",
    ),
    "node-services-closed": (
        "PST-NODE-001",
        "PST-NODE-006",
        "PST-NODE-002",
        "PST-NODE-003",
        "PST-NODE-004",
        "PST-NODE-005",
        "PST-NODE-007",
    ),
    "lateral-movement-contained": ("PST-LAT-001", "PST-LAT-002", "PST-LAT-003"),
    "encryption-everywhere": ("PST-ENC-001", "PST-ENC-002", "PST-ENC-003", "PST-ENC-004"),
}


def measure(report: Report, measure_id: str) -> Measure:
    return next(m for m in report.checklist if m.id == measure_id)


def test_each_measure_lists_the_checks_that_feed_it(check: CheckFn) -> None:
    report = check()
    assert {m.id: m.check_ids for m in report.checklist} == FEEDS


def test_hygiene_and_runtime_checks_feed_no_measure() -> None:
    fed = {c for ids in FEEDS.values() for c in ids}
    others = {r.info.id for r in default_registry()} - fed
    assert others == {
        "PST-HYG-001",
        "PST-HYG-002",
        "PST-HYG-003",
        "PST-RT-001",
        "PST-RT-002",
        "PST-CAL-001",
    }
    assert {r.info.measure for r in default_registry() if r.info.id in others} == {
        "policy-hygiene",
        "runtime-inventory",
        "inventory",
    }


def test_a_measure_fails_with_the_ids_of_its_findings(check: CheckFn) -> None:
    report = check()
    m = measure(report, "cluster-default-deny")
    assert m.status is MeasureStatus.FAILED
    expected = {f.id for f in report.findings if f.check_id in FEEDS["cluster-default-deny"]}
    assert set(m.finding_ids) == expected
    assert m.reason == f"{len(expected)} finding(s)"


def test_a_measure_passes_when_none_of_its_checks_finds_anything(check: CheckFn) -> None:
    report = check(
        felix(wireguardEnabled=True, wireguardHostEncryptionEnabled=True),
        gnp(
            "default-deny",
            selector="projectcalico.org/orchestrator == 'k8s'",
            types=["Ingress", "Egress"],
        ),
    )
    for measure_id in ("cluster-default-deny", "encryption-everywhere"):
        m = measure(report, measure_id)
        assert m.status is MeasureStatus.PASSED, m
        assert m.finding_ids == ()
    # Pods are closed, but the nodes have no host endpoints.
    assert measure(report, "node-services-closed").status is MeasureStatus.FAILED


def test_a_measure_is_unknown_when_a_kind_it_needs_could_not_be_read(load: LoadFn) -> None:
    snapshot = load(felix(wireguardEnabled=True, wireguardHostEncryptionEnabled=True))
    forbidden = KindCoverage(
        "FelixConfiguration", "projectcalico.org", ReadStatus.FORBIDDEN, reason="RBAC"
    )
    report = run_check(dataclasses.replace(snapshot, coverage=Coverage((forbidden,))))
    m = measure(report, "encryption-everywhere")
    assert m.status is MeasureStatus.UNKNOWN
    assert m.reason == "could not read: FelixConfiguration"


def test_findings_outweigh_missing_coverage(load: LoadFn) -> None:
    """A finding is a fact even when other objects could not be read: the measure fails."""
    snapshot = load()
    forbidden = KindCoverage("FelixConfiguration", "projectcalico.org", ReadStatus.FORBIDDEN)
    report = run_check(dataclasses.replace(snapshot, coverage=Coverage((forbidden,))))
    assert measure(report, "encryption-everywhere").status is MeasureStatus.FAILED
