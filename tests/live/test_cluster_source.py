"""ClusterSource against a real API server: every kind, both Calico APIs, paging, RBAC."""

from __future__ import annotations

import gc
import math
import re
from typing import Any

import pytest

from posture.model.coverage import KindCoverage, ReadStatus
from posture.sources import cluster as cluster_mod
from posture.sources import paging
from posture.sources.base import RawInventory
from posture.sources.cluster import ClusterSource
from posture.sources.discovery import CALICO_V1, CALICO_V3

from .conftest import Kube, LiveCluster, dump

pytestmark = pytest.mark.live

SHOP_PODS = 20
PAY_PODS = 3
FELIX_ENV = (("IPV6SUPPORT", "false"), ("LOGSEVERITYSCREEN", "info"), ("WIREGUARDENABLED", "true"))


def _obj(
    api_version: str, kind: str, name: str, namespace: str = "", **body: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if "labels" in body:
        meta["labels"] = body.pop("labels")
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}


def _pod(namespace: str, index: int) -> dict[str, Any]:
    return _obj(
        "v1",
        "Pod",
        f"web-{index}",
        namespace,
        labels={"app": "web"},
        spec={
            "nodeName": f"node-{index % 2}",
            "containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}],
        },
    )


def kubernetes_objects() -> list[dict[str, Any]]:
    """Kubernetes objects of every kind posture reads (namespaces first)."""
    rule = {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 80}]}
    container = {
        "name": "calico-node",
        "image": "calico/node",
        "env": [
            {"name": "FELIX_LOGSEVERITYSCREEN", "value": "info"},
            {"name": "FELIX_WireguardEnabled", "value": "true"},
            {"name": "FELIX_IPV6SUPPORT", "value": "false"},
            {
                "name": "FELIX_HEALTHPORT",
                "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}},
            },
            {"name": "DATASTORE_TYPE", "value": "kubernetes"},
        ],
    }

    def daemonset(name: str, containers: list[dict[str, Any]]) -> dict[str, Any]:
        labels = {"k8s-app": name}
        return _obj(
            "apps/v1",
            "DaemonSet",
            name,
            "kube-system",
            spec={
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}},
            },
        )

    objs = [
        _obj("v1", "Namespace", "shop", labels={"team": "shop"}),
        _obj("v1", "Namespace", "pay", labels={"team": "pay"}),
        _obj("v1", "Node", "node-0", labels={"zone": "a"}),
        _obj("v1", "Node", "node-1", labels={"zone": "b"}),
        *(_pod("shop", i) for i in range(SHOP_PODS)),
        *(_pod("pay", i) for i in range(PAY_PODS)),
        _obj(
            "v1",
            "Service",
            "web",
            "shop",
            spec={"selector": {"app": "web"}, "ports": [{"port": 80}]},
        ),
        _obj("v1", "ServiceAccount", "default", "shop"),
        _obj("v1", "ServiceAccount", "builder", "shop"),
        _obj(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "deny-all",
            "shop",
            spec={"podSelector": {}, "policyTypes": ["Ingress"]},
        ),
        _obj(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "allow-web",
            "shop",
            spec={"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [rule]},
        ),
        daemonset("calico-node", [container]),
        daemonset(
            "kube-proxy",
            [
                {
                    "name": "kube-proxy",
                    "image": "kube-proxy",
                    "env": [{"name": "FELIX_X", "value": "no"}],
                }
            ],
        ),
    ]
    return objs


def calico_objects(api: str) -> list[dict[str, Any]]:
    """One object of each Calico kind posture reads (valid for both CRD flavours)."""
    allow = {"action": "Allow", "protocol": "TCP", "destination": {"ports": [80]}}
    policy = {"selector": "app == 'web'", "types": ["Ingress"], "ingress": [allow]}
    return [
        _obj(api, "Tier", "security", spec={"order": 100}),
        _obj(
            api,
            "GlobalNetworkPolicy",
            "default.deny-egress",
            spec={"selector": "all()", "types": ["Egress"]},
        ),
        _obj(api, "NetworkPolicy", "default.allow-web", "shop", spec=policy),
        _obj(
            api,
            "StagedGlobalNetworkPolicy",
            "default.staged-gnp",
            spec={"selector": "all()", "types": ["Ingress"]},
        ),
        _obj(api, "StagedNetworkPolicy", "default.staged-np", "shop", spec=policy),
        _obj(
            api,
            "StagedKubernetesNetworkPolicy",
            "staged-knp",
            "shop",
            spec={"podSelector": {}, "policyTypes": ["Ingress"]},
        ),
        _obj(
            api,
            "GlobalNetworkSet",
            "outside",
            labels={"role": "ext"},
            spec={"nets": ["203.0.113.0/24"]},
        ),
        _obj(api, "NetworkSet", "partners", "shop", spec={"nets": ["198.51.100.0/24"]}),
        _obj(
            api,
            "HostEndpoint",
            "node-0-eth0",
            labels={"host": "node-0"},
            spec={"node": "node-0", "interfaceName": "eth0", "expectedIPs": ["10.0.0.10"]},
        ),
        _obj(api, "FelixConfiguration", "default", spec={"logSeverityScreen": "Info"}),
        _obj(
            api,
            "IPPool",
            "default-ipv4-ippool",
            spec={"cidr": "192.168.0.0/16", "ipipMode": "Always", "natOutgoing": True},
        ),
        _obj(api, "KubeControllersConfiguration", "default", spec={"controllers": {}}),
    ]


_POPULATED: dict[str, list[dict[str, Any]]] = {}


def populate(cluster: LiveCluster, calico_api: str) -> list[dict[str, Any]]:
    """Create the test objects once per server; pods get IPs through the status subresource."""
    if cluster.name not in _POPULATED:
        objs = kubernetes_objects() + calico_objects(calico_api)
        if calico_api == CALICO_V1:
            objs.append(
                _obj(
                    "operator.tigera.io/v1",
                    "Installation",
                    "default",
                    spec={"calicoNetwork": {"bgp": "Disabled"}},
                )
            )
        cluster.kube.create_all(objs)
        for i, pod in enumerate(o for o in objs if o["kind"] == "Pod"):
            cluster.kube.patch_status(
                pod,
                {
                    "podIP": f"10.244.0.{i + 1}",
                    "podIPs": [{"ip": f"10.244.0.{i + 1}"}],
                    "hostIP": "10.0.0.10",
                    "phase": "Running",
                },
            )
        _POPULATED[cluster.name] = objs
    return _POPULATED[cluster.name]


@pytest.fixture(params=[CALICO_V1, CALICO_V3])
def populated(request: pytest.FixtureRequest) -> tuple[LiveCluster, str, list[dict[str, Any]]]:
    """A server of the requested Calico flavour with the test objects in it."""
    api: str = request.param
    name = "calico_v1_cluster" if api == CALICO_V1 else "calico_v3_cluster"
    cluster: LiveCluster = request.getfixturevalue(name)
    return cluster, api, populate(cluster, api)


def coverage_of(inv: RawInventory, kind: str, group: str) -> KindCoverage:
    matches = [k for k in inv.coverage.kinds if k.kind == kind and k.api_group == group]
    assert len(matches) == 1, dump([str(k) for k in inv.coverage.kinds])
    return matches[0]


def names(inv: RawInventory, api_version: str, kind: str) -> list[str]:
    return sorted(
        f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}"
        for o in inv.objects
        if o["apiVersion"] == api_version and o["kind"] == kind
    )


def test_reads_every_kind(populated: tuple[LiveCluster, str, list[dict[str, Any]]]) -> None:
    cluster, calico_api, created = populated
    lines: list[str] = []
    source = ClusterSource(
        kubeconfig=str(cluster.admin_kubeconfig), context=None, progress=lines.append
    )
    inv = source.read_inventory()

    # Every created object comes back with apiVersion/kind filled in; counts match the server.
    for api_version, kind in sorted({(o["apiVersion"], o["kind"]) for o in created}):
        got = names(inv, api_version, kind)
        truth = cluster.kube.list_names(api_version, kind)
        assert got == truth
        for obj in created:
            if (obj["apiVersion"], obj["kind"]) == (api_version, kind):
                ref = f"{obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}"
                assert ref in got, f"{kind} {ref} missing"
        group = api_version.rpartition("/")[0] or "core"
        cov = coverage_of(inv, kind, group)
        assert cov.status is ReadStatus.READ, cov
        assert cov.count == len(got)
    assert len(inv.objects) == len(inv.locations)
    assert inv.coverage.complete

    # Every DaemonSet is read (Felix runs under other names too, e.g. Canal's); only the
    # container running Felix gives felix_env: kube-proxy's FELIX_X is not a Felix setting.
    daemonsets = ["kube-system/calico-node", "kube-system/kube-proxy"]
    assert names(inv, "apps/v1", "DaemonSet") == daemonsets
    prov = inv.provenance
    assert prov.felix_env == FELIX_ENV
    assert prov.calico_api == calico_api
    assert prov.source == cluster.server
    assert (prov.cluster, prov.context) == ("envtest", cluster.name)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", prov.generated_at)
    assert prov.server_version.startswith("v1.")

    # Pod status patched through the subresource is what the source returns.
    pod = next(o for o in inv.objects if o["kind"] == "Pod" and o["metadata"]["name"] == "web-0")
    assert pod["status"]["podIP"].startswith("10.244.0.")
    loc = inv.locations[inv.objects.index(pod)]
    assert loc.origin.startswith(cluster.server + "/api/v1/namespaces/")

    # Profile is served only by Calico's API server; Installation only with its CRD.
    profile = coverage_of(inv, "Profile", calico_api.split("/")[0])
    assert profile.status is ReadStatus.ABSENT
    installation = coverage_of(inv, "Installation", "operator.tigera.io")
    expected = ReadStatus.READ if calico_api == CALICO_V1 else ReadStatus.ABSENT
    assert installation.status is expected
    assert f"pods: {SHOP_PODS + PAY_PODS} in 1 page" in lines


def test_paginates_in_chunks(calico_v1_cluster: LiveCluster) -> None:
    populate(calico_v1_cluster, CALICO_V1)
    lines: list[str] = []
    source = ClusterSource(
        kubeconfig=str(calico_v1_cluster.admin_kubeconfig),
        context=None,
        chunk_size=5,
        progress=lines.append,
    )
    inv = source.read_inventory()
    pods = SHOP_PODS + PAY_PODS
    assert len(names(inv, "v1", "Pod")) == pods
    cov = coverage_of(inv, "Pod", "core")
    assert (cov.count, cov.pages) == (pods, math.ceil(pods / 5))
    assert f"pods: {pods} in {math.ceil(pods / 5)} pages" in lines
    # no object read twice across pages
    assert len(set(names(inv, "v1", "Pod"))) == pods


def test_pages_read_ahead_give_what_one_page_gives(
    populated: tuple[LiveCluster, str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small pages, each next request sent while the page in hand is parsed, read the same
    objects as one page a kind. The real server's answers take both ways of finding the next
    page: built-in lists carry their continue token in the answer's head, custom resources
    (Calico's CRDs, encoded with keys sorted) after the items, so those are parsed first."""
    cluster, calico_api, _objs = populated
    heads: dict[str, list[str | None]] = {}
    original = paging.head_continue_token
    original_get = cluster_mod._Api.get_raw

    def get_raw(self: Any, path: str, query: Any = (), *, doing: str) -> bytes:
        data: bytes = original_get(self, path, query, doing=doing)
        heads.setdefault(path, []).append(original(data))
        return data

    monkeypatch.setattr(cluster_mod._Api, "get_raw", get_raw)
    small = ClusterSource(
        kubeconfig=str(cluster.admin_kubeconfig), context=None, chunk_size=2
    ).read_inventory()
    monkeypatch.undo()
    whole = ClusterSource(
        kubeconfig=str(cluster.admin_kubeconfig), context=None, chunk_size=500
    ).read_inventory()

    def keyed(inv: RawInventory) -> dict[str, Any]:
        return {loc.origin: obj for obj, loc in zip(inv.objects, inv.locations, strict=True)}

    assert keyed(small) == keyed(whole)
    assert gc.isenabled()  # paused while reading only
    # Pods converted as their pages came, each entry for an object of the inventory.
    assert len(small.prepared) == SHOP_PODS + PAY_PODS
    kept = {id(o) for o in small.objects}
    assert all(key == id(obj) and key in kept for key, (obj, _f) in small.prepared.items())
    assert [(k.kind, k.count) for k in small.coverage.kinds] == [
        (k.kind, k.count) for k in whole.coverage.kinds
    ]
    pods = heads["/api/v1/pods"]
    assert len(pods) == math.ceil((SHOP_PODS + PAY_PODS) / 2)
    assert all(pods[:-1])  # tokens read from the head
    assert pods[-1] == ""  # the last page has none
    calico = {p: h for p, h in heads.items() if p.startswith(f"/apis/{calico_api}/")}
    assert len(calico) >= 10
    assert {h for hs in calico.values() for h in hs} == {None}  # metadata after the items


def test_user_without_permissions_gets_forbidden_not_empty(calico_v1_cluster: LiveCluster) -> None:
    populate(calico_v1_cluster, CALICO_V1)
    inv = ClusterSource(
        kubeconfig=str(calico_v1_cluster.token_kubeconfig), context=None
    ).read_inventory()
    assert inv.objects == []
    for cov in inv.coverage.kinds:
        if cov.kind in ("Installation", "Profile"):
            continue  # served or not, never listable by this user (checked below)
        if cov.api_group in ("policy.networking.k8s.io", "discovery.k8s.io"):
            # AdminNetworkPolicy & co., and EndpointSlice v1 (Kubernetes 1.21+), are not served
            # by this 1.20 server at all.
            assert cov.status is ReadStatus.ABSENT, cov
            continue
        assert cov.status is ReadStatus.FORBIDDEN, cov
        assert "cannot list" in cov.reason
        assert "posture-nobody" in cov.reason
        assert "\n" not in cov.reason
    assert coverage_of(inv, "Installation", "operator.tigera.io").status is ReadStatus.FORBIDDEN
    assert not inv.coverage.complete


def _grant_all_but(kube: Kube, user: str, missing: tuple[str, str]) -> None:
    """A ClusterRole listing every kind posture reads except ``missing`` (group, resource)."""
    wanted = {
        "": ["namespaces", "nodes", "pods", "services", "serviceaccounts", "endpoints"],
        "discovery.k8s.io": ["endpointslices"],
        "networking.k8s.io": ["networkpolicies"],
        "apps": ["daemonsets"],
        "operator.tigera.io": ["installations"],
        "crd.projectcalico.org": [
            "tiers",
            "globalnetworkpolicies",
            "networkpolicies",
            "stagedglobalnetworkpolicies",
            "stagednetworkpolicies",
            "stagedkubernetesnetworkpolicies",
            "globalnetworksets",
            "networksets",
            "hostendpoints",
            "felixconfigurations",
            "ippools",
            "kubecontrollersconfigurations",
        ],
    }
    rules = [
        {
            "apiGroups": [group],
            "resources": [r for r in res if (group, r) != missing],
            "verbs": ["get", "list"],
        }
        for group, res in wanted.items()
    ]
    role = f"posture-{user}"
    rbac = "rbac.authorization.k8s.io/v1"
    kube.create(_obj(rbac, "ClusterRole", role, rules=rules))
    kube.create(
        _obj(
            rbac,
            "ClusterRoleBinding",
            role,
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            subjects=[
                {"kind": "User", "name": f"posture-{user}", "apiGroup": "rbac.authorization.k8s.io"}
            ],
        )
    )


@pytest.fixture(scope="module")
def partial_user(calico_v1_cluster: LiveCluster) -> LiveCluster:
    """User ``posture-partial`` may list everything but Calico GlobalNetworkPolicies."""
    populate(calico_v1_cluster, CALICO_V1)
    _grant_all_but(
        calico_v1_cluster.kube, "partial", ("crd.projectcalico.org", "globalnetworkpolicies")
    )
    return calico_v1_cluster


def test_role_missing_one_kind_makes_only_that_kind_forbidden(partial_user: LiveCluster) -> None:
    inv = ClusterSource(
        kubeconfig=str(partial_user.token_kubeconfigs["partial"]), context=None
    ).read_inventory()
    gnp = coverage_of(inv, "GlobalNetworkPolicy", "crd.projectcalico.org")
    assert gnp.status is ReadStatus.FORBIDDEN
    assert "globalnetworkpolicies" in gnp.reason
    assert [k.kind for k in inv.coverage.unknown] == ["GlobalNetworkPolicy"]
    assert names(inv, CALICO_V1, "GlobalNetworkPolicy") == []
    assert len(names(inv, "v1", "Pod")) == SHOP_PODS + PAY_PODS


def test_preflight_names_the_missing_permission(partial_user: LiveCluster) -> None:
    source = ClusterSource(kubeconfig=str(partial_user.token_kubeconfigs["partial"]), context=None)
    checks = source.preflight()
    denied = [c for c in checks if not c[3]]
    assert denied == [("list", "crd.projectcalico.org", "globalnetworkpolicies", False)]
    assert ("list", "", "pods", True) in checks
    # 9 Kubernetes kinds (EndpointSlice v1 is not served by 1.20) + 12 Calico CRDs (no Profile
    # in v1)
    assert len(checks) == 21
    admin = ClusterSource(kubeconfig=str(partial_user.admin_kubeconfig), context=None)
    everything = admin.preflight()
    assert [c[:3] for c in everything] == [c[:3] for c in checks]
    assert [c for c in everything if not c[3]] == []
