"""PST-CAL-001: Calico not found."""

from __future__ import annotations

import dataclasses

from posture.findings.model import Severity
from posture.model.coverage import Coverage, KindCoverage, ReadStatus
from posture.model.meta import SourceLocation
from posture.sources.base import Provenance, RawInventory
from posture.sources.convert import build_snapshot
from tests.findings.conftest import run_check

NS: dict[str, object] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}
ABSENT = KindCoverage(
    "GlobalNetworkPolicy",
    "crd.projectcalico.org",
    ReadStatus.ABSENT,
    reason="Calico is not installed",
)


def _inventory(*objects: dict[str, object], calico_api: str = "") -> RawInventory:
    inv = RawInventory(
        coverage=Coverage((ABSENT,)), provenance=Provenance(source="test", calico_api=calico_api)
    )
    for o in objects:
        inv.add(dict(o), SourceLocation("test"))
    return inv


def test_cal_001_when_no_calico_api_is_served() -> None:
    report = run_check(build_snapshot(_inventory(NS)))
    (f,) = [f for f in report.findings if f.check_id == "PST-CAL-001"]
    assert f.severity is Severity.MEDIUM
    assert "Neither projectcalico.org/v3 nor crd.projectcalico.org/v1 is served" in f.message


def test_cal_001_not_when_the_calico_api_is_served() -> None:
    snap = build_snapshot(_inventory(NS, calico_api="crd.projectcalico.org/v1"))
    assert not [f for f in run_check(snap).findings if f.check_id == "PST-CAL-001"]


def test_calico_node_without_api_means_unknown_coverage_not_absent() -> None:
    """The etcd datastore: Calico runs, its policies exist, the Kubernetes API shows none."""
    ds: dict[str, object] = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "calico-node", "namespace": "kube-system"},
        "spec": {},
    }
    snap = build_snapshot(_inventory(NS, ds))
    (cov,) = snap.coverage.kinds
    assert cov.status is ReadStatus.FAILED
    assert "etcd datastore" in cov.reason
    assert not snap.coverage.complete
    assert dataclasses.replace(snap, coverage=Coverage()).coverage.complete
