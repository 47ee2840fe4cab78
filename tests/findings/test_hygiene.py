"""Policy hygiene: PST-HYG-001 … PST-HYG-003."""

from __future__ import annotations

import re

import pytest

from posture.findings.model import Severity
from tests.findings.conftest import CheckFn, because, of, one, subjects
from tests.support.builders import N1, Obj, gnp, host_endpoint, namespace, pod


def knp(ns: str, name: str, match: dict[str, str]) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"podSelector": {"matchLabels": match}, "policyTypes": ["Ingress"]},
    }


def staged(kind: str, name: str, spec: Obj, ns: str = "") -> Obj:
    meta: Obj = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta, "spec": spec}


# --- PST-HYG-001: a policy that selects nothing --------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "ref", "selector"),
    [
        # The service was renamed: no pod has app=checkout.
        (
            knp("a", "checkout", {"app": "checkout"}),
            "NetworkPolicy a/checkout",
            "podSelector app == 'checkout'",
        ),
        # app=app exists, but in namespace a: a namespaced policy in b never selects it.
        (
            knp("b", "app-in-b", {"app": "app"}),
            "NetworkPolicy b/app-in-b",
            "podSelector app == 'app'",
        ),
        # hostNetwork pods are not workload endpoints: no policy selects them.
        (
            gnp("kube-proxy", selector="k8s-app == 'kube-proxy'", types=["Ingress"]),
            "GlobalNetworkPolicy kube-proxy",
            "selector k8s-app == 'kube-proxy'",
        ),
    ],
    ids=["renamed-app", "other-namespace", "host-network-pod"],
)
def test_hyg_001_policy_selects_nothing(
    check: CheckFn, policy: Obj, ref: str, selector: str
) -> None:
    kube_proxy = pod("kube-system", "kp", "n1", N1, {"k8s-app": "kube-proxy"}, host_network=True)
    f = one(check(policy, namespace("kube-system"), kube_proxy), "PST-HYG-001")
    assert f.severity is Severity.LOW
    assert f.message == (
        f"{ref} ({selector}) selects no pod or host endpoint, so none of its rules apply."
    )
    assert subjects(f) == {ref}


def test_hyg_001_not_when_the_policy_selects_a_pod(check: CheckFn) -> None:
    assert not of(check(knp("a", "app", {"app": "app"})), "PST-HYG-001")


def test_hyg_001_not_when_the_policy_selects_a_host_endpoint(check: CheckFn) -> None:
    hep_policy = gnp(
        "workers", selector="role == 'worker'", types=["Ingress"], ingress=[{"action": "Allow"}]
    )
    report = check(host_endpoint("n1-eth0", "n1", N1, role="worker"), hep_policy)
    assert not of(report, "PST-HYG-001")


# --- PST-HYG-002: a rule that never decides ----------------------------------------------------

DENY_SSH: Obj = {"action": "Deny", "protocol": "TCP", "destination": {"ports": [22]}}


def test_hyg_002_rule_after_a_catch_all(check: CheckFn) -> None:
    web = gnp(
        "web", selector="app == 'app'", types=["Ingress"], ingress=[{"action": "Allow"}, DENY_SSH]
    )
    f = one(check(web), "PST-HYG-002")
    assert f.severity is Severity.LOW
    assert f.message == (
        "GlobalNetworkPolicy web ingress rule 1 (Deny) matches traffic, but "
        "GlobalNetworkPolicy web rule 0 (Allow) always decides it first."
    )
    assert subjects(f) == {"GlobalNetworkPolicy web"}
    assert "GlobalNetworkPolicy web rule 0 → Allow" in because(f)


def test_hyg_002_not_when_the_rules_are_in_the_right_order(check: CheckFn) -> None:
    web = gnp(
        "web", selector="app == 'app'", types=["Ingress"], ingress=[DENY_SSH, {"action": "Allow"}]
    )
    assert not of(check(web), "PST-HYG-002")


def test_hyg_002_rule_shadowed_by_an_earlier_policy(check: CheckFn) -> None:
    first = gnp(
        "first", order=10, selector="app == 'app'", types=["Ingress"], ingress=[{"action": "Allow"}]
    )
    second = gnp(
        "second",
        order=20,
        selector="app == 'app'",
        types=["Ingress"],
        ingress=[{"action": "Deny", "source": {"selector": "app == 'db'"}}],
    )
    f = one(check(first, second), "PST-HYG-002")
    assert f.message == (
        "GlobalNetworkPolicy second ingress rule 0 (Deny) matches traffic, but "
        "GlobalNetworkPolicy first rule 0 (Allow) always decides it first."
    )
    # Swapping the orders gives the Deny its chance.
    first["spec"]["order"], second["spec"]["order"] = 20, 10
    assert not of(check(first, second), "PST-HYG-002")


def test_hyg_002_rule_after_a_pass(check: CheckFn) -> None:
    tier: Obj = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "Tier",
        "metadata": {"name": "security"},
        "spec": {"order": 100},
    }
    block = gnp(
        "security.block",
        tier="security",
        order=10,
        selector="all()",
        types=["Egress"],
        egress=[
            {"action": "Pass"},
            {"action": "Deny", "protocol": "TCP", "destination": {"ports": [25]}},
        ],
    )
    f = one(check(tier, block), "PST-HYG-002")
    assert f.message == (
        "GlobalNetworkPolicy security.block egress rule 1 (Deny) matches traffic, but "
        "GlobalNetworkPolicy security.block rule 0 (Pass) always decides it first."
    )
    assert "tier security GlobalNetworkPolicy security.block rule 0 → Pass" in because(f)


# --- PST-HYG-003: staged policy that would change verdicts --------------------------------------

DB_5432_RULE: Obj = {"action": "Allow", "protocol": "TCP", "destination": {"ports": [5432]}}


@pytest.mark.parametrize(
    ("policy", "ref"),
    [
        (
            staged(
                "StagedGlobalNetworkPolicy",
                "db-5432",
                {"selector": "app == 'db'", "types": ["Ingress"], "ingress": [DB_5432_RULE]},
            ),
            "StagedGlobalNetworkPolicy db-5432",
        ),
        (
            staged(
                "StagedNetworkPolicy",
                "db-5432",
                {"selector": "all()", "types": ["Ingress"], "ingress": [DB_5432_RULE]},
                ns="b",
            ),
            "StagedNetworkPolicy b/db-5432",
        ),
        (
            staged(
                "StagedKubernetesNetworkPolicy",
                "db-5432",
                {
                    "podSelector": {},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"ports": [{"port": 5432}]}],
                },
                ns="b",
            ),
            "StagedKubernetesNetworkPolicy b/db-5432",
        ),
    ],
    ids=["global", "namespaced", "kubernetes"],
)
def test_hyg_003_staged_policy_would_narrow_paths(check: CheckFn, policy: Obj, ref: str) -> None:
    f = one(check(policy), "PST-HYG-003")
    assert f.severity is Severity.INFO
    assert subjects(f) == {ref}
    # app → db, world → db, node n1 → db; node n2 → its own pod is never policed.
    # Pod groups are named by the labels some selector reads (here perhaps none: a label no
    # selector reads does not name a group).
    assert re.fullmatch(
        f"Enforcing {re.escape(ref)} would close paths for 3 endpoint pairs and open paths for 0; "
        r"e\.g\. a: (app=app|\(no selected labels\)) → b: (app=db|\(no selected labels\)) "
        r"\(other-node\): all traffic becomes TCP 5432\.",
        f.message,
    )
    assert f.count == 3


def test_hyg_003_staged_policy_would_widen_paths(check: CheckFn) -> None:
    enforced = gnp("db-5432", selector="app == 'db'", types=["Ingress"], ingress=[DB_5432_RULE])
    widen = staged(
        "StagedGlobalNetworkPolicy",
        "db-all",
        {
            "order": 10,
            "selector": "app == 'db'",
            "types": ["Ingress"],
            "ingress": [{"action": "Allow"}],
        },
    )
    f = one(check(enforced, widen), "PST-HYG-003")
    assert "would close paths for 0 endpoint pairs and open paths for 3" in f.message


def test_hyg_003_not_when_the_staged_policy_selects_nothing(check: CheckFn) -> None:
    nothing = staged(
        "StagedGlobalNetworkPolicy",
        "db-5432",
        {"selector": "app == 'nothing'", "types": ["Ingress"], "ingress": [DB_5432_RULE]},
    )
    assert not of(check(nothing), "PST-HYG-003")


def test_hyg_003_staged_default_deny_closes_every_path(check: CheckFn) -> None:
    """The §8.2 advice: stage the default-deny first. Enforcing it closes every pod path
    completely, which is exactly what the operator must see before enforcing."""
    staged_deny = staged(
        "StagedGlobalNetworkPolicy",
        "default-deny",
        {"selector": "projectcalico.org/orchestrator == 'k8s'", "types": ["Ingress", "Egress"]},
    )
    f = one(check(staged_deny), "PST-HYG-003")
    assert "would close paths for" in f.message
    assert "and open paths for 0" in f.message
    assert f.count > 0


def test_hyg_003_staged_allow_opens_a_closed_path(check: CheckFn) -> None:
    """db's ingress is closed today; the staged policy (order 10, before the deny) would let
    app in."""
    closed = gnp("deny-db", selector="app == 'db'", types=["Ingress"])
    opener = staged(
        "StagedGlobalNetworkPolicy",
        "db-from-app",
        {
            "order": 10,
            "selector": "app == 'db'",
            "types": ["Ingress"],
            "ingress": [{"action": "Allow", "source": {"selector": "app == 'app'"}}],
        },
    )
    f = one(check(closed, opener), "PST-HYG-003")
    assert "would close paths for 0 endpoint pairs and open paths for 1" in f.message
