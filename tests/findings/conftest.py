"""Helpers for the finding scenarios: a tiny base cluster, object builders, and a ``check``
fixture that writes manifests to a temporary directory, runs the whole pipeline on them (as
``posture check --from DIR`` does) and returns the report.

The base cluster: two nodes (n1 10.0.0.1, n2 10.0.0.2; both publish a WireGuard key, both run
containerd 2.1), namespaces ``a`` and ``b``, one pod in each (``a/app-1`` on n1, ``b/db-1`` on
n2), one IP pool without encapsulation, no policy, no FelixConfiguration, no host endpoint.
A scenario adds objects; an object with the same group/kind/namespace/name as a base object
replaces it, so "one small change" is one object.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml

from posture.findings.base import Finding, PathInfo
from posture.findings.rules import default_registry
from posture.model.snapshot import Snapshot
from posture.pipeline import CheckOptions, check_snapshot
from posture.report.model import Report
from posture.sources import offline_source

# The day the scenarios are judged on (end-of-life dates): fixed so that tests do not rot.
TODAY = datetime(2026, 11, 27, tzinfo=UTC)

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


# --- running ----------------------------------------------------------------------------------

Doc = Obj | str | Iterable[Obj]


def _docs(items: Iterable[Doc]) -> list[Obj]:
    out: list[Obj] = []
    for item in items:
        if isinstance(item, str):
            out.extend(d for d in yaml.safe_load_all(item) if d)
        elif isinstance(item, dict):
            out.append(item)
        else:
            out.extend(item)
    return out


def _identity(obj: Obj) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    group = str(obj.get("apiVersion") or "").rsplit("/", 1)[0]
    return (group, str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


def cluster(*extra: Doc, base: Iterable[Obj] = BASE, drop: Iterable[str] = ()) -> list[Obj]:
    """``base`` with ``extra`` laid over it; ``drop`` removes base objects by 'Kind/name'."""
    gone = set(drop)
    merged: dict[tuple[str, str, str, str], Obj] = {}
    for obj in [*base, *_docs(extra)]:
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


def run_check(snapshot: Snapshot, today: datetime = TODAY) -> Report:
    """The pipeline after loading, with every built-in rule, judged on ``today``."""
    return check_snapshot(
        snapshot, registry=default_registry(), options=CheckOptions(now=lambda: today)
    )


class LoadFn(Protocol):
    def __call__(
        self, *extra: Doc, base: Iterable[Obj] = BASE, drop: Iterable[str] = ()
    ) -> Snapshot: ...


class CheckFn(Protocol):
    def __call__(
        self,
        *extra: Doc,
        base: Iterable[Obj] = BASE,
        drop: Iterable[str] = (),
        today: datetime = TODAY,
    ) -> Report: ...


@pytest.fixture
def load(tmp_path: Path) -> LoadFn:
    """Writes the scenario's manifests to a fresh directory and loads them as
    ``posture check --from DIR`` does."""
    counter = itertools.count()

    def run(*extra: Doc, base: Iterable[Obj] = BASE, drop: Iterable[str] = ()) -> Snapshot:
        directory = write_cluster(
            tmp_path / f"cluster-{next(counter)}", *extra, base=base, drop=drop
        )
        return offline_source([directory]).load()

    return run


@pytest.fixture
def check(load: LoadFn) -> CheckFn:
    def run(
        *extra: Doc,
        base: Iterable[Obj] = BASE,
        drop: Iterable[str] = (),
        today: datetime = TODAY,
    ) -> Report:
        return run_check(load(*extra, base=base, drop=drop), today)

    return run


# --- reading findings -------------------------------------------------------------------------


def of(report: Report, check_id: str) -> list[Finding]:
    return [f for f in report.findings if f.check_id == check_id]


def one(
    report: Report, check_id: str, where: Callable[[Finding], bool] = lambda f: True
) -> Finding:
    """The single finding of ``check_id`` that satisfies ``where``."""
    hits = [f for f in of(report, check_id) if where(f)]
    assert len(hits) == 1, f"expected one {check_id}, got {[f.title for f in of(report, check_id)]}"
    return hits[0]


def ids(report: Report) -> set[str]:
    return {f.check_id for f in report.findings}


def subjects(f: Finding) -> set[str]:
    return {str(s) for s in f.subjects}


def titled(suffix: str) -> Callable[[Finding], bool]:
    """Selects findings whose title ends with ``suffix`` (e.g. a direction in parentheses)."""
    return lambda f: f.title.endswith(suffix)


def path_of(f: Finding) -> PathInfo:
    assert f.path is not None, f"{f.check_id} has no path"
    return f.path


def because(f: Finding) -> str:
    return "\n".join(f.because)
