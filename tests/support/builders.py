"""Raw API objects for scenarios, each a dict as the API serves it, and the small base cluster.

The base cluster: two nodes (n1 10.0.0.1, n2 10.0.0.2; both publish a WireGuard key, both run
containerd 2.1), namespaces ``a`` and ``b``, one pod in each (``a/app-1`` on n1, ``b/db-1`` on
n2), one IP pool without encapsulation, no policy, no FelixConfiguration, no host endpoint.
A scenario adds objects; an object with the same group/kind/namespace/name as a base object
replaces it, so "one small change" is one object.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from tests.support.snapshots import Doc, objects_of

Obj = dict[str, Any]


# --- builders ---------------------------------------------------------------------------------


def namespace(name: str, **labels: str) -> Obj:
    meta: Obj = {"name": name}
    if labels:
        meta["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def node(
    name: str,
    ip: str,
    *,
    wg_key: bool = True,
    runtime: str = "containerd://2.1.4",
    kubelet: str = "v1.33.2",
    labels: dict[str, str] | None = None,
) -> Obj:
    annotations = {"projectcalico.org/IPv4Address": f"{ip}/24"}
    if wg_key:
        annotations["projectcalico.org/WireguardPublicKey"] = f"{name}Key" + "A" * 36 + "="
    meta: Obj = {"name": name, "annotations": annotations}
    if labels:
        meta["labels"] = labels
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta,
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {"containerRuntimeVersion": runtime, "kubeletVersion": kubelet},
        },
    }


def pod(
    ns: str,
    name: str,
    node_name: str,
    ip: str,
    labels: dict[str, str],
    *,
    ports: Iterable[Obj] = (),
    host_network: bool = False,
) -> Obj:
    spec: Obj = {
        "nodeName": node_name,
        "containers": [{"name": "main", "image": "example", "ports": list(ports)}],
    }
    if host_network:
        spec["hostNetwork"] = True
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": spec,
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]},
    }


def ip_pool(name: str = "default-ipv4", *, ipip: str = "Never", vxlan: str = "Never") -> Obj:
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "IPPool",
        "metadata": {"name": name},
        "spec": {
            "cidr": "10.244.0.0/16",
            "ipipMode": ipip,
            "vxlanMode": vxlan,
            "natOutgoing": True,
            "blockSize": 24,
        },
    }


def felix(name: str = "default", **spec: Any) -> Obj:
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "FelixConfiguration",
        "metadata": {"name": name},
        "spec": spec,
    }


def host_endpoint(name: str, node_name: str, ip: str, **labels: str) -> Obj:
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "HostEndpoint",
        "metadata": {"name": name, "labels": labels},
        "spec": {"node": node_name, "interfaceName": "eth0", "expectedIPs": [ip]},
    }


def gnp(name: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "GlobalNetworkPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }


def coredns(ip: str = "10.244.2.53", node_name: str = "n2") -> list[Obj]:
    """kube-system and one CoreDNS pod (k8s-app: kube-dns) on ``node_name``."""
    return [
        namespace("kube-system"),
        pod(
            "kube-system",
            "coredns-0",
            node_name,
            ip,
            {"k8s-app": "kube-dns"},
            ports=[
                {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                {"name": "dns-tcp", "containerPort": 53},
            ],
        ),
    ]


N1, N2 = "10.0.0.1", "10.0.0.2"
HTTP: Obj = {"name": "http", "containerPort": 8080}
PG: Obj = {"name": "pg", "containerPort": 5432}

BASE: tuple[Obj, ...] = (
    namespace("a", team="a"),
    namespace("b", team="b"),
    node("n1", N1),
    node("n2", N2),
    pod("a", "app-1", "n1", "10.244.1.10", {"app": "app"}, ports=[HTTP]),
    pod("b", "db-1", "n2", "10.244.2.10", {"app": "db"}, ports=[PG]),
    ip_pool(),
)


# --- laying a scenario over the base ----------------------------------------------------------


def _identity(obj: Obj) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    group = str(obj.get("apiVersion") or "").rsplit("/", 1)[0]
    return (group, str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


def cluster(*extra: Doc, base: Iterable[Obj] = BASE, drop: Iterable[str] = ()) -> list[Obj]:
    """``base`` with ``extra`` laid over it; ``drop`` removes base objects by 'Kind/name'."""
    gone = set(drop)
    merged: dict[tuple[str, str, str, str], Obj] = {}
    for obj in [*base, *objects_of(*extra)]:
        if f"{obj['kind']}/{obj['metadata']['name']}" in gone:
            continue
        merged[_identity(obj)] = obj
    return list(merged.values())


def write_cluster(
    directory: Path, *extra: Doc, base: Iterable[Obj] = BASE, drop: Iterable[str] = ()
) -> Path:
    directory.mkdir(parents=True)
    objects = cluster(*extra, base=base, drop=drop)
    (directory / "cluster.yaml").write_text(
        yaml.safe_dump_all(objects, sort_keys=False), encoding="utf-8"
    )
    return directory
