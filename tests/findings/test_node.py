"""Node exposure: PST-NODE-001 … PST-NODE-006 (calico-semantics §5)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from posture.findings.model import Finding, Severity
from tests.findings.conftest import CheckFn, LoadFn, because, of, one, path_of, run_check, subjects
from tests.support.builders import N1, N2, Obj, felix, gnp, host_endpoint, namespace, pod

ALL_PODS = "projectcalico.org/orchestrator == 'k8s'"
AUTO_HEP: Obj = {
    "apiVersion": "projectcalico.org/v3",
    "kind": "KubeControllersConfiguration",
    "metadata": {"name": "default"},
    "spec": {"controllers": {"node": {"hostEndpoint": {"autoCreate": "Enabled"}}}},
}


def egress_only(name: str, protocol: str, port: int, selector: str = ALL_PODS) -> Obj:
    """Pods selected may open only ``protocol port`` connections (anything else hits the
    default tier's end-of-tier deny)."""
    return gnp(
        name,
        selector=selector,
        types=["Egress"],
        egress=[{"action": "Allow", "protocol": protocol, "destination": {"ports": [port]}}],
    )


def relation(rel: str) -> Callable[[Finding], bool]:
    return lambda f: f.path is not None and f.path.relation == rel


# --- PST-NODE-001: restricted pod → node paths that still reach named node services -------------


@pytest.mark.parametrize(
    ("protocol", "port", "service", "severity"),
    [
        ("TCP", 10250, "kubelet API", Severity.CRITICAL),
        ("TCP", 2379, "etcd", Severity.CRITICAL),
        ("TCP", 10249, "kube-proxy", Severity.HIGH),
        ("TCP", 5473, "Calico Typha", Severity.HIGH),
        ("TCP", 179, "BGP (BIRD)", Severity.HIGH),
        ("TCP", 22, "SSH", Severity.HIGH),
        ("TCP", 6666, "legacy etcd", Severity.HIGH),
        ("TCP", 9099, "Calico/Felix metrics and health", Severity.MEDIUM),
        ("UDP", 4789, "VXLAN", Severity.MEDIUM),
        ("UDP", 51820, "WireGuard", Severity.LOW),
        ("TCP", 6443, "Kubernetes API server", Severity.INFO),
    ],
)
def test_node_001_names_the_service_and_rates_it(
    check: CheckFn, protocol: str, port: int, service: str, severity: Severity
) -> None:
    report = check(egress_only("allow-one-port", protocol, port))
    own = one(report, "PST-NODE-001", relation("same-node"))
    other = one(report, "PST-NODE-001", relation("other-node"))
    for f in (own, other):
        assert f.severity is severity
        assert service in f.title
        assert f"{service} [{protocol} {port}]" in f.message
        assert "pods a/app-1, b/db-1" in f.message
        assert f.count == 2
        assert {"Node n1", "Node n2"} <= subjects(f)
        assert "GlobalNetworkPolicy allow-one-port rule 0 → Allow" in because(f)
    assert "(own node)" in own.title
    assert "DefaultEndpointToHostAction ACCEPT" in because(own)
    assert "(other nodes)" in other.title
    assert "no host endpoint on this node" in because(other)
    # Restricted paths are PST-NODE-001's; PST-NODE-002 is for unrestricted ones.
    assert not of(report, "PST-NODE-002")


def test_node_001_not_for_a_port_no_node_service_uses(check: CheckFn) -> None:
    report = check(egress_only("allow-one-port", "TCP", 8080))
    assert not of(report, "PST-NODE-001")
    assert not of(report, "PST-NODE-002")


def test_node_001_not_when_pods_may_not_reach_node_addresses(check: CheckFn) -> None:
    deny_nodes = gnp(
        "no-nodes",
        order=10,
        selector=ALL_PODS,
        types=["Egress"],
        egress=[{"action": "Deny", "destination": {"nets": ["10.0.0.0/24"]}}],
    )
    report = check(egress_only("allow-one-port", "TCP", 10250), deny_nodes)
    assert not of(report, "PST-NODE-001")


def test_node_001_own_node_closed_by_endpoint_to_host_drop(check: CheckFn) -> None:
    report = check(
        egress_only("allow-one-port", "TCP", 10250), felix(defaultEndpointToHostAction="Drop")
    )
    assert not [f for f in of(report, "PST-NODE-001") if relation("same-node")(f)]
    other = one(report, "PST-NODE-001", relation("other-node"))
    assert other.severity is Severity.CRITICAL


HOST_AGENT = [
    namespace("kube-system"),
    pod(
        "kube-system",
        "agent-n1",
        "n1",
        N1,
        {"app": "agent"},
        ports=[{"containerPort": 8443}],
        host_network=True,
    ),
]


def test_node_001_names_host_network_listeners(check: CheckFn) -> None:
    report = check(*HOST_AGENT, egress_only("allow-8443", "TCP", 8443))
    f = one(report, "PST-NODE-001", relation("same-node"))
    assert f.severity is Severity.HIGH
    assert "hostNetwork pod kube-system/agent-n1 port 8443 [TCP 8443]" in f.message


def test_node_001_no_listener_no_finding(check: CheckFn) -> None:
    """The same pod without the container port: 8443 is nothing on the node."""
    agent = pod("kube-system", "agent-n1", "n1", N1, {"app": "agent"}, host_network=True)
    report = check(namespace("kube-system"), agent, egress_only("allow-8443", "TCP", 8443))
    assert not of(report, "PST-NODE-001")


def test_node_001_host_network_listener_only_where_it_runs(check: CheckFn) -> None:
    """The listener runs on n1 only. With DefaultEndpointToHostAction Drop, a/app-1 (on n1)
    cannot reach it at all: its own node drops the packet and its other node (n2) does not run
    it. Only b/db-1 (on n2) reaches it, across nodes."""
    report = check(
        *HOST_AGENT,
        egress_only("allow-8443", "TCP", 8443),
        felix(defaultEndpointToHostAction="Drop"),
    )
    f = one(report, "PST-NODE-001", relation("other-node"))
    assert f.count == 1
    assert f.message.startswith("pod b/db-1 can reach hostNetwork pod kube-system/agent-n1")
    assert "pod b/db-1" in because(f)


# --- PST-NODE-002: unrestricted pod → node -----------------------------------------------------


def test_node_002_no_policy_opens_every_node_port(check: CheckFn) -> None:
    report = check()
    own = one(report, "PST-NODE-002", relation("same-node"))
    other = one(report, "PST-NODE-002", relation("other-node"))
    for f in (own, other):
        # Every port includes kubelet and etcd: the finding carries their severity.
        assert f.severity is Severity.CRITICAL
        assert path_of(f).protocols == "all traffic"
        assert "can open any connection (every protocol and port)" in f.message
        assert "kubelet API" in f.message
        assert f.count == 2
        assert "Profile kns.a rule 0 → Allow" in because(f)
    assert "DefaultEndpointToHostAction accepts it" in own.message
    assert "the nodes have no host endpoints" in other.message


def test_node_002_reason_names_host_endpoint_policy(check: CheckFn) -> None:
    report = check(AUTO_HEP)
    other = one(report, "PST-NODE-002", relation("other-node"))
    assert "the nodes' host-endpoint policy let it through" in other.message
    assert "Profile projectcalico-default-allow" in because(other)


def test_node_002_endpoint_to_host_drop_closes_own_node(check: CheckFn) -> None:
    report = check(felix(defaultEndpointToHostAction="Drop"))
    assert not [f for f in of(report, "PST-NODE-002") if relation("same-node")(f)]
    one(report, "PST-NODE-002", relation("other-node"))


def test_node_002_not_when_egress_denies_node_addresses(check: CheckFn) -> None:
    deny_nodes = gnp(
        "no-nodes",
        selector=ALL_PODS,
        types=["Egress"],
        egress=[
            {"action": "Deny", "destination": {"nets": ["10.0.0.0/24"]}},
            {"action": "Allow"},
        ],
    )
    report = check(deny_nodes)
    assert not of(report, "PST-NODE-002")
    assert not of(report, "PST-NODE-001")


# --- PST-NODE-003: nodes without host endpoints -------------------------------------------------


def test_node_003_no_host_endpoint_anywhere(check: CheckFn) -> None:
    f = one(check(), "PST-NODE-003")
    assert f.severity is Severity.HIGH
    assert f.message.startswith("None of the 2 nodes has host endpoint")
    assert subjects(f) == {"Node n1", "Node n2"}
    assert f.count == 2


def test_node_003_names_only_the_bare_node(check: CheckFn) -> None:
    f = one(check(host_endpoint("n2-eth0", "n2", N2)), "PST-NODE-003")
    assert "1 of 2 nodes (n1) have no host endpoint" in f.message
    assert subjects(f) == {"Node n1"}
    assert f.count == 1


def test_node_003_not_with_automatic_host_endpoints(check: CheckFn) -> None:
    assert not of(check(AUTO_HEP), "PST-NODE-003")


def test_node_003_not_without_calico(load: LoadFn) -> None:
    """A live cluster that does not serve the Calico API: host endpoints cannot exist there,
    and posture says nothing about them."""
    snapshot = dataclasses.replace(load(), calico_present=False)
    assert not of(run_check(snapshot), "PST-NODE-003")


# --- PST-NODE-004: failsafe ports under a host-endpoint deny ------------------------------------


def test_node_004_failsafe_ports_open_under_default_deny_hep(check: CheckFn) -> None:
    """n2 has a host endpoint and no policy for it: everything is denied except the failsafe
    ports, which stay open to pods on other nodes and to the outside."""
    f = one(check(host_endpoint("n2-eth0", "n2", N2)), "PST-NODE-004")
    assert f.severity is Severity.HIGH
    assert subjects(f) == {"Node n2"}
    assert f.message.startswith("node n2: host-endpoint policy denies TCP 22,179,2379-2380,")
    assert "UDP 68" in f.message
    assert "outside the cluster" in f.message
    assert "world" not in f.message
    assert "a: (no selected labels)" in f.message
    assert "inbound failsafe port: host-endpoint policy cannot block it" in because(f)


def test_node_004_not_when_failsafe_ports_are_removed(check: CheckFn) -> None:
    report = check(host_endpoint("n2-eth0", "n2", N2), felix(failsafeInboundHostPorts=[]))
    assert not of(report, "PST-NODE-004")


def test_node_004_not_when_no_host_endpoint_policy_denies(check: CheckFn) -> None:
    """Automatic host endpoints carry the projectcalico-default-allow profile and no policy
    selects them: nothing is denied, so the failsafe ports open nothing extra (§5.3, §5.5)."""
    assert not of(check(AUTO_HEP), "PST-NODE-004")


def test_node_004_not_when_host_endpoint_policy_allows_everything(check: CheckFn) -> None:
    allow_all = gnp(
        "hep-allow", selector="role == 'worker'", types=["Ingress"], ingress=[{"action": "Allow"}]
    )
    report = check(host_endpoint("n2-eth0", "n2", N2, role="worker"), allow_all)
    assert not of(report, "PST-NODE-004")


# --- PST-NODE-005: hostPort ---------------------------------------------------------------------


def web(host_port: int | None, protocol: str = "TCP") -> Obj:
    port: Obj = {"name": "http", "containerPort": 8080, "protocol": protocol}
    if host_port:
        port["hostPort"] = host_port
    return pod("a", "app-1", "n1", "10.244.1.10", {"app": "app"}, ports=[port])


@pytest.mark.parametrize("protocol", ["TCP", "UDP"])
def test_node_005_host_port_open_to_the_world(check: CheckFn, protocol: str) -> None:
    f = one(check(web(80, protocol)), "PST-NODE-005")
    assert f.severity is Severity.MEDIUM
    assert subjects(f) == {"Pod a/app-1"}
    assert f.message == (
        "Pod a/app-1 maps hostPort 80 to port 8080; anyone outside the cluster can reach it at "
        "10.0.0.1:80."
    )
    assert path_of(f).protocols == f"{protocol} 8080"
    assert "Profile kns.a rule 0 → Allow" in because(f)


def test_node_005_evidence_names_the_allowing_policy(check: CheckFn) -> None:
    allow = gnp(
        "web",
        selector="app == 'app'",
        types=["Ingress"],
        ingress=[{"action": "Allow", "protocol": "TCP", "destination": {"ports": [8080]}}],
    )
    f = one(check(web(80), allow), "PST-NODE-005")
    assert "GlobalNetworkPolicy web rule 0 → Allow" in because(f)


def test_node_005_not_without_host_port(check: CheckFn) -> None:
    assert not of(check(web(None)), "PST-NODE-005")


def test_node_005_not_when_ingress_admits_only_the_cluster(check: CheckFn) -> None:
    cluster_only = gnp(
        "cluster-only",
        selector="app == 'app'",
        types=["Ingress"],
        ingress=[{"action": "Allow", "source": {"nets": ["10.0.0.0/8"]}}],
    )
    assert not of(check(web(80), cluster_only), "PST-NODE-005")


# --- PST-NODE-006: node services reachable from outside the cluster ------------------------------


def test_node_006_nodes_without_host_endpoints_are_open_to_the_world(check: CheckFn) -> None:
    report = check()
    found = of(report, "PST-NODE-006")
    assert found
    f = found[0]
    assert f.severity is Severity.CRITICAL  # kubelet and etcd ports among them
    assert "kubelet API [TCP 10250]" in f.message
    assert f.message.startswith("Addresses outside the cluster can reach")
    assert "no host endpoint" in because(f)


def test_node_006_api_server_alone_from_outside_is_medium_not_info(check: CheckFn) -> None:
    """A host endpoint whose policy admits only TCP 6443, with failsafes off."""
    hep = host_endpoint("n2-eth0", "n2", N2, role="node")
    only_api = gnp(
        "api-only",
        selector="role == 'node'",
        types=["Ingress"],
        ingress=[{"action": "Allow", "protocol": "TCP", "destination": {"ports": [6443]}}],
    )
    report = check(hep, only_api, felix(failsafeInboundHostPorts=[]))
    (f,) = [x for x in of(report, "PST-NODE-006") if "node n2" in x.message]
    assert f.severity is Severity.MEDIUM
    assert "Kubernetes API server [TCP 6443]" in f.message


def test_node_006_not_when_host_endpoints_deny_and_failsafes_are_off(check: CheckFn) -> None:
    heps = [host_endpoint("n1-eth0", "n1", N1), host_endpoint("n2-eth0", "n2", N2)]
    report = check(*heps, felix(failsafeInboundHostPorts=[]))
    assert not of(report, "PST-NODE-006")
