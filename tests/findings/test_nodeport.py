"""Services exposed outside the cluster through their nodes: PST-NODE-007.

A NodePort, external IP or load-balancer address is translated by kube-proxy to a backend, and
policy decides there (calico-semantics §5.10, §4.8, §2.1; docs
``network-policy/services/kubernetes-node-ports``; kubernetes ``pkg/proxy/iptables/proxier.go``):
the arrival host endpoint's pre-DNAT policy sees the NodePort, normal host-endpoint policy never
does (the packet is forwarded, §5.4), and the backend's ingress policy decides. So the finding
names the Service and the backends that accept, never "the NodePort range" of the node.
"""

from __future__ import annotations

from typing import Any

from posture.findings.model import Severity
from tests.findings.conftest import CheckFn, because, of, one, path_of, subjects
from tests.support.builders import HTTP, N1, N2, Obj, gnp, host_endpoint, namespace, node, pod

WEB: list[Obj] = [
    namespace("web"),
    pod("web", "web-1", "n1", "10.244.1.20", {"app": "web"}, ports=[HTTP]),
    pod("web", "web-2", "n2", "10.244.2.20", {"app": "web"}, ports=[HTTP]),
]


def web_service(**spec: Any) -> Obj:
    """web/web: NodePort 30080 → the pods' port ``http`` (8080)."""
    body: dict[str, Any] = {
        "type": "NodePort",
        "selector": {"app": "web"},
        "clusterIP": "10.96.0.80",
        "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}],
    }
    body.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "web"},
        "spec": body,
    }


def web_ingress(*nets: str) -> Obj:
    """The web pods accept connections from ``nets`` only (then the end-of-tier deny)."""
    return gnp(
        "web-ingress",
        selector="app == 'web'",
        types=["Ingress"],
        ingress=[{"action": "Allow", "source": {"nets": list(nets)}}],
    )


HEPS: list[Obj] = [
    host_endpoint("n1-eth0", "n1", N1, host="n1"),
    host_endpoint("n2-eth0", "n2", N2, host="n2"),
]


def host_deny_outside(name: str, **flags: bool) -> Obj:
    """Host-endpoint ingress policy of both nodes: deny everything but the nodes and the pod
    pool (``flags``: preDNAT / applyOnForward)."""
    return gnp(
        name,
        selector="has(host)",
        order=10,
        types=["Ingress"],
        ingress=[
            {"action": "Allow", "source": {"nets": [f"{N1}/32", f"{N2}/32", "10.244.0.0/16"]}},
            {"action": "Deny"},
        ],
        **flags,
    )


def exposed(report: Any) -> list[Any]:
    return of(report, "PST-NODE-007")


def test_backend_denying_outside_traffic_means_no_exposure(check: CheckFn) -> None:
    """§5.10: the backend's ingress policy decides NodePort traffic after DNAT. Pods-only
    ingress (the pool) denies outside clients, and the node address a remote backend sees with
    externalTrafficPolicy Cluster (§4.8) too."""
    report = check(*WEB, web_service(), web_ingress("10.244.0.0/16"))
    assert not exposed(report)
    # The NodePort is no port of the node itself: never listed as a node service.
    assert not [f for f in report.findings if "NodePort range" in f.message + f.title]


def test_only_normal_host_policy_leaves_the_nodeport_to_the_backends(check: CheckFn) -> None:
    """§5.4, §5.10: normal host-endpoint policy (neither preDNAT nor applyOnForward) never sees
    forwarded NodePort traffic; the backends' own policy (here: allow all) decides. The same
    policy does close the node's own ports (PST-NODE-006 lists no NodePort range)."""
    allow_all = gnp(
        "web-ingress", selector="app == 'web'", types=["Ingress"], ingress=[{"action": "Allow"}]
    )
    report = check(*WEB, *HEPS, web_service(), allow_all, host_deny_outside("nodes-closed"))
    f = one(report, "PST-NODE-007")
    assert f.severity is Severity.MEDIUM
    assert f.title.endswith("Service web/web (NodePort)")
    assert "Any address outside the cluster can open connections to Service web/web" in f.message
    assert "NodePort 30080/TCP of every node" in f.message
    assert "backends web/web-1, web/web-2 accept them" in f.message
    assert {"Service web/web", "Pod web/web-1", "Pod web/web-2"} == subjects(f)
    assert f.count == 2
    text = because(f)
    assert "[service-nat] Service web/web: → DNAT" in text
    assert "GlobalNetworkPolicy web-ingress rule 0 → Allow" in text
    assert "nodes-closed" not in text  # never a normal host-policy step on the path
    assert path_of(f).protocols == "30080/TCP"
    assert not [g for g in of(report, "PST-NODE-006") if "NodePort range" in g.message]


def test_pre_dnat_host_policy_denying_the_nodeport_means_no_exposure(check: CheckFn) -> None:
    """§5.10, §5.4 (D-NODEPORT): restricting a NodePort at the node takes preDNAT policy
    (with applyOnForward), which sees the NodePort before translation."""
    allow_all = gnp(
        "web-ingress", selector="app == 'web'", types=["Ingress"], ingress=[{"action": "Allow"}]
    )
    pre_dnat = host_deny_outside("nodes-pre-dnat", preDNAT=True, applyOnForward=True)
    assert not exposed(check(*WEB, *HEPS, web_service(), allow_all, pre_dnat))
    # On one node only: the other node's NodePort still lets the world in, to both backends.
    n1_only = dict(pre_dnat, spec=dict(pre_dnat["spec"], selector="host == 'n1'"))
    f = one(check(*WEB, *HEPS, web_service(), allow_all, n1_only), "PST-NODE-007")
    assert "NodePort 30080/TCP of node n2;" in f.message
    assert "backends web/web-1, web/web-2 accept them" in f.message


def test_apply_on_forward_host_policy_decides_forwarded_nodeport_traffic(check: CheckFn) -> None:
    """§5.4: applyOnForward ingress policy of the arrival host endpoint applies to the
    forwarded (DNATed) packet."""
    allow_all = gnp(
        "web-ingress", selector="app == 'web'", types=["Ingress"], ingress=[{"action": "Allow"}]
    )
    forward = host_deny_outside("nodes-forward", applyOnForward=True)
    assert not exposed(check(*WEB, *HEPS, web_service(), allow_all, forward))


def test_cluster_policy_reaches_remote_backends_from_the_node_address(check: CheckFn) -> None:
    """§4.8: with externalTrafficPolicy Cluster a backend on another node sees the forwarding
    node's address. A backend admitting the node subnet only is reached that way, from any
    node but its own."""
    report = check(*WEB, web_service(), web_ingress("10.0.0.0/24"))
    f = one(report, "PST-NODE-007")
    assert f.severity is Severity.MEDIUM
    assert f.message.startswith("Addresses outside the cluster that no policy names can open")
    assert "NodePort 30080/TCP of every node" in f.message
    assert "backends web/web-1, web/web-2 accept them" in f.message
    assert "web-ingress rule 0 → Allow" in because(f)
    # Local keeps the client's address and sends only to local endpoints: the internet is
    # no longer let in, only the rest of the node subnet (private: low).
    local = check(*WEB, web_service(externalTrafficPolicy="Local"), web_ingress("10.0.0.0/24"))
    (g,) = exposed(local)
    assert g.severity is Severity.LOW
    assert g.message.startswith("Addresses outside the cluster in 10.0.0.0 – 10.0.0.255 can")


def test_local_policy_exposes_only_nodes_with_an_accepting_backend(check: CheckFn) -> None:
    """§4.8, §5.10: externalTrafficPolicy Local: only nodes running an endpoint answer."""
    only_web_1 = gnp(
        "web-1-open",
        selector="app == 'web'",
        types=["Ingress"],
        ingress=[{"action": "Allow", "destination": {"nets": ["10.244.1.0/24"]}}],
    )
    report = check(*WEB, web_service(externalTrafficPolicy="Local"), only_web_1)
    f = one(report, "PST-NODE-007")
    assert "NodePort 30080/TCP of node n1;" in f.message
    assert "backend web/web-1 accepts them; 1 of its 2 backends do not" in f.message


def test_private_range_only_is_low(check: CheckFn) -> None:
    """Reach from a private range a policy names only (RFC 1918) is one step lower."""
    report = check(*WEB, web_service(externalTrafficPolicy="Local"), web_ingress("192.168.0.0/16"))
    f = one(report, "PST-NODE-007")
    assert f.severity is Severity.LOW
    assert f.message.startswith("Addresses outside the cluster in 192.168.0.0/16 can open")


def test_external_ip_is_a_front_of_its_own(check: CheckFn) -> None:
    """§4.8: an external IP is translated like the ClusterIP; the connection is taken to
    arrive at the endpoint's node (docs/semantics.md §6)."""
    svc = web_service(type="ClusterIP", externalIPs=["203.0.113.80"])
    del svc["spec"]["ports"][0]["nodePort"]
    allow_all = gnp(
        "web-ingress", selector="app == 'web'", types=["Ingress"], ingress=[{"action": "Allow"}]
    )
    report = check(*WEB, svc, allow_all)
    f = one(report, "PST-NODE-007")
    assert f.title.endswith("(external IP)")
    assert "on its external IP 203.0.113.80:80/TCP" in f.message
    assert "backends web/web-1, web/web-2 accept them" in f.message
    assert "[service-nat] Service web/web: → DNAT (203.0.113.80:80/TCP → 8080" in because(f)


def test_a_nodeport_not_allocated_yet_is_the_whole_range(check: CheckFn) -> None:
    """A NodePort Service from manifests often names no nodePort: the API server allocates one
    in 30000-32767 (kube-apiserver --service-node-port-range)."""
    svc = web_service()
    del svc["spec"]["ports"][0]["nodePort"]
    allow_all = gnp(
        "web-ingress", selector="app == 'web'", types=["Ingress"], ingress=[{"action": "Allow"}]
    )
    f = one(check(*WEB, svc, allow_all), "PST-NODE-007")
    assert "NodePort 30000-32767 (not allocated yet)/TCP of every node" in f.message


def test_clusterip_service_is_not_exposed(check: CheckFn) -> None:
    svc = web_service(type="ClusterIP")
    del svc["spec"]["ports"][0]["nodePort"]
    assert not exposed(check(*WEB, svc))


def test_pods_reaching_the_nodeport_range_is_no_node_service(check: CheckFn) -> None:
    """Pods allowed to a port of the NodePort range on node addresses reach a Service's
    backends after DNAT (§5.10), not a service of the node: PST-NODE-001 names none."""
    only_30080 = gnp(
        "egress-30080",
        selector="projectcalico.org/orchestrator == 'k8s'",
        types=["Egress"],
        egress=[{"action": "Allow", "protocol": "TCP", "destination": {"ports": [30080]}}],
    )
    assert not of(check(*WEB, web_service(), only_30080), "PST-NODE-001")


def test_load_balancer_address_and_its_node_ports(check: CheckFn) -> None:
    """A LoadBalancer Service: its status.loadBalancer.ingress address is translated like an
    external IP (§4.8), and its NodePorts are open on every node as a NodePort Service's; one
    finding per front. Without NodePorts (allocateLoadBalancerNodePorts: false) only the
    address."""
    allow_all = gnp(
        "web-ingress", selector="app == 'web'", types=["Ingress"], ingress=[{"action": "Allow"}]
    )
    lb = dict(
        web_service(type="LoadBalancer"),
        status={"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}},
    )
    report = check(*WEB, lb, allow_all)
    assert sorted(f.title.split(": ", 1)[1] for f in exposed(report)) == [
        "Service web/web (NodePort)",
        "Service web/web (load-balancer address)",
    ]
    address = one(report, "PST-NODE-007", lambda f: f.title.endswith("(load-balancer address)"))
    assert "on its load-balancer address 203.0.113.9:80/TCP" in address.message
    without = dict(
        lb, spec=dict(lb["spec"], ports=[{"name": "http", "port": 80, "targetPort": "http"}])
    )
    only = exposed(check(*WEB, without, allow_all))
    assert [f.title.split(": ", 1)[1] for f in only] == ["Service web/web (load-balancer address)"]


def test_ipv6_nodeport_reaches_ipv6_backends_only(check: CheckFn) -> None:
    """kube-proxy translates within one address family (a NodePort on an IPv6 node address
    goes to IPv6 endpoints): the IPv6 node's NodePort exposes the IPv6 backend, the IPv4
    nodes' NodePorts never reach it."""
    n3 = node("n3", "10.0.0.3")
    n3["metadata"]["annotations"] = {"projectcalico.org/IPv6Address": "fd00::3/64"}
    n3["status"]["addresses"] = [{"type": "InternalIP", "address": "fd00::3"}]
    web6 = pod("web", "web-6", "n3", "fd00:244::6", {"app": "web6"}, ports=[HTTP])
    svc = web_service(selector={"app": "web6"})
    allow_all = gnp(
        "web-ingress", selector="app == 'web6'", types=["Ingress"], ingress=[{"action": "Allow"}]
    )
    f = one(check(namespace("web"), n3, web6, svc, allow_all), "PST-NODE-007")
    assert "NodePort 30080/TCP of node n3;" in f.message
    assert "backend web/web-6 accepts them" in f.message
    assert "[service-nat] Service web/web: → DNAT (fd00::3:30080/TCP" in because(f)
