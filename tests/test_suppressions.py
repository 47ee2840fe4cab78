"""Suppressions from a config file and from annotations: counted, explained, expiring."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from posture.cli import main
from posture.errors import ConfigError
from posture.findings.model import Finding, Severity, Subject
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

SCHEMA = json.loads((ROOT / "docs" / "schema" / "posture-report-v1alpha3.json").read_text())
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


# A node finding as the node rules write it: who reaches (pods) and what is reached (nodes).
SCRAPE = Finding(
    "PST-NODE-001",
    Severity.CRITICAL,
    "Pods can reach node-level services (other nodes): kubelet API",
    "monitoring pods reach the kubelet",
    subjects=(
        Subject("Pod", "prometheus-0", "monitoring", "v1"),
        Subject("Node", "worker-1", api_version="v1"),
        Subject("Node", "worker-2", api_version="v1"),
    ),
)
MIXED = Finding(
    "PST-NODE-001",
    Severity.CRITICAL,
    "Pods can reach node-level services (other nodes): kubelet API",
    "monitoring and shop pods reach the kubelet",
    subjects=(
        Subject("Pod", "prometheus-0", "monitoring", "v1"),
        Subject("Pod", "web-0", "shop", "v1"),
        Subject("Node", "worker-1", api_version="v1"),
    ),
)


@pytest.mark.parametrize(
    ("entry", "suppressed"),
    [
        ({"namespace": "monitoring"}, {SCRAPE.id}),  # the usual accepted risk
        ({"namespace": "monitoring", "name": "prometheus-*"}, {SCRAPE.id}),
        ({"kind": "Node", "name": "worker-*"}, {SCRAPE.id, MIXED.id}),  # the nodes' side
        ({"namespace": "shop"}, set()),  # one source of MIXED is not accepted
        ({"kind": "Node", "name": "worker-1"}, {MIXED.id}),  # SCRAPE reaches worker-2 too
    ],
)
def test_node_findings_are_suppressed_by_their_sources_or_their_nodes(
    entry: dict[str, str], suppressed: set[str]
) -> None:
    rules = parse_rules([{"check": "PST-NODE-001", "reason": "accepted", **entry}], "s.yaml")
    out = apply_suppressions(_report(SCRAPE, MIXED), rules, today=TODAY)
    assert {f.id for f in out.suppressed} == suppressed


def test_namespace_annotation_suppresses_a_node_finding_of_its_pods() -> None:
    annotations = {
        ("Namespace", "", "monitoring"): {
            "posture.dev/ignore": "PST-NODE-001",
            "posture.dev/ignore-reason": "Prometheus scrapes the kubelets",
        }
    }
    out = apply_suppressions(_report(SCRAPE, MIXED), [], today=TODAY, annotations=annotations)
    assert [f.id for f in out.suppressed] == [SCRAPE.id]
    assert "Prometheus scrapes the kubelets" in out.suppression_notes[SCRAPE.id]


def test_suppress_one_finding_by_its_id() -> None:
    rules = parse_rules([{"id": MIXED.id, "reason": "ticket 42"}], "s.yaml")
    out = apply_suppressions(_report(SCRAPE, MIXED), rules, today=TODAY)
    assert [f.id for f in out.suppressed] == [MIXED.id]
    assert out.suppression_warnings == ()
    glob = parse_rules([{"id": "PST-NODE-001-*", "reason": "all of them"}], "s.yaml")
    assert len(apply_suppressions(_report(SCRAPE, MIXED), glob, today=TODAY).suppressed) == 2


def test_an_id_rule_takes_no_scope() -> None:
    with pytest.raises(ConfigError, match=r"suppressions\[0\]\.id: an id rule takes no"):
        parse_rules([{"id": MIXED.id, "namespace": "x", "reason": "r"}], "s.yaml")


def test_entries_and_annotations_that_match_nothing_are_warned_about() -> None:
    rules = parse_rules(
        [
            {"check": "PST-NODE-001", "namespace": "monitoring", "reason": "scrapes"},
            {"check": "PST-NODE-01", "namespace": "monitoring", "reason": "typo"},
            {"id": "PST-NODE-001-000000000000", "reason": "gone"},
        ],
        "s.yaml",
    )
    annotations = {
        ("Namespace", "", "batch"): {
            "posture.dev/ignore": "PST-LAT-001",
            "posture.dev/ignore-reason": "batch jobs",
        }
    }
    out = apply_suppressions(_report(SCRAPE), rules, today=TODAY, annotations=annotations)
    assert [f.id for f in out.suppressed] == [SCRAPE.id]
    assert out.suppression_warnings == (
        "suppression s.yaml#1 (PST-NODE-01; namespace monitoring) matched no finding",
        "suppression s.yaml#2 (*; id PST-NODE-001-000000000000) matched no finding",
        "suppression Namespace batch (PST-LAT-001; namespace batch) matched no finding",
    )
    doc = report_dict(out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["summary"]["unmatchedSuppressions"] == list(out.suppression_warnings)


def test_the_table_summary_line_counts_the_suppressed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end on the example: the kubelet exposure of monitoring-like pods accepted by
    namespace; the table says how many were suppressed, stderr warns about the typo."""
    main(["check", "--from", str(EXAMPLE), "-o", "json", "--exit-zero"])
    doc = json.loads(capsys.readouterr().out)
    node = next(
        f
        for f in doc["findings"]
        if f["checkId"] in ("PST-NODE-001", "PST-NODE-002")
        and any(s["kind"] == "Pod" for s in f["subjects"])
    )
    namespaces = sorted({s["namespace"] for s in node["subjects"] if s["kind"] == "Pod"})
    entries = [
        {"check": node["checkId"], "namespace": ns, "reason": "accepted"} for ns in namespaces
    ]
    entries.append({"check": "PST-NOPE-999", "reason": "typo"})
    (tmp_path / "s.yaml").write_text(json.dumps(entries))
    main(
        ["check", "--from", str(EXAMPLE), "--exit-zero", "--suppressions", str(tmp_path / "s.yaml")]
    )
    out, err = capsys.readouterr()
    summary = next(line for line in out.splitlines() if line.startswith("Findings: "))
    assert summary.endswith(" suppressed")
    count = int(summary.rsplit("; ", 1)[1].split()[0])
    assert count >= 1
    assert f"suppression {tmp_path / 's.yaml'}#{len(entries) - 1} (PST-NOPE-999) matched no" in err
    argv = ["check", "--from", str(EXAMPLE), "--exit-zero", "-o", "json"]
    main([*argv, "--suppressions", str(tmp_path / "s.yaml")])
    after = json.loads(capsys.readouterr().out)
    assert node["id"] in {f["id"] for f in after["suppressed"]}
    assert len(after["suppressed"]) == count
