"""ClusterNetworkPolicy (``policy.networking.k8s.io/v1alpha2``) ``protocols``, through
``posture explain`` (calico-semantics §2.10).

Calico converts each rule's ``protocols`` as ``unpackCNPProtocols`` does
(libcalico-go/lib/backend/k8s/conversion/clusternetworkpolicy.go): one Calico rule per transport
(tcp, udp, sctp) holding its ``destinationPort`` numbers and ranges; no ``protocols`` means every
protocol and port; ``destinationNamedPort`` is not converted ("named ports are not supported
yet"), so the rule fails closed: a Deny or Pass rule becomes a deny-all rule, an Accept rule is
dropped. Schema: sigs.k8s.io/network-policy-api ``apis/v1alpha2/clusternetworkpolicy_types.go``.
"""

from __future__ import annotations

import pytest

from tests.engine.conftest import Check, Scenario, scenario_failures
from tests.engine.test_scenarios import API1, DB1, WEB1, allow, deny, docs, profile, step

SCENARIOS: list[Scenario] = []


def scenario(id: str, cite: str, objects: str, checks: list[Check]) -> None:
    SCENARIOS.append(Scenario(id, cite, objects, checks))


def cnp(rules: str) -> str:
    """An Admin-tier ClusterNetworkPolicy on backend/db-1 with these ingress rules."""
    return f"""
        apiVersion: policy.networking.k8s.io/v1alpha2
        kind: ClusterNetworkPolicy
        metadata: {{name: db-guard}}
        spec:
          tier: Admin
          priority: 10
          subject:
            pods:
              namespaceSelector: {{matchLabels: {{team: api}}}}
              podSelector: {{matchLabels: {{app: db}}}}
          ingress:
{rules}
    """


def admin(rule: int, action: str) -> dict[str, object]:
    return step("ingress", rule=rule, action=action, tier="kube-admin")


scenario(
    "cnp-protocols-narrow-the-rule",
    "§2.10 (ClusterNetworkPolicy → GNP in tier kube-admin; protocols → one rule per transport "
    "with its destination ports; unpackCNPProtocols)",
    docs(
        cnp("""
          - action: Deny
            from: [{namespaces: {matchLabels: {team: web}}}]
            protocols: [{tcp: {destinationPort: {number: 5432}}}]
        """)
    ),
    [
        deny(WEB1, DB1, "5432/TCP", admin(0, "Deny")),
        # Another port is not the rule's: the Admin tier passes, the namespace profile allows.
        allow(WEB1, DB1, "8080/TCP", profile("ingress", "kns.backend")),
        allow(WEB1, DB1, "5432/UDP", profile("ingress", "kns.backend")),
    ],
)

scenario(
    "cnp-protocols-ranges-and-transports",
    "§2.10, §4.3 (a destinationPort range is a Calico port range; udp and tcp entries become "
    "a rule each; unpackCNPProtocols)",
    docs(
        cnp("""
          - action: Deny
            from: [{namespaces: {matchLabels: {team: web}}}]
            protocols:
            - {udp: {destinationPort: {number: 53}}}
            - {tcp: {destinationPort: {range: {start: 5000, end: 6000}}}}
        """)
    ),
    [
        deny(WEB1, DB1, "5432/TCP", admin(0, "Deny")),
        deny(WEB1, DB1, "53/UDP", admin(0, "Deny")),
        allow(WEB1, DB1, "53/TCP", profile("ingress", "kns.backend")),
        allow(WEB1, DB1, "6001/TCP", profile("ingress", "kns.backend")),
    ],
)

scenario(
    "cnp-destination-named-port-fails-closed",
    "§2.10 (a rule Calico cannot convert: Deny/Pass → deny-all, Accept → dropped; "
    "k8sCNPPortToCalicoFields: named ports not supported)",
    docs(
        cnp("""
          - action: Accept
            from: [{namespaces: {matchLabels: {team: web}}}]
            protocols: [{destinationNamedPort: pg}]
          - action: Deny
            from: [{namespaces: {matchLabels: {team: web}}}]
          - action: Pass
            from: [{namespaces: {matchLabels: {team: api}}}]
            protocols: [{destinationNamedPort: pg}]
        """)
    ),
    [
        # The Accept is dropped, so web meets the Deny that follows it.
        deny(WEB1, DB1, "5432/TCP", admin(1, "Deny")),
        # The named-port Pass becomes a deny-all rule for everyone, on every port.
        deny(API1, DB1, "9999/TCP", admin(2, "Deny")),
    ],
)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_cnp_scenario(scenario: Scenario) -> None:
    failures = scenario_failures(scenario)
    assert not failures, failures


def test_table_shape() -> None:
    for s in SCENARIOS:
        assert "§" in s.cite, s.id
        assert any(c.allowed for c in s.checks) or s.id.endswith("fails-closed"), s.id
        assert any(not c.allowed for c in s.checks), s.id
