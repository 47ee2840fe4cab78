"""Table-driven scenarios for service and node-level paths, run through ``posture explain``.

Same base cluster and helpers as ``test_scenarios.py`` (answers are the JSON document
``posture explain -o json`` prints). A check whose destination is a Service
address (ClusterIP, external IP, load-balancer address, or ``node:nodePort``) names the
endpoint ``via`` which its verdict is read: ``posture explain`` answers after DNAT, one verdict
per endpoint (calico-semantics §2.1, §4.8, §5.10).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.engine.conftest import Check, explain, scenario_snapshot, verdict_problems
from tests.engine.test_scenarios import (
    API1,
    DB1,
    EXT,
    N1,
    N2,
    WEB1,
    WEB2,
    docs,
    eot,
    felix,
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


# --- item: NodePorts, external IPs and load-balancer addresses after DNAT (§5.10, §4.8) -------


def web_service(extra: str = "") -> str:
    """Service frontend/web: NodePort 30080 → targetPort 8080 on web-1 (n1) and web-2 (n2)."""
    return f"""
        apiVersion: v1
        kind: Service
        metadata: {{name: web, namespace: frontend}}
        spec:
          type: NodePort
          selector: {{app: web}}
          clusterIP: 10.96.0.80
          externalIPs: [203.0.113.80]
          ports: [{{name: http, port: 80, targetPort: 8080, nodePort: 30080}}]
          {extra}
    """


def web_ingress(nets: str) -> str:
    return f"""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {{name: web-ingress}}
        spec:
          selector: app == 'web'
          types: [Ingress]
          ingress:
          - action: Allow
            source: {{nets: [{nets}]}}
          - action: Deny
    """


def host_policy(name: str, *, pre_dnat: bool = False, forward: bool = False) -> str:
    flags = "preDNAT: true\n          applyOnForward: true" if pre_dnat else ""
    if forward:
        flags = "applyOnForward: true"
    return f"""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {{name: {name}}}
        spec:
          selector: host == 'n1'
          order: 10
          {flags}
          types: [Ingress]
          ingress:
          - action: Deny
            source: {{nets: [198.51.100.0/24]}}
    """


N1_HEP = """
    apiVersion: projectcalico.org/v3
    kind: HostEndpoint
    metadata: {name: n1-eth0, labels: {host: n1}}
    spec: {node: n1, interfaceName: eth0, expectedIPs: [10.0.0.1]}
"""
WEB_1, WEB_2 = "pod frontend/web-1", "pod frontend/web-2"
NODEPORT = "30080/TCP"

scenario(
    "nodeport-backend-policy-decides-outside-traffic",
    "§5.10 (NodePort: DNAT by kube-proxy, the backend pod's ingress policy applies; "
    "externalTrafficPolicy Cluster SNATs to the node address for a remote backend), §4.8",
    docs(web_service(), web_ingress("192.168.0.0/16")),
    [
        deny(
            EXT,
            "10.0.0.1",
            NODEPORT,
            step("ingress", gnp("web-ingress"), 1, "Deny"),
            via=WEB_1,
            flows="TCP 8080",
            also=(step("service-nat", action="DNAT"),),
        ),
        deny(EXT, "10.0.0.1", NODEPORT, step("ingress", gnp("web-ingress"), 1, "Deny"), via=WEB_2),
        # A pod on n1 keeps its address to the local backend (masquerade comes after policy).
        allow(
            API1, "10.0.0.1", NODEPORT, step("ingress", gnp("web-ingress"), 0, "Allow"), via=WEB_1
        ),
        deny(API1, "10.0.0.1", NODEPORT, step("ingress", gnp("web-ingress"), 1, "Deny"), via=WEB_2),
    ],
)

scenario(
    "nodeport-cluster-policy-snat-to-node-address",
    "§4.8 (externalTrafficPolicy Cluster: the remote backend sees the first node's address; "
    "Local keeps the client's), §5.10",
    docs(web_service(), web_ingress("10.0.0.0/24")),
    [
        allow(
            EXT, "10.0.0.1", NODEPORT, step("ingress", gnp("web-ingress"), 0, "Allow"), via=WEB_2
        ),
        deny(EXT, "10.0.0.1", NODEPORT, step("ingress", gnp("web-ingress"), 1, "Deny"), via=WEB_1),
    ],
)

scenario(
    "nodeport-local-policy-keeps-client-address",
    "§4.8, §5.10 (externalTrafficPolicy Local: only local endpoints, client address kept)",
    docs(web_service("externalTrafficPolicy: Local"), web_ingress("198.51.100.0/24")),
    [
        allow(
            EXT, "10.0.0.1", NODEPORT, step("ingress", gnp("web-ingress"), 0, "Allow"), via=WEB_1
        ),
        deny(N2, "10.0.0.1", NODEPORT, step("ingress", gnp("web-ingress"), 1, "Deny"), via=WEB_1),
    ],
)

scenario(
    "nodeport-normal-hep-policy-does-not-apply",
    "§5.10 (NodePort traffic is forwarded after DNAT: normal host-endpoint policy does not "
    "apply), §5.4 (normal policy only for traffic to host processes)",
    docs(web_service(), N1_HEP, host_policy("n1-deny-outside")),
    [
        allow(
            EXT, "10.0.0.1", NODEPORT, step("ingress"), via=WEB_1, absent=(step("host-ingress"),)
        ),
        # The same policy does stop the node's own services.
        deny(EXT, "10.0.0.1", "10250/TCP", step("host-ingress", gnp("n1-deny-outside"), 0, "Deny")),
    ],
)

scenario(
    "nodeport-pre-dnat-hep-policy-applies",
    "§5.10 (restricting a NodePort at the node needs pre-DNAT policy, which sees the NodePort "
    "before translation), §5.4; D-NODEPORT",
    docs(web_service(), N1_HEP, host_policy("n1-pre-dnat", pre_dnat=True)),
    [
        deny(
            EXT,
            "10.0.0.1",
            NODEPORT,
            step("host-pre-dnat", gnp("n1-pre-dnat"), 0, "Deny"),
            via=WEB_1,
        ),
        deny(
            EXT,
            "10.0.0.1",
            NODEPORT,
            step("host-pre-dnat", gnp("n1-pre-dnat"), 0, "Deny"),
            via=WEB_2,
        ),
        # n2 has no host endpoint: its NodePort is open.
        allow(EXT, "10.0.0.2", NODEPORT, step("ingress"), via=WEB_2),
    ],
)

scenario(
    "nodeport-apply-on-forward-hep-policy-applies",
    "§5.4 (applyOnForward ingress policy of the arrival host endpoint governs forwarded "
    "traffic, after DNAT), §5.10",
    docs(web_service(), N1_HEP, host_policy("n1-forward", forward=True)),
    [
        deny(
            EXT,
            "10.0.0.1",
            NODEPORT,
            step("host-forward-ingress", gnp("n1-forward"), 0, "Deny"),
            via=WEB_1,
        ),
        allow(EXT, "10.0.0.2", NODEPORT, step("ingress"), via=WEB_2),
    ],
)

scenario(
    "external-ip-after-dnat",
    "§4.8 (external IPs are translated like ClusterIPs; pre-DNAT policy sees the external IP)",
    docs(web_service(), web_ingress("192.168.0.0/16")),
    [
        deny(
            EXT, "203.0.113.80", "80/TCP", step("ingress", gnp("web-ingress"), 1, "Deny"), via=WEB_1
        ),
        allow(
            API1,
            "203.0.113.80",
            "80/TCP",
            step("ingress", gnp("web-ingress"), 0, "Allow"),
            via=WEB_2,
        ),
    ],
)


# --- item: infrastructure traffic Calico always lets through (§5.11) --------------------------

N2_HEP_DENY_ALL = docs(
    """
    apiVersion: projectcalico.org/v3
    kind: HostEndpoint
    metadata: {name: n2-eth0, labels: {host: n2}}
    spec: {node: n2, interfaceName: eth0, expectedIPs: [10.0.0.2]}
    """,
    """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: n2-deny-all}
    spec:
      selector: host == 'n2'
      types: [Ingress, Egress]
      ingress: [{action: Deny}]
      egress: [{action: Deny}]
    """,
)


def pool(mode: str) -> str:
    return f"""
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {{name: default-ipv4-ippool}}
        spec: {{cidr: 192.168.0.0/16, natOutgoing: true, {mode}}}
    """


INFRA = step("infrastructure", action="Allow")
N2_DENY_IN = step("host-ingress", gnp("n2-deny-all"), 0, "Deny")
N2_DENY_OUT = step("host-egress", gnp("n2-deny-all"), 0, "Deny")

scenario(
    "infrastructure-vxlan-between-nodes",
    "§5.11 (VXLAN UDP 4789 between Calico nodes is accepted before host-endpoint policy; "
    "felix/rules/static.go filterInputChain)",
    docs(pool("vxlanMode: Always"), N2_HEP_DENY_ALL),
    [
        allow(N1, N2, "4789/UDP", INFRA),
        deny(EXT, N2, "4789/UDP", N2_DENY_IN),  # only from Calico nodes
        deny(N1, N2, "4790/UDP", N2_DENY_IN),
    ],
)

scenario(
    "infrastructure-no-overlay-no-exception",
    "§5.11 (the VXLAN exception exists only while a pool uses VXLAN)",
    docs(N2_HEP_DENY_ALL, felix("{}")),
    [
        deny(N1, N2, "4789/UDP", N2_DENY_IN),
        allow(N1, N2, "22/TCP", step("failsafe", action="Allow")),
    ],
)

scenario(
    "infrastructure-wireguard-in-and-out",
    "§5.11 (WireGuard UDP 51820 to local addresses and from them, any peer; "
    "felix/rules/static.go FilterInputChainAllowWG, filterOutputChain), §6.1",
    docs(N2_HEP_DENY_ALL, felix("{wireguardEnabled: true}")),
    [
        allow(EXT, N2, "51820/UDP", INFRA),
        allow(N2, EXT, "51820/UDP", INFRA),
        deny(EXT, N2, "51822/UDP", N2_DENY_IN),
        deny(N2, EXT, "51822/UDP", N2_DENY_OUT),
    ],
)


# --- item: untracked (doNotTrack) policy needs its replies allowed (§5.5) ---------------------

N2_HEP = """
    apiVersion: projectcalico.org/v3
    kind: HostEndpoint
    metadata: {name: n2-eth0, labels: {host: n2}}
    spec:
      node: n2
      interfaceName: eth0
      expectedIPs: [10.0.0.2]
      profiles: [projectcalico-default-allow]
"""


def untracked(ingress: str, egress: str) -> str:
    return f"""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {{name: n2-untracked}}
        spec:
          selector: host == 'n2'
          doNotTrack: true
          applyOnForward: true
          types: [Ingress, Egress]
          ingress: {ingress}
          egress: {egress}
    """


SERVE_8443 = "[{action: Allow, protocol: TCP, destination: {ports: [8443, 9443]}}]"
REPLY_8443 = "[{action: Allow, protocol: TCP, source: {ports: [8443]}}]"
CALL_443 = "[{action: Allow, protocol: TCP, destination: {ports: [443, 8080]}}]"
REPLY_443 = "[{action: Allow, protocol: TCP, source: {ports: [443]}}]"
UNTRACKED = gnp("n2-untracked")
NO_REPLY = step("host-untracked", action="Deny", note="doNotTrack")

scenario(
    "untracked-inbound-without-reply-rule",
    "§5.5 (untracked policy: no connection tracking, replies need untracked policy of their "
    "own; the raw-table failsafe chains accept failsafe replies), §5.4",
    docs(N2_HEP, untracked(SERVE_8443, "[]")),
    [
        deny(N1, N2, "8443/TCP", NO_REPLY, also=(step("host-untracked", UNTRACKED, 0, "Allow"),)),
        # Failsafe ports never meet the untracked stage, and their replies are accepted.
        allow(N1, N2, "22/TCP", step("failsafe", action="Allow")),
        # Not allowed by untracked policy: tracked as usual, the profile allows it.
        allow(N1, N2, "8444/TCP", step("host-ingress", action="Allow (profile)")),
    ],
)

scenario(
    "untracked-inbound-with-reply-rule",
    "§5.5 (the reply, from the served port, allowed by untracked egress policy)",
    docs(N2_HEP, untracked(SERVE_8443, REPLY_8443)),
    [
        allow(N1, N2, "8443/TCP", step("host-untracked", UNTRACKED, 0, "Allow")),
        deny(N1, N2, "9443/TCP", NO_REPLY),
    ],
)

scenario(
    "untracked-outbound-needs-inbound-reply-rule",
    "§5.5 (host-originated untracked traffic: the reply arrives and needs untracked ingress "
    "policy)",
    docs(N2_HEP, untracked("[]", CALL_443)),
    [
        deny(N2, EXT, "443/TCP", NO_REPLY),
        allow(N2, EXT, "444/TCP", step("host-egress", action="Allow (profile)")),
    ],
)

scenario(
    "untracked-outbound-with-reply-rule",
    "§5.5 (the reply, from port 443, allowed by untracked ingress policy)",
    docs(N2_HEP, untracked(REPLY_443, CALL_443)),
    [
        allow(N2, EXT, "443/TCP", step("host-untracked", UNTRACKED, 0, "Allow")),
        deny(N2, EXT, "8080/TCP", NO_REPLY),
    ],
)


# --- item: host endpoint addresses (§4.5, §5.1) ----------------------------------------------


def n1_hep(name: str, iface: str, ips: str) -> str:
    return f"""
        apiVersion: projectcalico.org/v3
        kind: HostEndpoint
        metadata: {{name: {name}, labels: {{host: n1}}}}
        spec: {{node: n1, interfaceName: {iface}, {ips}}}
    """


N1_DENY_OUTSIDE = """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: n1-deny-outside}
    spec:
      selector: host == 'n1'
      types: [Ingress]
      ingress:
      - action: Deny
        source: {nets: [198.51.100.0/24]}
      - action: Allow
"""
N1_DENIES = step("host-ingress", gnp("n1-deny-outside"), 0, "Deny")
ASSUMED = step("assumption", action="Assumed", note="no expectedIPs: taken to carry 10.0.0.1")

scenario(
    "hep-expected-ips-are-node-addresses",
    "§5.1 (a host endpoint governs the interface holding its expectedIPs), §4.5 (expectedIPs "
    "are the endpoint's addresses): an address only a HostEndpoint names is its node's",
    docs(n1_hep("n1-eth1", "eth1", "expectedIPs: [10.0.1.1]"), N1_DENY_OUTSIDE),
    [
        deny(EXT, "10.0.1.1", "10250/TCP", N1_DENIES, absent=(step("assumption"),)),
        allow(EXT, "10.0.1.1", "22/TCP", step("failsafe", action="Allow")),
        allow(
            WEB2, "10.0.1.1", "10250/TCP", step("host-ingress", gnp("n1-deny-outside"), 1, "Allow")
        ),
    ],
)

scenario(
    "hep-named-interface-without-expected-ips-is-an-assumption",
    "§5.1, §4.5 (a HEP without expectedIPs does not say which addresses it carries: the "
    "verdict that takes the node's InternalIP for it says so)",
    docs(n1_hep("n1-eth0", "eth0", "expectedIPs: []"), N1_DENY_OUTSIDE),
    [
        deny(EXT, N1, "10250/TCP", N1_DENIES, also=(ASSUMED,)),
        allow(
            WEB2,
            N1,
            "10250/TCP",
            step("host-ingress", gnp("n1-deny-outside"), 1, "Allow"),
            also=(ASSUMED,),
        ),
    ],
)

scenario(
    "hep-with-expected-ips-needs-no-assumption",
    "§5.1 (expectedIPs tie the endpoint to the address)",
    docs(n1_hep("n1-eth0", "eth0", "expectedIPs: [10.0.0.1]"), N1_DENY_OUTSIDE),
    [
        deny(EXT, N1, "10250/TCP", N1_DENIES, absent=(step("assumption"),)),
        allow(
            WEB2,
            N1,
            "10250/TCP",
            step("host-ingress", gnp("n1-deny-outside"), 1, "Allow"),
            absent=(step("assumption"),),
        ),
    ],
)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_path_scenario(scenario: PathScenario) -> None:
    snapshot = scenario_snapshot(scenario.objects, None)
    failures: list[str] = []
    for pc in scenario.checks:
        doc = explain(snapshot, pc.check)
        failures.extend(f"{pc.check.describe()}: {p}" for p in problems(doc, pc))
    assert not failures, f"{scenario.id} [{scenario.cite}]\n" + "\n".join(failures)


def test_table_shape() -> None:
    ids = [s.id for s in SCENARIOS]
    assert len(ids) == len(set(ids))
    for s in SCENARIOS:
        assert "§" in s.cite, s.id
        assert any(c.check.allowed for c in s.checks), f"{s.id}: no positive check"
        assert any(not c.check.allowed for c in s.checks), f"{s.id}: no negative check"
