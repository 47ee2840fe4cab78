"""Lateral movement: PST-LAT-001 … PST-LAT-003."""

from __future__ import annotations

import pytest

from posture.findings.model import Severity
from tests.findings.conftest import CheckFn, because, of, one, path_of, subjects, titled
from tests.support.builders import Obj, gnp, namespace, pod

ALL_PODS = "projectcalico.org/orchestrator == 'k8s'"
THIRD_NAMESPACE = [namespace("c", team="c"), pod("c", "c-1", "n1", "10.244.1.30", {"app": "c"})]


def knp_ingress(ns: str, name: str, rules: list[Obj]) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": rules},
    }


# --- PST-LAT-001: a namespace every other namespace can reach ----------------------------------


def test_lat_001_every_namespace_open_to_every_other(check: CheckFn) -> None:
    report = check(*THIRD_NAMESPACE)
    assert {s for f in of(report, "PST-LAT-001") for s in subjects(f)} == {
        "Namespace a",
        "Namespace b",
        "Namespace c",
    }
    f = one(report, "PST-LAT-001", titled(": c"))
    assert f.severity is Severity.MEDIUM
    assert f.title == "Namespace reachable from every other namespace: c"
    assert f.message == (
        "Pods in every other namespace (2) can open connections to pods in c, on more than DNS."
    )
    assert f.count == 2
    assert path_of(f).src == "every other namespace"
    assert "[ingress] pod c/c-1: Profile kns.c rule 0 → Allow" in because(f)


def test_lat_001_not_for_a_namespace_one_other_cannot_reach(check: CheckFn) -> None:
    only_from_a = knp_ingress(
        "c", "c-from-a", [{"from": [{"namespaceSelector": {"matchLabels": {"team": "a"}}}]}]
    )
    report = check(*THIRD_NAMESPACE, only_from_a)
    assert "Namespace c" not in {s for f in of(report, "PST-LAT-001") for s in subjects(f)}
    one(report, "PST-LAT-001", titled(": a"))


def test_lat_001_dns_alone_does_not_count(check: CheckFn) -> None:
    dns_only = knp_ingress(
        "c",
        "dns-only",
        [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}],
    )
    report = check(*THIRD_NAMESPACE, dns_only)
    assert "Namespace c" not in {s for f in of(report, "PST-LAT-001") for s in subjects(f)}


def test_lat_001_needs_three_namespaces(check: CheckFn) -> None:
    """With two namespaces 'every other namespace' is one namespace: not reported."""
    assert not of(check(), "PST-LAT-001")


def test_lat_001_evidence_names_the_allowing_policy(check: CheckFn) -> None:
    open_c = knp_ingress("c", "c-open", [{"from": [{"namespaceSelector": {}}]}])
    f = one(check(*THIRD_NAMESPACE, open_c), "PST-LAT-001", titled(": c"))
    assert "NetworkPolicy c/c-open" in because(f)


# --- PST-LAT-002: an explicit allow-all ---------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "decider", "label", "way"),
    [
        (
            gnp(
                "allow-all",
                selector="app == 'app'",
                types=["Ingress"],
                ingress=[{"action": "Allow"}],
            ),
            "GlobalNetworkPolicy allow-all",
            "ingress",
            "from",
        ),
        (
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "egress-all", "namespace": "a"},
                "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]},
            },
            "NetworkPolicy a/egress-all",
            "egress",
            "to",
        ),
    ],
    ids=["calico-ingress", "kubernetes-egress"],
)
def test_lat_002_policy_allows_everything(
    check: CheckFn, policy: Obj, decider: str, label: str, way: str
) -> None:
    f = one(check(policy), "PST-LAT-002")
    assert f.severity is Severity.MEDIUM
    assert f.title == f"Pods with unrestricted egress or ingress ({label})"
    assert f.message == (
        f"{decider} allows pod a/app-1 all {label} traffic {way} any pod, node or outside address."
    )
    assert f.because == (f"{decider} allows every protocol and port {way} every peer",)
    assert subjects(f) == {"Namespace a"}


def test_lat_002_not_when_the_allow_names_a_port(check: CheckFn) -> None:
    web = gnp(
        "allow-web",
        selector="app == 'app'",
        types=["Ingress"],
        ingress=[{"action": "Allow", "protocol": "TCP", "destination": {"ports": [8080]}}],
    )
    assert not of(check(web), "PST-LAT-002")


def test_lat_002_not_for_profile_fall_through(check: CheckFn) -> None:
    """No policy at all: the namespace profile allows everything; that is PST-DENY-001's."""
    report = check()
    assert not of(report, "PST-LAT-002")
    assert of(report, "PST-DENY-001")


# --- PST-LAT-003: open to the outside world ----------------------------------------------------


def test_lat_003_pods_open_to_the_world(check: CheckFn) -> None:
    f = one(check(), "PST-LAT-003")
    assert f.severity is Severity.HIGH
    assert f.message == (
        "pods a/app-1, b/db-1 accept any connection from addresses outside the cluster."
    )
    assert subjects(f) == {"Namespace a", "Namespace b"}
    assert path_of(f).protocols == "all traffic"
    assert f.encrypted == "false"
    assert "Profile kns.a rule 0 → Allow" in because(f)


def test_lat_003_names_the_allowing_policy(check: CheckFn) -> None:
    allow = gnp("open", selector="app == 'app'", types=["Ingress"], ingress=[{"action": "Allow"}])
    deny_db = gnp("deny-db", selector="app == 'db'", types=["Ingress"])
    f = one(check(allow, deny_db), "PST-LAT-003")
    assert subjects(f) == {"Namespace a"}
    assert "GlobalNetworkPolicy open rule 0 → Allow" in because(f)


def test_lat_003_not_when_outside_traffic_is_limited_to_a_port(check: CheckFn) -> None:
    web_only = gnp(
        "web-only",
        selector=ALL_PODS,
        types=["Ingress"],
        ingress=[{"action": "Allow", "protocol": "TCP", "destination": {"ports": [8080]}}],
    )
    assert not of(check(web_only), "PST-LAT-003")


def test_lat_003_not_for_a_named_network_set(check: CheckFn) -> None:
    """Allowing everything from a named network set (a known partner range) is a decision, not
    an opening to the internet; the rest of the world is denied."""
    partners: Obj = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "GlobalNetworkSet",
        "metadata": {"name": "partners", "labels": {"role": "partners"}},
        "spec": {"nets": ["198.51.100.0/24"]},
    }
    from_partners = gnp(
        "from-partners",
        selector=ALL_PODS,
        types=["Ingress"],
        ingress=[{"action": "Allow", "source": {"selector": "role == 'partners'"}}],
    )
    assert not of(check(partners, from_partners), "PST-LAT-003")
