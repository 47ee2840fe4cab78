"""Severity that matches intent and blast radius (docs/findings.md, "Severity rules").

The cluster of tests/data/recommended follows Calico's recommended default deny: a
GlobalNetworkPolicy excluding kube-system, calico-system and tigera-operator that allows DNS
(docs.tigera.io/calico/latest/network-policy/get-started/kubernetes-default-deny; "keep the
scope to non-system pods", docs.tigera.io/calico-cloud/network-policy/default-deny), automatic
host endpoints with a host policy admitting the node subnet, failsafe ports narrowed to that
subnet, WireGuard on. Nothing there is open to the internet, so nothing is critical; variants
that really open something show that the severity comes back.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from posture.findings.model import Severity
from posture.report.model import MeasureStatus, Report
from posture.sources import offline_source
from tests.findings.conftest import run_check

RECOMMENDED = Path(__file__).resolve().parents[1] / "data" / "recommended" / "cluster.yaml"


def _items() -> list[dict[str, Any]]:
    doc = yaml.safe_load(RECOMMENDED.read_text())
    items: list[dict[str, Any]] = doc["items"]
    return items


def _check(tmp_path: Path, items: list[dict[str, Any]]) -> Report:
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    return run_check(offline_source([path]).load())


def _find(items: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(i for i in items if i["kind"] == kind and i["metadata"]["name"] == name)


@pytest.fixture
def recommended() -> Report:
    return run_check(offline_source([RECOMMENDED]).load())


def test_recommended_default_deny_has_no_critical_finding(recommended: Report) -> None:
    assert not [f for f in recommended.findings if f.severity is Severity.CRITICAL]
    ids = {f.check_id for f in recommended.findings}
    # Not "no default-deny" and not "misses endpoints": the exclusion is by design.
    assert not ids & {"PST-DENY-001", "PST-DENY-003", "PST-NODE-001", "PST-NODE-002"}


def test_the_exclusion_is_one_low_finding_that_names_what_they_can_reach(
    recommended: Report,
) -> None:
    [note] = [f for f in recommended.findings if f.check_id == "PST-DENY-006"]
    assert note.severity is Severity.LOW
    assert {s.name for s in note.subjects} == {"kube-system", "calico-system"}
    assert "GlobalNetworkPolicy default-deny" in note.message
    assert "accept connections from outside the cluster (see PST-LAT-003)" in note.message
    assert "reach node services (kubelet API, etcd" in note.message


def test_the_default_deny_measure_explains_the_exclusion(recommended: Report) -> None:
    measure = next(m for m in recommended.checklist if m.id == "cluster-default-deny")
    assert measure.status is MeasureStatus.PASSED
    assert "excluded from the default-deny, as Calico recommends" in measure.reason
    assert "kube-system" in measure.reason


def test_system_pods_open_to_the_outside_stay_serious(recommended: Report) -> None:
    """The exclusion lowers nothing about real exposure: the system pods accept any connection
    from anywhere (no policy of their own), and that is high."""
    [open_] = [f for f in recommended.findings if f.check_id == "PST-LAT-003"]
    assert open_.severity is Severity.HIGH
    assert "kube-system" in open_.message


def test_node_subnet_allowed_by_host_policy_is_a_private_range_not_the_internet(
    recommended: Report,
) -> None:
    found = [f for f in recommended.findings if f.check_id == "PST-NODE-006"]
    # WireGuard's port is open to any address by design: Felix accepts it before host-endpoint
    # policy (calico-semantics §5.11), a low-severity finding of its own.
    wireguard = [f for f in found if f.key_extra == "WireGuard"]
    assert wireguard
    assert all(f.severity is Severity.LOW for f in wireguard)
    assert all(f.because[0].startswith("[infrastructure]") for f in wireguard)
    found = [f for f in found if f not in wireguard]
    assert found
    for f in found:
        assert f.severity is Severity.MEDIUM
        assert "private range 10.0.0.0 – 10.0.0.255" in f.message
        assert "253 addresses that are not the cluster's nodes or pods" in f.message


def test_default_failsafe_ports_are_really_open_to_the_internet(tmp_path: Path) -> None:
    """Failsafe ports bypass host-endpoint policy (§5.5): left at Felix's defaults they admit
    any address, so etcd on the nodes is open to the internet: critical."""
    items = copy.deepcopy(_items())
    del _find(items, "FelixConfiguration", "default")["spec"]["failsafeInboundHostPorts"]
    report = _check(tmp_path, items)
    critical = [f for f in report.findings if f.severity is Severity.CRITICAL]
    assert [f.check_id for f in critical] == ["PST-NODE-006"] * len(critical)
    assert critical
    assert all("Addresses outside the cluster" in f.message for f in critical)


def test_a_host_policy_open_to_any_address_is_critical(tmp_path: Path) -> None:
    items = copy.deepcopy(_items())
    rule = _find(items, "GlobalNetworkPolicy", "host-node-subnet")["spec"]["ingress"][0]
    rule["source"] = {"nets": ["0.0.0.0/0"]}
    report = _check(tmp_path, items)
    outside = [f for f in report.findings if f.check_id == "PST-NODE-006"]
    assert any(f.severity is Severity.CRITICAL and "kubelet API" in f.message for f in outside)


def test_a_non_system_namespace_left_out_is_no_exclusion_by_design(tmp_path: Path) -> None:
    """Leaving out an application namespace is a gap (PST-DENY-001/003), not the
    documented choice."""
    items = copy.deepcopy(_items())
    policy = _find(items, "GlobalNetworkPolicy", "default-deny")
    policy["spec"]["selector"] = (
        "projectcalico.org/namespace not in {'kube-system', 'calico-system', 'tigera-operator', "
        "'shop'}"
    )
    report = _check(tmp_path, items)
    ids = {f.check_id for f in report.findings}
    assert "PST-DENY-006" not in ids
    assert "PST-DENY-001" in ids
    measure = next(m for m in report.checklist if m.id == "cluster-default-deny")
    assert measure.status is MeasureStatus.FAILED
