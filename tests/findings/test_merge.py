"""One finding per check and root cause (posture.findings.merge)."""

from __future__ import annotations

from dataclasses import replace

from posture.findings.merge import merge_findings
from posture.findings.model import Finding, PathInfo, Severity, Subject


def _part(node: str, *, extra: str = "", title: str = "Pods reach nodes (own node)") -> Finding:
    return Finding(
        check_id="PST-NODE-002",
        severity=Severity.CRITICAL,
        title=title,
        message=f"pods reach node {node}",
        subjects=(Subject("Node", node, api_version="v1"),),
        path=PathInfo("pods", f"node {node}", "all traffic", "same-node"),
        because=("step a", f"step {node}"),
        remediation="deny it",
        count=2,
        key_extra=extra,
    )


def test_parts_of_one_root_cause_are_one_finding_listing_every_subject() -> None:
    merged = merge_findings([_part("n1"), _part("n2"), _part("n3")])
    assert len(merged) == 1
    (f,) = merged
    assert [s.name for s in f.subjects] == ["n1", "n2", "n3"]
    assert f.message.splitlines() == [
        "pods reach node n1",
        "pods reach node n2",
        "pods reach node n3",
    ]
    assert f.because == ("step a", "step n1", "step n2", "step n3")
    assert f.count == 6
    assert f.path is None  # the parts' paths differ: none of them stands for the whole


def test_different_root_causes_headlines_or_remedies_stay_apart() -> None:
    merged = merge_findings(
        [
            _part("n1", extra="policy a"),
            _part("n1", extra="policy b"),
            _part("n1", title="Pods reach nodes (other nodes)"),
            _part("n2", title="Pods reach nodes (other nodes)"),
        ]
    )
    assert [f.title for f in merged] == [
        "Pods reach nodes (own node)",
        "Pods reach nodes (own node)",
        "Pods reach nodes (other nodes)",
    ]
    assert len({f.id for f in merged}) == 3


def test_titles_that_differ_after_the_headline_merge_under_the_headline() -> None:
    a = _part("n1", title="Node services reachable: etcd")
    b = _part("n2", title="Node services reachable: kubelet API")
    (f,) = merge_findings([a, b])
    assert f.title == "Node services reachable: etcd, kubelet API"
    long = [_part(f"n{i}", title=f"Node services reachable: service number {i}") for i in range(5)]
    (g,) = merge_findings(long)
    assert g.title == "Node services reachable"


def test_id_ignores_the_path_labels_and_follows_subjects_and_root_cause() -> None:
    a = _part("n1")
    relabelled = replace(a, path=PathInfo("x: app=y", "world (1.2.3.4 – 9.9.9.9)", "", ""))
    assert relabelled.id == a.id
    assert _part("n2").id != a.id
    assert _part("n1", extra="policy b").id != a.id
