"""Table-driven scenarios for service and node-level paths, run through ``posture explain``.

Same base cluster and helpers as ``test_scenarios.py``. A check whose destination is a Service
address (ClusterIP, external IP, load-balancer address, or ``node:nodePort``) names the
endpoint ``via`` which its verdict is read: ``posture explain`` answers after DNAT, one verdict
per endpoint (calico-semantics §2.1, §4.8, §5.10).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import Check, explain, verdict_problems, write_cluster
from tests.engine.test_scenarios import (
    API1,
    DB1,
    EXT,
    N1,
    WEB1,
    WEB2,
    docs,
    eot,
    gnp,
    step,
)


@dataclass(frozen=True)
class PathCheck:
    check: Check
    via: str | None = None  # the endpoint (explain's "dst") a Service-address verdict is read at
    flows: str | None = None  # that endpoint's flows after DNAT, e.g. "TCP 6443"


@dataclass(frozen=True)
class PathScenario:
    id: str
    cite: str
    objects: str
    checks: list[PathCheck]


def allow(src: str, dst: str, port: str | None, by: dict[str, Any], **kw: Any) -> PathCheck:
    via, flows = kw.pop("via", None), kw.pop("flows", None)
    return PathCheck(Check(src, dst, port, True, by, **kw), via, flows)


def deny(src: str, dst: str, port: str | None, by: dict[str, Any], **kw: Any) -> PathCheck:
    via, flows = kw.pop("via", None), kw.pop("flows", None)
    return PathCheck(Check(src, dst, port, False, by, **kw), via, flows)


SCENARIOS: list[PathScenario] = []


def scenario(id: str, cite: str, objects: str, checks: list[PathCheck]) -> None:
    SCENARIOS.append(PathScenario(id, cite, objects, checks))


def problems(doc: dict[str, Any], pc: PathCheck) -> list[str]:
    if pc.via is None:
        if doc.get("kind") == "ServiceExplanation":
            return ["answered for a Service address; name the endpoint with via="]
        return verdict_problems(doc, pc.check)
    if doc.get("kind") != "ServiceExplanation":
        return [f"expected an answer after DNAT, got {doc.get('kind')}"]
    found = [b for b in doc["backends"] if b["dst"] == pc.via]
    if not found:
        return [f"no endpoint {pc.via!r} among {[b['dst'] for b in doc['backends']]}"]
    (backend,) = found
    out = verdict_problems(backend, pc.check)
    if pc.flows is not None and [v["flows"] for v in backend["verdicts"]] != [pc.flows]:
        out.append(f"expected flows {pc.flows}, got {[v['flows'] for v in backend['verdicts']]}")
    return out


# --- item: services rule matches come from EndpointSlices / Endpoints (§4.6) ------------------

# The API server's own Service: no selector; its endpoints are node addresses (the apiserver's
# endpoint reconciler writes them), port name https.
KUBERNETES_SVC = """
    apiVersion: v1
    kind: Service
    metadata: {name: kubernetes, namespace: default}
    spec:
      type: ClusterIP
      clusterIP: 10.96.0.1
      ports: [{name: https, port: 443, protocol: TCP, targetPort: 6443}]
"""
KUBERNETES_ENDPOINTS = """
    apiVersion: v1
    kind: Endpoints
    metadata: {name: kubernetes, namespace: default}
    subsets:
    - addresses: [{ip: 10.0.0.1}]
      ports: [{name: https, port: 6443, protocol: TCP}]
"""
KUBERNETES_SLICE = """
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata:
      name: kubernetes
      namespace: default
      labels: {kubernetes.io/service-name: kubernetes}
    addressType: IPv4
    endpoints: [{addresses: [10.0.0.1], conditions: {ready: true}}]
    ports: [{name: https, port: 6443, protocol: TCP}]
"""
WEB_TO_API_SERVER = """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: web-to-apiserver}
    spec:
      selector: app == 'web'
      types: [Egress]
      egress:
      - action: Allow
        destination: {services: {name: kubernetes, namespace: default}}
      - action: Deny
"""
DB_FROM_API_SERVER = """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: db-from-apiserver}
    spec:
      selector: app == 'db'
      types: [Ingress]
      ingress:
      - action: Allow
        source: {services: {name: kubernetes, namespace: default}}
      - action: Deny
"""
N1_ADDR = "node n1 (10.0.0.1)"

for flavour, members in (("endpoints", KUBERNETES_ENDPOINTS), ("endpointslice", KUBERNETES_SLICE)):
    scenario(
        f"services-selectorless-kubernetes-service-{flavour}",
        "§4.6 (services = endpoint addresses and ports from EndpointSlices, not the selector; "
        "felix/serviceindex/serviceindex.go membersFromEndpointSlice), §4.8 (ClusterIP "
        "DNAT before policy; kubernetes pkg/proxy/endpointslicecache.go pairs ports by name)",
        docs(KUBERNETES_SVC, members, WEB_TO_API_SERVER, DB_FROM_API_SERVER),
        [
            # After DNAT: 10.96.0.1:443 is n1's address on 6443, allowed by the services rule.
            allow(
                WEB2,
                "10.96.0.1",
                "443/TCP",
                step("egress", gnp("web-to-apiserver"), 0, "Allow"),
                via=N1_ADDR,
                flows="TCP 6443",
            ),
            # The member is (10.0.0.1, TCP, 6443) only: the kubelet port of the same node is not.
            deny(WEB2, "10.0.0.1", "10250/TCP", step("egress", gnp("web-to-apiserver"), 1, "Deny")),
            allow(
                WEB2, "10.0.0.1", "6443/TCP", step("egress", gnp("web-to-apiserver"), 0, "Allow")
            ),
            # Source side: the member address on any port.
            allow(N1, DB1, "5432/TCP", step("ingress", gnp("db-from-apiserver"), 0, "Allow")),
            deny(EXT, DB1, "5432/TCP", step("ingress", gnp("db-from-apiserver"), 1, "Deny")),
        ],
    )

scenario(
    "services-endpointslice-without-service",
    "§4.6 (a slice is found by its kubernetes.io/service-name label; no Service object is "
    "consulted: felix/serviceindex/serviceindex.go serviceName)",
    docs(
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: ext-db-abcde
          namespace: backend
          labels: {kubernetes.io/service-name: ext-db}
        addressType: IPv4
        endpoints: [{addresses: [203.0.113.5]}]
        ports: [{name: pg, port: 5432, protocol: TCP}, {name: all}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: api-to-ext-db, namespace: backend}
        spec:
          selector: app == 'api'
          types: [Egress]
          egress:
          - action: Allow
            destination: {services: {name: ext-db}}
        """,
    ),
    [
        allow(
            API1,
            "203.0.113.5",
            "5432/TCP",
            step("egress", "NetworkPolicy backend/api-to-ext-db", 0, "Allow"),
        ),
        # A slice port without a number gives no member (membersFromEndpointSlice).
        deny(API1, "203.0.113.5", "5433/TCP", eot("egress")),
        deny(API1, "203.0.113.6", "5432/TCP", eot("egress")),
    ],
)

scenario(
    "services-members-are-the-slice-not-the-selector",
    "§4.6 (members come from the EndpointSlices even when the Service has a selector)",
    docs(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: backend}
        spec:
          selector: {app: api}
          ports: [{name: http, port: 80, targetPort: 9090}]
        """,
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: api-1
          namespace: backend
          labels: {kubernetes.io/service-name: api}
        addressType: IPv4
        endpoints: [{addresses: [192.168.2.20]}]
        ports: [{name: http, port: 5432, protocol: TCP}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: web-to-api-service}
        spec:
          selector: app == 'web'
          types: [Egress]
          egress:
          - action: Allow
            destination: {services: {name: api, namespace: backend}}
        """,
    ),
    [
        allow(WEB1, DB1, "5432/TCP", step("egress", gnp("web-to-api-service"), 0, "Allow")),
        deny(WEB1, API1, "9090/TCP", eot("egress")),
    ],
)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_path_scenario(
    scenario: PathScenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = write_cluster(tmp_path, scenario.objects)
    failures: list[str] = []
    for pc in scenario.checks:
        doc = explain(cluster, pc.check, capsys)
        failures.extend(f"{pc.check.describe()}: {p}" for p in problems(doc, pc))
    assert not failures, f"{scenario.id} [{scenario.cite}]\n" + "\n".join(failures)


def test_table_shape() -> None:
    ids = [s.id for s in SCENARIOS]
    assert len(ids) == len(set(ids))
    for s in SCENARIOS:
        assert "§" in s.cite, s.id
        assert any(c.check.allowed for c in s.checks), f"{s.id}: no positive check"
        assert any(not c.check.allowed for c in s.checks), f"{s.id}: no negative check"
