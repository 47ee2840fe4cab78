"""A verdict that rests on an assumption says so in the finding's message, not only in its
evidence: a host endpoint that names an interface but no ``expectedIPs`` does not tell which
addresses it carries, and posture takes it to carry the node's address (calico-semantics §5.1,
§4.5; Calico ``api/pkg/apis/projectcalico/v3/hostendpoint.go``: expectedIPs are what other
rules' selectors match; docs/semantics.md §6).
"""

from __future__ import annotations

from typing import Any

from posture.findings.model import Finding
from tests.findings.conftest import CheckFn, because, one, titled
from tests.findings.test_default_deny import API_SERVER
from tests.findings.test_nodeport import WEB, web_service
from tests.support.builders import N1, Obj, coredns, felix, gnp

NOTE = (
    "This verdict rests on an assumption (node n1: host endpoint n1-eth0 names interface eth0 "
    "but no expectedIPs: taken to carry 10.0.0.1)"
)


def n1_hep(*, expected: bool) -> Obj:
    spec: dict[str, Any] = {"node": "n1", "interfaceName": "eth0"}
    if expected:
        spec["expectedIPs"] = [N1]
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "HostEndpoint",
        "metadata": {"name": "n1-eth0", "labels": {"host": "n1"}},
        "spec": spec,
    }


KUBELET_OPEN = gnp(
    "n1-kubelet",
    selector="host == 'n1'",
    types=["Ingress"],
    ingress=[{"action": "Allow", "protocol": "TCP", "destination": {"ports": [10250]}}],
)


def on_n1(f: Finding) -> bool:
    return any(str(s) == "Node n1" for s in f.subjects)


def test_node_finding_says_it_rests_on_an_assumed_interface_address(check: CheckFn) -> None:
    f = one(check(n1_hep(expected=False), KUBELET_OPEN), "PST-NODE-006", on_n1)
    assert "kubelet API [TCP 10250]" in f.message
    assert NOTE in f.message
    assert "[assumption] node n1: → Assumed" in because(f)


def test_no_assumption_note_when_expected_ips_say_it(check: CheckFn) -> None:
    f = one(check(n1_hep(expected=True), KUBELET_OPEN), "PST-NODE-006", on_n1)
    assert "kubelet API [TCP 10250]" in f.message
    assert "assumption" not in f.message
    assert "[assumption]" not in because(f)


def test_service_exposure_through_an_assumed_interface_says_so(check: CheckFn) -> None:
    """NodePort traffic arriving at n1 meets n1-eth0 (pre-DNAT) only by the assumption; the
    finding says so even though the path through n2 (no host endpoint) needs none."""
    allow_all = gnp(
        "web-ingress", selector="app == 'web'", types=["Ingress"], ingress=[{"action": "Allow"}]
    )
    report = check(
        *WEB, web_service(externalTrafficPolicy="Local"), allow_all, n1_hep(expected=False)
    )
    f = one(report, "PST-NODE-007")
    assert NOTE in f.message
    assert "[assumption] node n1: → Assumed" in because(f)


def test_control_plane_cut_off_by_an_assumed_host_endpoint_says_so(check: CheckFn) -> None:
    """PST-DENY-004: the API server's node denies 6443 only if n1-eth0 carries its address."""
    no_failsafe = felix(failsafeInboundHostPorts=[])
    deny_api = gnp(
        "n1-no-api",
        selector="host == 'n1'",
        types=["Ingress"],
        ingress=[{"action": "Deny", "protocol": "TCP", "destination": {"ports": [6443]}}],
    )
    base = (*coredns(), API_SERVER, no_failsafe, deny_api)
    f = one(check(*base, n1_hep(expected=False)), "PST-DENY-004", titled("API server"))
    assert f.message.startswith("control-plane pod kube-system/coredns-0 cannot reach")
    assert NOTE in f.message
    g = one(check(*base, n1_hep(expected=True)), "PST-DENY-004", titled("API server"))
    assert "assumption" not in g.message
