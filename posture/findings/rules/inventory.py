"""What posture could model at all: a cluster where Calico's API is not found."""

from __future__ import annotations

from collections.abc import Iterable

from posture.findings.model import Finding, RuleInfo, Severity
from posture.findings.registry import Analysis, Registry

CALICO_MISSING = RuleInfo(
    "PST-CAL-001",
    Severity.MEDIUM,
    "Calico not found: node-level and Calico verdicts do not apply",
    "inventory",
    "If the cluster runs Calico with the etcd datastore, export its resources (calicoctl get "
    "-o yaml) and run posture with --from; if it runs another CNI, posture's node-level, "
    "host-endpoint and WireGuard verdicts describe Calico, not that CNI.",
)


def calico_missing(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    if a.snapshot.calico_present:
        return
    yield info.finding(
        message="Neither projectcalico.org/v3 nor crd.projectcalico.org/v1 is served and no "
        "Calico resource was given: reachability assumes Calico enforces the Kubernetes "
        "NetworkPolicies, which may not be the case here.",
        count=0,
    )


def register(registry: Registry) -> None:
    registry.add(CALICO_MISSING, calico_missing)
