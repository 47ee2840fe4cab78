"""Default-deny posture: PST-DENY-001 … PST-DENY-005 (calico-semantics §2.5, §2.6, §8)."""

from __future__ import annotations

import pytest

from posture.findings.model import Severity
from tests.findings.conftest import CheckFn, because, of, one, subjects, titled
from tests.support.builders import HTTP, N1, Obj, coredns, gnp, namespace, node, pod

ALL_PODS = "projectcalico.org/orchestrator == 'k8s'"


def knp(ns: str, name: str, spec: Obj) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def knp_deny_all(ns: str, types: tuple[str, ...] = ("Ingress", "Egress")) -> Obj:
    return knp(ns, "default-deny", {"podSelector": {}, "policyTypes": list(types)})


def deny_rules(types: tuple[str, ...]) -> dict[str, object]:
    """Explicit catch-all Deny rules for ``types``."""
    return {t.lower(): [{"action": "Deny"}] for t in types}


# --- PST-DENY-001: traffic nobody mentions falls through to the namespace profile ---------------


def test_deny_001_no_policy_both_directions_open(check: CheckFn) -> None:
    report = check()
    for direction in ("Ingress", "Egress"):
        f = one(report, "PST-DENY-001", titled(f"({direction})"))
        assert f.severity is Severity.HIGH
        assert f.message.startswith("pods a/app-1, b/db-1: ")
        assert f"{direction.lower()} traffic that no policy mentions is allowed" in f.message
        assert subjects(f) == {"Namespace a", "Namespace b"}
        assert f.count == 2


@pytest.mark.parametrize(
    "deny",
    [
        # The recommended shape: no rules, no order; the end-of-tier deny does the denying.
        gnp("default-deny", selector=ALL_PODS, types=["Ingress", "Egress"]),
        # Explicit catch-all Deny rules.
        gnp(
            "default-deny",
            selector="all()",
            types=["Ingress", "Egress"],
            **deny_rules(("Ingress", "Egress")),
        ),
        # One Kubernetes default-deny per namespace.
        [knp_deny_all("a"), knp_deny_all("b")],
    ],
    ids=["gnp-no-rules", "gnp-explicit-deny", "knp-per-namespace"],
)
def test_deny_001_not_under_a_default_deny(check: CheckFn, deny: Obj | list[Obj]) -> None:
    assert not of(check(deny), "PST-DENY-001")


def test_deny_001_reports_the_open_direction_and_namespace(check: CheckFn) -> None:
    report = check(knp_deny_all("a", ("Ingress",)))
    f = one(report, "PST-DENY-001", titled("(Ingress)"))
    assert subjects(f) == {"Namespace b"}
    assert f.count == 1
    one(report, "PST-DENY-001", titled("(Egress)"))


# --- PST-DENY-002: the cluster-wide default-deny covers one direction ---------------------------


def test_deny_002_ingress_only_default_deny(check: CheckFn) -> None:
    dd = gnp("default-deny", selector="all()", types=["Ingress"], **deny_rules(("Ingress",)))
    f = one(check(dd), "PST-DENY-002")
    assert f.severity is Severity.MEDIUM
    assert subjects(f) == {"GlobalNetworkPolicy default-deny"}
    assert f.message == (
        "GlobalNetworkPolicy default-deny denies ingress traffic for every pod, but egress "
        "traffic nobody mentions is still allowed for pods a/app-1, b/db-1."
    )


def test_deny_002_egress_only_default_deny(check: CheckFn) -> None:
    dd = gnp("default-deny", selector="all()", types=["Egress"], **deny_rules(("Egress",)))
    f = one(check(dd), "PST-DENY-002")
    assert "denies egress traffic for every pod, but ingress traffic nobody mentions" in f.message


def test_deny_002_not_when_both_directions_are_denied(check: CheckFn) -> None:
    dd = gnp(
        "default-deny",
        selector="all()",
        types=["Ingress", "Egress"],
        **deny_rules(("Ingress", "Egress")),
    )
    assert not of(check(dd), "PST-DENY-002")


def test_deny_002_not_when_the_policy_misses_pods(check: CheckFn) -> None:
    """Denying one direction for some pods only is PST-DENY-003's or PST-DENY-001's business."""
    dd = gnp("deny-app", selector="app == 'app'", types=["Ingress"], **deny_rules(("Ingress",)))
    assert not of(check(dd), "PST-DENY-002")


def test_deny_002_recommended_shape_without_deny_rules(check: CheckFn) -> None:
    """The §8.2 shape (no rules, no order) written for Ingress only: a policy whose types
    include a direction isolates it (§2.7), so ingress is default-denied for every pod while
    egress still falls through. Same gap as with an explicit Deny rule."""
    f = one(check(gnp("default-deny", selector=ALL_PODS, types=["Ingress"])), "PST-DENY-002")
    assert "GlobalNetworkPolicy default-deny denies ingress traffic for every pod" in f.message


# --- PST-DENY-003: a cluster-wide-looking default-deny that misses pods -------------------------

ONLY_A = "kubernetes.io/metadata.name == 'a'"


def deny_ns_a(**extra: object) -> Obj:
    return gnp(
        "app-deny",
        namespaceSelector=ONLY_A,
        selector="all()",
        types=["Ingress", "Egress"],
        **deny_rules(("Ingress", "Egress")),
        **extra,
    )


def test_deny_003_default_deny_misses_a_namespace(check: CheckFn) -> None:
    report = check(deny_ns_a())
    for direction in ("Ingress", "Egress"):
        f = one(report, "PST-DENY-003", titled(f"({direction})"))
        assert f.severity is Severity.MEDIUM
        assert f.message == (
            "GlobalNetworkPolicy app-deny (selector all(), namespaceSelector "
            f"kubernetes.io/metadata.name == 'a') denies {direction.lower()} traffic "
            "by default but does not select pod b/db-1, and no other "
            "default-deny does."
        )
        assert subjects(f) == {"GlobalNetworkPolicy app-deny", "Namespace b"}
        assert f.count == 1


def test_deny_003_not_when_the_policy_selects_every_pod(check: CheckFn) -> None:
    dd = gnp(
        "app-deny",
        selector="all()",
        types=["Ingress", "Egress"],
        **deny_rules(("Ingress", "Egress")),
    )
    assert not of(check(dd), "PST-DENY-003")


def test_deny_003_not_when_a_calico_policy_covers_the_rest(check: CheckFn) -> None:
    deny_b: Obj = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "b"},
        "spec": {
            "selector": "all()",
            "types": ["Ingress", "Egress"],
            **deny_rules(("Ingress", "Egress")),
        },
    }
    assert not of(check(deny_ns_a(), deny_b), "PST-DENY-003")


def test_deny_003_not_when_a_kubernetes_default_deny_covers_the_rest(check: CheckFn) -> None:
    """b's pods are default-denied by b's own Kubernetes NetworkPolicy (podSelector {}, both
    policyTypes, no rules: isolated, §7), so 'no other default-deny does' would be false."""
    report = check(deny_ns_a(), knp_deny_all("b"))
    assert not of(report, "PST-DENY-001")
    assert not of(report, "PST-DENY-003")


def test_deny_003_not_for_a_policy_meant_for_few_pods(check: CheckFn) -> None:
    """A policy selecting fewer than half of the pod groups is not a cluster-wide default-deny."""
    more = [
        namespace("c"),
        pod("c", "c-1", "n1", "10.244.1.30", {"app": "c"}),
    ]
    assert not of(check(deny_ns_a(), *more), "PST-DENY-003")


def test_deny_003_recommended_shape_without_deny_rules(check: CheckFn) -> None:
    """The §8.2 shape (no rules) scoped with a namespaceSelector that leaves namespace b out."""
    dd = gnp("app-deny", namespaceSelector=ONLY_A, selector=ALL_PODS, types=["Ingress", "Egress"])
    report = check(dd)
    assert len(of(report, "PST-DENY-003")) == 2


# --- PST-DENY-004: DNS or the control plane blocked ---------------------------------------------

EGRESS_DENY = gnp("default-deny", selector=ALL_PODS, types=["Egress"])


def allow_dns(*protocols: str) -> Obj:
    dest = {"selector": "k8s-app == 'kube-dns'", "ports": [53]}
    return gnp(
        "allow-dns",
        order=100,
        selector=ALL_PODS,
        types=["Egress"],
        egress=[{"action": "Allow", "protocol": p, "destination": dest} for p in protocols],
    )


def test_deny_004_egress_default_deny_without_dns(check: CheckFn) -> None:
    """Both DNS ports are denied by one policy: one finding (one root cause, one remedy)."""
    report = check(*coredns(), EGRESS_DENY)
    f = one(report, "PST-DENY-004")
    assert f.severity is Severity.HIGH
    assert f.title == "Policy blocks DNS or the control plane: DNS (53/TCP), DNS (53/UDP)"
    assert f.message.splitlines() == [
        f"pods a/app-1, b/db-1 cannot resolve names: {port} to kube-dns is denied."
        for port in ("53/TCP", "53/UDP")
    ]
    assert subjects(f) == {"Namespace a", "Namespace b"}
    assert "Deny (end of tier)" in because(f)
    assert "GlobalNetworkPolicy default-deny" in because(f)


def test_deny_004_only_the_protocol_left_out(check: CheckFn) -> None:
    report = check(*coredns(), EGRESS_DENY, allow_dns("UDP"))
    f = one(report, "PST-DENY-004")
    assert f.title.endswith("DNS (53/TCP)")


def test_deny_004_not_when_dns_is_allowed(check: CheckFn) -> None:
    assert not of(check(*coredns(), EGRESS_DENY, allow_dns("UDP", "TCP")), "PST-DENY-004")


def test_deny_004_dns_server_ingress_denied(check: CheckFn) -> None:
    ingress_deny = gnp("default-deny", selector=ALL_PODS, types=["Ingress"])
    f = one(check(*coredns(), ingress_deny), "PST-DENY-004", titled("DNS (53/UDP)"))
    assert "53/UDP to kube-dns is denied" in f.message
    assert "[ingress] pod kube-system/coredns-0" in because(f)


API_SERVER = pod(
    "kube-system",
    "kube-apiserver-n1",
    "n1",
    N1,
    {"component": "kube-apiserver"},
    ports=[{"containerPort": 6443}],
    host_network=True,
)


def test_deny_004_control_plane_cut_off_from_the_api_server(check: CheckFn) -> None:
    report = check(*coredns(), API_SERVER, EGRESS_DENY, allow_dns("UDP", "TCP"))
    f = one(report, "PST-DENY-004")
    assert f.title == "Policy blocks DNS or the control plane: API server"
    assert f.message == (
        "control-plane pod kube-system/coredns-0 cannot reach the Kubernetes "
        "API server (node n1 (10.0.0.1), TCP 6443)."
    )
    assert subjects(f) == {"Namespace kube-system"}
    assert "pod kube-system/coredns-0" in because(f)


def test_deny_004_api_server_found_by_control_plane_label(check: CheckFn) -> None:
    cp = node("n1", N1, labels={"node-role.kubernetes.io/control-plane": ""})
    report = check(*coredns(), cp, EGRESS_DENY, allow_dns("UDP", "TCP"))
    assert one(report, "PST-DENY-004").title.endswith("API server")


def test_deny_004_not_when_the_control_plane_may_reach_the_api_server(check: CheckFn) -> None:
    allow_api = gnp(
        "allow-api",
        order=100,
        selector="projectcalico.org/namespace == 'kube-system'",
        types=["Egress"],
        egress=[
            {
                "action": "Allow",
                "protocol": "TCP",
                "destination": {"nets": ["10.0.0.0/24"], "ports": [6443]},
            }
        ],
    )
    report = check(*coredns(), API_SERVER, EGRESS_DENY, allow_dns("UDP", "TCP"), allow_api)
    assert not of(report, "PST-DENY-004")


# --- PST-DENY-005: an early Deny silences Kubernetes NetworkPolicies ----------------------------

APP_FROM_B = knp(
    "a",
    "app-from-b",
    {
        "podSelector": {"matchLabels": {"app": "app"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}}],
                "ports": [{"port": 8080}],
            }
        ],
    },
)


def early_deny(**order: int) -> Obj:
    return gnp(
        "default-deny", selector="all()", types=["Ingress"], **deny_rules(("Ingress",)), **order
    )


def test_deny_005_order_500_deny_silences_network_policies(check: CheckFn) -> None:
    report = check(APP_FROM_B, early_deny(order=500))
    f = one(report, "PST-DENY-005")
    assert f.severity is Severity.HIGH
    assert f.message == (
        "GlobalNetworkPolicy default-deny denies before the Kubernetes NetworkPolicies "
        "(order 1000) are consulted, so these allow rules never take effect: "
        "NetworkPolicy a/app-from-b ingress rule 0."
    )
    assert f.because == ("GlobalNetworkPolicy default-deny decides first in tier default",)
    assert f.count == 1
    # The silenced rule is PST-DENY-005's, not reported a second time as never deciding.
    assert not of(report, "PST-HYG-002")


@pytest.mark.parametrize("order", [{}, {"order": 1500}], ids=["no-order", "order-1500"])
def test_deny_005_not_when_the_deny_comes_after_network_policies(
    check: CheckFn, order: dict[str, int]
) -> None:
    assert not of(check(APP_FROM_B, early_deny(**order)), "PST-DENY-005")


def test_deny_005_not_without_an_explicit_deny_rule(check: CheckFn) -> None:
    """Order 500 but no rules: the policy decides nothing, the network policy allows first."""
    no_rules = gnp("default-deny", order=500, selector="all()", types=["Ingress"])
    assert not of(check(APP_FROM_B, no_rules), "PST-DENY-005")


def test_deny_002_counts_pods_not_groups(check: CheckFn) -> None:
    """Finding.count is the number of affected endpoints, as the message says: a second
    replica of app (same group) makes it 3 pods in 2 groups."""
    replica = pod("a", "app-2", "n2", "10.244.2.11", {"app": "app"}, ports=[HTTP])
    dd = gnp("default-deny", selector="all()", types=["Ingress"], **deny_rules(("Ingress",)))
    f = one(check(replica, dd), "PST-DENY-002")
    assert "still allowed for pods a/app-1, a/app-2, b/db-1" in f.message
    assert f.count == 3
