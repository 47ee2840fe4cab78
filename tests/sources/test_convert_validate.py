"""Objects the API server would refuse are input errors (exit 2) naming file, object and
field, never silently inert objects.

Sources: sigs.k8s.io/network-policy-api apis/v1alpha1/adminnetworkpolicy_types.go (Priority
Minimum=0 Maximum=1000; Ingress/Egress MaxItems=100; From/To MinItems=1 MaxItems=100),
apis/v1alpha1/shared_types.go (AdminNetworkPolicySubject, peers and ports MinProperties=1
MaxProperties=1; Port Minimum=1 Maximum=65535; CIDR isCIDR), apis/v1alpha2/
clusternetworkpolicy_types.go (MaxItems=25; ClusterNetworkPolicyProtocol and Port
MinProperties=1 MaxProperties=1; PortRange start < end); Calico
api/pkg/apis/projectcalico/v3/hostendpoint.go (ExpectedIPs ``validate:"omitempty,dive,ip"``,
checked by libcalico-go/lib/validator/v3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import run, snapshot_of

Obj = dict[str, Any]
NS_SUBJECT: Obj = {"namespaces": {"matchLabels": {"team": "a"}}}
PEER: Obj = {"namespaces": {}}


def anp(kind: str = "AdminNetworkPolicy", **spec: Any) -> Obj:
    version = "v1alpha2" if kind == "ClusterNetworkPolicy" else "v1alpha1"
    base: Obj = {"subject": NS_SUBJECT}
    if kind != "BaselineAdminNetworkPolicy":
        base["priority"] = 10
    if kind == "ClusterNetworkPolicy":
        base["tier"] = "Admin"
    name = "default" if kind == "BaselineAdminNetworkPolicy" else "p"
    return {
        "apiVersion": f"policy.networking.k8s.io/{version}",
        "kind": kind,
        "metadata": {"name": name},
        "spec": {**base, **spec},
    }


def hep(**spec: Any) -> Obj:
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "HostEndpoint",
        "metadata": {"name": "h"},
        "spec": {"node": "n1", "interfaceName": "eth0", **spec},
    }


def deny(peers_key: str, peers: Any, **extra: Any) -> list[Obj]:
    return [{"action": "Deny", peers_key: peers, **extra}]


@pytest.mark.parametrize(
    ("case", "obj", "where", "message"),
    [
        (
            "ANP priority above 1000",
            anp(priority=1001),
            "AdminNetworkPolicy p: spec.priority",
            "0-1000",
        ),
        ("ANP priority below 0", anp(priority=-1), "AdminNetworkPolicy p: spec.priority", "0-1000"),
        (
            "ANP priority not a number",
            anp(priority="high"),
            "AdminNetworkPolicy p: spec.priority",
            "integer",
        ),
        (
            "CNP priority above 1000",
            anp("ClusterNetworkPolicy", priority=5000),
            "ClusterNetworkPolicy p: spec.priority",
            "0-1000",
        ),
        (
            "subject with both namespaces and pods",
            anp(subject={**NS_SUBJECT, "pods": {"namespaceSelector": {}, "podSelector": {}}}),
            "AdminNetworkPolicy p: spec.subject",
            "exactly one of namespaces, pods (got namespaces, pods)",
        ),
        ("empty subject", anp(subject={}), "AdminNetworkPolicy p: spec.subject", "(got none)"),
        (
            "BANP subject with both",
            anp("BaselineAdminNetworkPolicy", subject={**NS_SUBJECT, "pods": {}}),
            "BaselineAdminNetworkPolicy default: spec.subject",
            "exactly one",
        ),
        (
            "subject pods without podSelector",
            anp(subject={"pods": {"namespaceSelector": {}}}),
            "spec.subject.pods.podSelector",
            "required",
        ),
        (
            "a peer with two kinds",
            anp(ingress=deny("from", [{"namespaces": {}, "pods": {}}])),
            "spec.ingress[0].from[0]",
            "exactly one",
        ),
        ("no peers", anp(egress=deny("to", [])), "spec.egress[0].to", "1 to 100 items"),
        (
            "101 ingress rules",
            anp(ingress=deny("from", [PEER]) * 101),
            "spec.ingress",
            "0 to 100 items, has 101",
        ),
        (
            "26 CNP egress rules",
            anp("ClusterNetworkPolicy", egress=deny("to", [PEER]) * 26),
            "spec.egress",
            "0 to 25 items, has 26",
        ),
        (
            "a network that is not a CIDR",
            anp(egress=deny("to", [{"networks": ["10.0.0.0/33"]}])),
            "spec.egress[0].to[0].networks[0]",
            "is not a CIDR",
        ),
        (
            "a port 0",
            anp(ingress=deny("from", [PEER], ports=[{"portNumber": {"port": 0}}])),
            "spec.ingress[0].ports[0].portNumber.port",
            "1-65535",
        ),
        (
            "a port with two forms",
            anp(
                ingress=deny("from", [PEER], ports=[{"portNumber": {"port": 1}, "namedPort": "x"}])
            ),
            "spec.ingress[0].ports[0]",
            "exactly one",
        ),
        (
            "a rule name of 101 characters",
            anp(ingress=deny("from", [PEER], name="x" * 101)),
            "spec.ingress[0].name",
            "at most 100",
        ),
        (
            "CNP protocol port 0",
            anp(
                "ClusterNetworkPolicy",
                ingress=deny(
                    "from", [PEER], protocols=[{"tcp": {"destinationPort": {"number": 0}}}]
                ),
            ),
            "ClusterNetworkPolicy p: spec.ingress[0].protocols[0].tcp.destinationPort.number",
            "1-65535",
        ),
        (
            "CNP protocol with two transports",
            anp(
                "ClusterNetworkPolicy",
                egress=deny(
                    "to",
                    [PEER],
                    protocols=[{"tcp": {"destinationPort": {"number": 80}}, "udp": {}}],
                ),
            ),
            "spec.egress[0].protocols[0]",
            "exactly one",
        ),
        (
            "CNP transport without destinationPort",
            anp("ClusterNetworkPolicy", egress=deny("to", [PEER], protocols=[{"udp": {}}])),
            "spec.egress[0].protocols[0].udp.destinationPort",
            "required",
        ),
        (
            "CNP port range not increasing",
            anp(
                "ClusterNetworkPolicy",
                egress=deny(
                    "to",
                    [PEER],
                    protocols=[{"sctp": {"destinationPort": {"range": {"start": 9, "end": 9}}}}],
                ),
            ),
            "spec.egress[0].protocols[0].sctp.destinationPort.range",
            "start must be less than end",
        ),
        (
            "CNP empty protocols",
            anp("ClusterNetworkPolicy", egress=deny("to", [PEER], protocols=[])),
            "spec.egress[0].protocols",
            "1 to 25 items",
        ),
        (
            "HEP expectedIPs entry that is not an IP",
            hep(expectedIPs=["10.0.0.1", "node-1"]),
            "HostEndpoint h: spec.expectedIPs[1]",
            "'node-1' is not an IP address",
        ),
        (
            "HEP expectedIPs entry that is a network",
            hep(expectedIPs=["10.0.0.0/24"]),
            "HostEndpoint h: spec.expectedIPs[0]",
            "not an IP address",
        ),
    ],
)
def test_what_the_api_server_refuses_is_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    case: str,
    obj: Obj,
    where: str,
    message: str,
) -> None:
    f = tmp_path / "in.yaml"
    f.write_text("# a comment first\n" + yaml.safe_dump(obj))
    rc, out, err = run(capsys, "check", "--from", str(f))
    assert rc == 2, case
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"posture: error: {f}:2: "), err
    assert where in err, err
    assert message in err, err


@pytest.mark.parametrize(
    ("case", "obj"),
    [
        ("ANP priority 0", anp(priority=0)),
        ("ANP priority 1000", anp(priority=1000)),
        ("subject pods alone", anp(subject={"pods": {"namespaceSelector": {}, "podSelector": {}}})),
        ("100 rules", anp(ingress=deny("from", [PEER]) * 100)),
        ("a network CIDR", anp(egress=deny("to", [{"networks": ["10.0.0.0/8", "fd00::/8"]}]))),
        (
            "port range",
            anp(ingress=deny("from", [PEER], ports=[{"portRange": {"start": 1, "end": 9}}])),
        ),
        ("BANP without priority", anp("BaselineAdminNetworkPolicy")),
        ("CNP 25 rules", anp("ClusterNetworkPolicy", egress=deny("to", [PEER]) * 25)),
        (
            "CNP protocols of every form",
            anp(
                "ClusterNetworkPolicy",
                egress=deny(
                    "to",
                    [PEER],
                    protocols=[
                        {"tcp": {"destinationPort": {"number": 65535}}},
                        {"udp": {"destinationPort": {"range": {"start": 1, "end": 2}}}},
                        {"sctp": {"destinationPort": {"number": 1}}},
                        {"destinationNamedPort": "http"},
                    ],
                ),
            ),
        ),
        ("HEP IPv4 and IPv6 expectedIPs", hep(expectedIPs=["10.0.0.1", "fd00::1"])),
        ("HEP without expectedIPs", hep()),
    ],
)
def test_what_the_api_server_accepts_converts(case: str, obj: Obj) -> None:
    """Negative: the limits themselves are accepted."""
    snap = snapshot_of(obj)
    assert snap.policies or snap.host_endpoints, case
