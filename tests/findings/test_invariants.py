"""Organisation invariants (PST-INV-001 … 003): one table row per rule kind and outcome, on the
smallest cluster that shows it, each cross-checked against a pair-by-pair evaluation.

The base cluster (tests/findings/conftest.py), with CoreDNS added: nodes n1, n2; pod a/app-1
(app=app, n1), pod b/db-1 (app=db, n2), kube-system/coredns-0 (n2); no policy, so everything
is allowed (a workload no policy selects falls through to its namespace profile, which allows
everything: docs/semantics.md); no host endpoint; no FelixConfiguration (WireGuard off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from posture.engine.flows import EMPTY, Flows
from posture.engine.index import Index
from posture.engine.path import PathEngine
from posture.engine.peers import Peer, PeerKind
from posture.engine.verdict import Encryption
from posture.errors import ConfigError
from posture.findings.invariants.evaluate import _Selections, refinement
from posture.findings.invariants.model import Demand, Endpoints, Invariant
from posture.findings.registry import Analysis
from posture.model.snapshot import Snapshot
from posture.pipeline import CheckOptions, analyse, check
from posture.reachability.query import EndpointView
from posture.report.model import Report
from posture.sources.invariants import parse_document
from tests.findings.conftest import TODAY, LoadFn
from tests.support.builders import Obj, coredns, felix, gnp, host_endpoint, node, pod

KNP_DENY_INGRESS_B: Obj = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "deny-ingress", "namespace": "b"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
}
KNP_B_ONLY_PG_FROM_A: Obj = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "pg-from-a", "namespace": "b"},
    "spec": {
        "podSelector": {},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"namespaceSelector": {"matchLabels": {"team": "a"}}}],
                "ports": [{"port": 5432}],
            }
        ],
    },
}
KNP_DENY_EGRESS_A: Obj = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "deny-egress", "namespace": "a"},
    "spec": {"podSelector": {}, "policyTypes": ["Egress"]},
}
WG_ON = felix(wireguardEnabled=True)
SECOND_A_POD_ON_N1 = pod("a", "app-2", "n1", "10.244.1.11", {"app": "app"})
A_POD_ON_N2 = pod("a", "app-3", "n2", "10.244.2.11", {"app": "app"})
HEP_N1_DENY_ALL = [
    host_endpoint("n1-eth0", "n1", "10.0.0.1", role="node"),
    gnp("hosts-closed", selector="role == 'node'", types=["Ingress"], ingress=[]),
]

A: Obj = {"pods": {"namespaces": ["a"]}}
B: Obj = {"pods": {"namespaces": ["b"]}}
DNS: Obj = {"pods": {"namespaces": ["kube-system"], "selector": "k8s-app == 'kube-dns'"}}
ANY_POD: Obj = {"pods": {}}


@dataclass(frozen=True)
class Case:
    id: str
    demand: str
    body: dict[str, Any]
    extra: tuple[Obj | list[Obj], ...] = ()
    violations: int = 0  # offending endpoint pairs; 0 = the invariant holds
    because: tuple[str, ...] = field(default=())  # evidence lines the finding must show


CASES = (
    # --- deny ------------------------------------------------------------------------------
    Case(
        "deny-violated-no-policy",
        "deny",
        {"from": [A], "to": [B]},
        violations=1,
        because=("[ingress] pod b/db-1: Profile kns.b rule 0 → Allow (profile)",),
    ),
    Case("deny-holds-default-deny", "deny", {"from": [A], "to": [B]}, (KNP_DENY_INGRESS_B,)),
    Case(
        "deny-holds-by-except",
        "deny",
        {"from": [A], "to": [B], "except": [{"from": [{"pods": {"selector": "app == 'app'"}}]}]},
    ),
    Case(
        "deny-except-elsewhere-still-violated",
        "deny",
        {"from": [A], "to": [B], "except": [{"to": [{"pods": {"namespaces": ["a"]}}]}]},
        violations=1,
    ),
    Case(
        "deny-holds-on-flows-not-allowed",
        "deny",
        {"from": [A], "to": [B], "flows": ["8080/TCP", "UDP"]},
        (KNP_B_ONLY_PG_FROM_A,),
    ),
    Case(
        "deny-violated-on-the-allowed-flow",
        "deny",
        {"from": [A], "to": [B], "flows": ["5432/TCP"]},
        (KNP_B_ONLY_PG_FROM_A,),
        violations=1,
        because=("[ingress] pod b/db-1: tier default NetworkPolicy b/pg-from-a rule 0 → Allow",),
    ),
    Case(
        "deny-kubelet-violated-every-pod-every-node",
        "deny",
        {"from": [ANY_POD], "to": [{"service": "kubelet"}]},
        violations=6,  # 3 pods (with CoreDNS) x 2 nodes: no host endpoint filters anything
    ),
    Case(
        "deny-kubelet-except-namespace",
        "deny",
        {
            "from": [ANY_POD],
            "to": [{"service": "kubelet", "nodes": {"names": ["n1"]}}],
            "except": [{"from": [A]}],
        },
        violations=2,  # b/db-1 and kube-system/coredns-0 → n1
    ),
    Case(
        "deny-kubelet-holds-behind-host-endpoint",
        "deny",
        {"from": [B], "to": [{"service": "kubelet", "nodes": {"names": ["n1"]}}]},
        tuple(HEP_N1_DENY_ALL),
    ),
    Case(
        "deny-from-outside-violated",
        "deny",
        {"from": [{"nets": ["0.0.0.0/0"]}], "to": [A], "flows": ["8080/TCP"]},
        violations=1,  # the whole outside is one range here: one range x one pod
    ),
    Case(
        "deny-from-a-range-inside-one-outside-class",
        "deny",
        {"from": [{"nets": ["203.0.113.0/24"]}], "to": [A]},
        violations=1,  # no rule divides the outside: one range, allowed like all of it
    ),
    Case(
        "deny-from-outside-except-a-range",
        "deny",
        {
            "from": [{"nets": ["0.0.0.0/0"]}],
            "to": [A],
            "except": [{"from": [{"nets": ["203.0.113.0/24"]}]}],
        },
        violations=2,  # the outside split around the exempt range: the parts below and above
    ),
    Case(
        "deny-from-a-node-by-label",
        "deny",
        {"from": [{"nodes": {"selector": "zone == 'z1'"}}], "to": [B]},
        (node("n1", "10.0.0.1", labels={"zone": "z1"}),),
        violations=1,
    ),
    # --- allow -----------------------------------------------------------------------------
    Case("allow-dns-holds", "allow", {"from": [A], "to": [DNS], "flows": ["53/UDP", "53/TCP"]}),
    Case(
        "allow-dns-violated-by-egress-deny",
        "allow",
        {"from": [A], "to": [DNS], "flows": ["53/UDP", "53/TCP"]},
        (KNP_DENY_EGRESS_A, SECOND_A_POD_ON_N1),
        violations=2,
        because=("[egress] pod a/app-",),
    ),
    Case(
        "allow-violated-for-one-flow-only",
        "allow",
        {"from": [A], "to": [B], "flows": ["5432/TCP", "8080/TCP"]},
        (KNP_B_ONLY_PG_FROM_A,),
        violations=1,
    ),
    Case(
        "allow-holds-with-except",
        "allow",
        {"from": [A], "to": [DNS], "flows": ["53/UDP"], "except": [{"from": [A]}]},
        (KNP_DENY_EGRESS_A,),
    ),
    # --- encrypted -------------------------------------------------------------------------
    Case("encrypted-violated-wireguard-off", "encrypted", {"from": [A], "to": [B]}, violations=1),
    Case("encrypted-holds-wireguard-on", "encrypted", {"from": [A], "to": [B]}, (WG_ON,)),
    Case(
        "encrypted-holds-same-node-is-local",
        "encrypted",
        {"from": [{"pods": {"namespaces": ["a"], "selector": "app == 'app'"}}], "to": [A]},
        (SECOND_A_POD_ON_N1,),
    ),
    Case(
        "encrypted-violated-one-node-pair-of-three",
        "encrypted",
        {"from": [A], "to": [A]},
        (SECOND_A_POD_ON_N1, A_POD_ON_N2),
        violations=4,  # app-1, app-2 (n1) ⇄ app-3 (n2); app-1 ⇄ app-2 stays on n1
    ),
    Case(
        "encrypted-violated-to-outside-even-with-wireguard",
        "encrypted",
        {"from": [A], "to": [{"nets": ["0.0.0.0/0"]}]},
        (WG_ON,),
        violations=1,
    ),
    Case(
        "encrypted-violated-to-a-remote-node-without-host-encryption",
        "encrypted",
        {"from": [A], "to": [{"nodes": {}}]},
        (WG_ON,),
        violations=1,  # app-1 → n2 in clear; app-1 → n1 stays on its node
    ),
    Case(
        "encrypted-holds-to-nodes-with-host-encryption",
        "encrypted",
        {"from": [A], "to": [{"nodes": {}}]},
        (felix(wireguardEnabled=True, wireguardHostEncryptionEnabled=True),),
    ),
    Case(
        "encrypted-holds-with-except",
        "encrypted",
        {"from": [A], "to": [B], "except": [{"to": [B]}]},
    ),
)


def _document(case: Case) -> dict[str, Any]:
    rule = {"name": case.id, "reason": "test", "severity": "high", case.demand: case.body}
    return {
        "apiVersion": "posture.dev/v1alpha1",
        "kind": "Invariants",
        "spec": {"rules": [rule]},
    }


def _check(snapshot: Snapshot, invariants: tuple[Invariant, ...]) -> Report:
    return check(snapshot, CheckOptions(now=lambda: TODAY, invariants=invariants))


def _extra(case: Case) -> list[Obj]:
    out: list[Obj] = [*coredns()]
    for e in case.extra:
        out.extend(e if isinstance(e, list) else [e])
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_invariant(case: Case, load: LoadFn) -> None:
    snapshot = load(*_extra(case))
    invariants = tuple(parse_document(_document(case), "inv.yaml"))
    report = _check(snapshot, invariants)
    (result,) = report.invariants
    assert result.violations == case.violations
    assert result.violations == brute_force(snapshot, invariants[0])
    broken = [f for f in report.findings if f.check_id.startswith("PST-INV-")]
    if not case.violations:
        assert broken == []
        return
    (f,) = broken
    expected_id = {"deny": "PST-INV-001", "allow": "PST-INV-002", "encrypted": "PST-INV-003"}
    assert f.check_id == expected_id[case.demand]
    assert f.count == case.violations
    assert f.title == f"Invariant {case.id!r} broken"
    assert "Example: " in f.message
    assert f.because, "a broken invariant shows the steps that decided its example"
    for line in case.because:
        assert any(line in b for b in f.because), f.because


def test_selecting_nothing_is_an_error(load: LoadFn) -> None:
    doc = _document(Case("typo", "deny", {"from": [{"pods": {"namespaces": ["aa"]}}], "to": [B]}))
    with pytest.raises(ConfigError) as e:
        _check(load(), tuple(parse_document(doc, "inv.yaml")))
    assert e.value.message == (
        "inv.yaml: invariant 'typo': deny.from[0]: selects nothing in this cluster "
        "(pods (namespace aa))"
    )


def test_outside_range_inside_the_cluster_selects_nothing(load: LoadFn) -> None:
    doc = _document(Case("pods-net", "deny", {"from": [{"nets": ["10.244.0.0/16"]}], "to": [B]}))
    with pytest.raises(ConfigError, match=r"deny.from\[0\]: selects nothing"):
        _check(load(), tuple(parse_document(doc, "inv.yaml")))


def test_a_selector_no_policy_mentions_splits_classes_exactly(load: LoadFn) -> None:
    """``tier`` is named by no policy, so without the invariant both a-pods are one class; the
    invariant must still tell them apart (classes are refined by its selectors)."""
    tiered = pod("a", "app-2", "n1", "10.244.1.11", {"app": "app", "tier": "gold"})
    case = Case(
        "gold-never-reaches-b",
        "deny",
        {"from": [{"pods": {"selector": "tier == 'gold'"}}], "to": [B]},
        (tiered,),
    )
    snapshot = load(*_extra(case))
    invariants = tuple(parse_document(_document(case), "inv.yaml"))
    (result,) = _check(snapshot, invariants).invariants
    assert result.violations == 1  # app-2 → db-1, not app-1 → db-1
    assert brute_force(snapshot, invariants[0]) == 1


def test_the_other_findings_do_not_change(load: LoadFn) -> None:
    case = CASES[0]
    snapshot = load(*_extra(case))
    plain = _check(snapshot, ())
    with_invariants = _check(snapshot, tuple(parse_document(_document(case), "inv.yaml")))
    assert [f.id for f in with_invariants.findings if not f.check_id.startswith("PST-INV")] == [
        f.id for f in plain.findings
    ]
    assert [m.id for m in with_invariants.checklist][-1] == "organisation-invariants"
    assert "organisation-invariants" not in [m.id for m in plain.checklist]


# --- the pair-by-pair reference --------------------------------------------------------------


def _endpoints(index: Index, a: Analysis) -> list[tuple[Peer, EndpointView]]:
    """Every endpoint, one by one (outside ranges: the model's ranges, each one endpoint)."""
    out: list[tuple[Peer, EndpointView]] = []
    for p in index.wep_pods:
        peer = index.pod_peer(p)
        out.append((peer, _view(PeerKind.POD, p.namespace, p.labels, "", None)))
    for n in index.snap.nodes:
        if n.addresses:
            out.append((index.host_peer(n), _view(PeerKind.HOST, "", n.labels, n.name, None)))
    for c in a.matrix.classes:
        if c.kind is PeerKind.EXTERNAL:
            out.append((c.rep, _view(PeerKind.EXTERNAL, "", {}, "", c.rep.region)))
    return out


def _view(kind: PeerKind, ns: str, labels: Any, node_name: str, region: Any) -> EndpointView:
    from posture.model.meta import Labels

    return EndpointView(-1, kind, "", ns, Labels(labels), node_name, region, 1)


def brute_force(snapshot: Snapshot, inv: Invariant) -> int:
    """Offending endpoint pairs, decided pair by pair with the path engine."""
    a = analyse(snapshot, refine=refinement([inv]))
    index = a.index
    engine = PathEngine(index)
    sel = _Selections(a)
    asked = sel.flows(inv)
    full = index.universe.full()

    def picks(entries: tuple[Endpoints, ...], v: EndpointView) -> bool:
        return any(sel.matches(e, v) for e in entries)

    count = 0
    eps = _endpoints(index, a)
    for sp, sv in eps:
        if not picks(inv.src, sv):
            continue
        for dp, dv in eps:
            if (dp.kind, dp.address) == (sp.kind, sp.address) or (
                sp.kind is PeerKind.EXTERNAL and dp.kind is PeerKind.EXTERNAL
            ):
                continue
            want: Flows = EMPTY
            for e in inv.dst:
                if sel.matches(e, dv):
                    want = want | sel.toward(e, asked)
            if not want:
                continue
            if any(
                (not x.src or picks(x.src, sv)) and (not x.dst or picks(x.dst, dv))
                for x in inv.exceptions
            ):
                continue
            allowed = EMPTY
            for flows, verdict in engine.decide(sp, dp, full):
                if verdict.allowed:
                    allowed = allowed | flows
            if inv.demand is Demand.DENY:
                count += bool(allowed & want)
            elif inv.demand is Demand.ALLOW:
                count += bool(want - allowed)
            elif allowed & want:
                count += engine.encryption(sp, dp) not in (Encryption.ENCRYPTED, Encryption.LOCAL)
    return count


def test_yaml_round_trip_of_the_table() -> None:
    """Every table row is a valid document (the loader accepts what the docs show)."""
    for case in CASES:
        text = yaml.safe_dump(_document(case))
        assert parse_document(yaml.safe_load(text), "inv.yaml")[0].name == case.id
