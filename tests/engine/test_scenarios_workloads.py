"""WorkloadEndpoints of other orchestrators, through ``posture explain`` (calico-semantics
§1.3, §2.6, §3.3).

An etcd-datastore cluster (OpenStack, plain CNI workloads) stores endpoints that are not pods:
``spec.orchestrator`` is not ``k8s`` and ``spec.profiles`` names the profiles to consult when no
tier decides, in order (libcalico-go ``lib/apis/v3/workloadendpoint.go``). Their effective labels
are their own over those the profiles apply, first profile first (felix/labelindex
``label_inheritance_index.go``), plus ``projectcalico.org/namespace`` and
``projectcalico.org/orchestrator`` as Calico stores them (libcalico-go/lib/clientv3/
workloadendpoint.go ``updateLabelsForStorage``). Kubernetes NetworkPolicies select
``projectcalico.org/orchestrator == 'k8s'`` only (§2.9), so they never apply to them.
"""

from __future__ import annotations

import pytest

from tests.engine.conftest import Check, Scenario, scenario_failures
from tests.engine.test_scenarios import EXT, allow, deny, docs, gnp, np, step

SCENARIOS: list[Scenario] = []

VM = "tenant-a/vm-1"
OTHER_EXT = "203.0.113.5"


def scenario(id: str, cite: str, objects: str, checks: list[Check]) -> None:
    SCENARIOS.append(Scenario(id, cite, objects, checks))


VM_ENDPOINT = """
    apiVersion: projectcalico.org/v3
    kind: WorkloadEndpoint
    metadata:
      name: n1-openstack-vm--1-eth0
      namespace: tenant-a
      labels: {role: web}
    spec:
      orchestrator: openstack
      workload: vm-1
      node: n1
      endpoint: eth0
      ipNetworks: [192.168.1.99/32]
      profiles: [sg-ssh, sg-web]
"""
SG_SSH = """
    apiVersion: projectcalico.org/v3
    kind: Profile
    metadata: {name: sg-ssh}
    spec:
      labelsToApply: {sg: ssh, tier-label: first}
      ingress: [{action: Allow, protocol: TCP, destination: {ports: [22]}}]
"""
SG_WEB = """
    apiVersion: projectcalico.org/v3
    kind: Profile
    metadata: {name: sg-web}
    spec:
      labelsToApply: {web: "yes", tier-label: second}
      ingress: [{action: Allow, protocol: TCP, destination: {ports: [443]}}]
"""
NO_PROFILE = step("ingress", action="Deny (no profile allowed)")


def by_profile(name: str) -> dict[str, object]:
    return step("ingress", f"Profile {name}", 0, "Allow (profile)")


scenario(
    "workload-endpoint-profiles-of-another-orchestrator",
    "§2.6 (no tier decides: the endpoint's profiles in order; none matched → deny), §1.3 "
    "(WorkloadEndpoint.spec.profiles)",
    docs(VM_ENDPOINT, SG_SSH, SG_WEB),
    [
        allow(EXT, VM, "22/TCP", by_profile("sg-ssh")),
        allow(EXT, VM, "443/TCP", by_profile("sg-web")),
        deny(EXT, VM, "80/TCP", NO_PROFILE),
    ],
)

scenario(
    "workload-endpoint-labels-inherited-from-its-profiles",
    "§3.3 (own labels win over profile labels, the first profile wins among them)",
    docs(
        VM_ENDPOINT,
        SG_SSH,
        SG_WEB,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: ssh-from-one-place}
        spec:
          selector: sg == 'ssh' && web == 'yes' && tier-label == 'first' && role == 'web'
          types: [Ingress]
          ingress:
          - {action: Deny, source: {nets: [198.51.100.0/24]}}
          - {action: Pass}
        """,
    ),
    [
        deny(EXT, VM, "22/TCP", step("ingress", gnp("ssh-from-one-place"), 0, "Deny")),
        allow(OTHER_EXT, VM, "22/TCP", by_profile("sg-ssh")),
    ],
)

scenario(
    "workload-endpoint-of-another-orchestrator-not-selected-by-kubernetes-policy",
    "§2.9 (a Kubernetes NetworkPolicy selects projectcalico.org/orchestrator == 'k8s' "
    "endpoints only), §3.3 (the stored orchestrator label)",
    docs(
        VM_ENDPOINT,
        SG_SSH,
        SG_WEB,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: not-kubernetes}
        spec:
          selector: projectcalico.org/orchestrator == 'openstack'
          types: [Ingress]
          ingress: [{action: Deny, protocol: TCP, destination: {ports: [443]}}, {action: Pass}]
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-all, namespace: tenant-a}
        spec: {podSelector: {}, policyTypes: [Ingress]}
        """,
    ),
    [
        allow(
            EXT, VM, "22/TCP", by_profile("sg-ssh"), absent=(step(policy=np("tenant-a/deny-all")),)
        ),
        deny(EXT, VM, "443/TCP", step("ingress", gnp("not-kubernetes"), 0, "Deny")),
    ],
)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_workload_scenario(scenario: Scenario) -> None:
    failures = scenario_failures(scenario)
    assert not failures, failures


def test_table_shape() -> None:
    for s in SCENARIOS:
        assert "§" in s.cite, s.id
        assert any(c.allowed for c in s.checks), s.id
        assert any(not c.allowed for c in s.checks), s.id
