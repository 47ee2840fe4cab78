"""The synthetic clusters of ``scripts/bench``: deterministic for a size, a seed and a shape.

Shapes: ``hardened`` (Kubernetes NetworkPolicies per namespace, a cluster-wide Calico default
deny, tiers with Pass, host endpoints on about one node in ten), ``open`` (no policy and no
host endpoint at all: everything reaches everything) and ``partial`` (the common half-measures,
:mod:`benchshapes`).
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHAPES = ("hardened", "open", "partial")

Obj = dict[str, Any]


@dataclass(frozen=True)
class Size:
    pods: int
    nodes: int
    policies: int


SIZES = {
    "tiny": Size(200, 4, 20),
    "small": Size(1_000, 20, 100),
    "medium": Size(20_000, 500, 1_000),
    "largest": Size(150_000, 5_000, 10_000),
}

APPS = (
    "frontend",
    "api",
    "cart",
    "checkout",
    "db",
    "cache",
    "worker",
    "auth",
    "search",
    "ledger",
    "notify",
    "gateway",
    "reports",
    "billing",
    "catalog",
    "inventory",
)
TIERS_OF_APP = ("web", "backend", "data")
TEAMS = ("web", "payments", "data", "platform", "ml", "growth")
ENVS = ("prod", "staging", "dev")
# name, port, protocol
APP_PORTS = (
    ("http", 8080, "TCP"),
    ("metrics", 9090, "TCP"),
    ("grpc", 9000, "TCP"),
    ("pg", 5432, "TCP"),
    ("redis", 6379, "TCP"),
)


def _hash(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(10))


def _meta(name: str, namespace: str = "", labels: dict[str, str] | None = None) -> Obj:
    m: Obj = {"name": name}
    if namespace:
        m["namespace"] = namespace
    if labels:
        m["labels"] = labels
    return m


class Generator:
    """Builds the raw objects of one synthetic cluster (deterministic for a seed)."""

    def __init__(self, size: Size, seed: int, shape: str = "hardened", deny: float = 1 / 3) -> None:
        self.size = size
        self.shape = shape
        self.deny = deny  # partial: the fraction of application namespaces with a default deny
        self.rng = random.Random(seed)
        self.objects: list[Obj] = []
        self.node_names: list[str] = []
        self.node_ips: list[str] = []
        self.namespaces: list[str] = []
        self.ns_team: dict[str, str] = {}
        self.ns_apps: dict[str, list[str]] = {}
        self.policy_count = 0

    # --- infrastructure -------------------------------------------------------------------

    def nodes(self) -> None:
        rng = self.rng
        for i in range(self.size.nodes):
            name = f"node-{i:05d}"
            ip = f"10.0.{i // 250}.{i % 250 + 1}"
            block = f"10.{128 + i // 256}.{i % 256}"
            ann = {
                "projectcalico.org/IPv4Address": f"{ip}/16",
                "projectcalico.org/IPv4IPIPTunnelAddr": f"{block}.1",
            }
            if rng.random() < 0.9:
                ann["projectcalico.org/WireguardPublicKey"] = f"key{i:05d}" + "A" * 36 + "="
            role = "control-plane" if i < 3 else "worker"
            zone = f"zone-{i % 3}"
            labels = {
                "kubernetes.io/hostname": name,
                f"node-role.kubernetes.io/{role}": "",
                "topology.kubernetes.io/zone": zone,
            }
            self.objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {**_meta(name, labels=labels), "annotations": ann},
                    "spec": {"podCIDR": f"{block}.0/24"},
                    "status": {
                        "addresses": [
                            {"type": "InternalIP", "address": ip},
                            {"type": "Hostname", "address": name},
                        ],
                        "nodeInfo": {
                            "containerRuntimeVersion": "containerd://1.7.13",
                            "kubeletVersion": "v1.29.4",
                        },
                    },
                }
            )
            self.node_names.append(name)
            self.node_ips.append(ip)
            # Hardened: host endpoints on about one node in ten (ingress nodes and the control
            # plane); partial: on every other node; open: none (a host endpoint denies by default).
            if self.shape == "open":
                hep = False
            elif self.shape == "partial":
                hep = i % 2 == 0
            else:
                hep = i < 3 or rng.random() < 0.1
            if hep:
                self.objects.append(
                    {
                        "apiVersion": "projectcalico.org/v3",
                        "kind": "HostEndpoint",
                        "metadata": _meta(
                            f"{name}-eth0",
                            labels={
                                "hep": "true",
                                "role": role,
                                "kubernetes.io/hostname": name,
                            },
                        ),
                        "spec": {
                            "node": name,
                            "interfaceName": "*",
                            "expectedIPs": [ip],
                            "ports": [{"name": "kubelet", "port": 10250, "protocol": "TCP"}],
                        },
                    }
                )
            for ds, ns, labels, ports in (
                (
                    "kube-proxy",
                    "kube-system",
                    {"k8s-app": "kube-proxy"},
                    [("metrics", 10249), ("health", 10256)],
                ),
                (
                    "calico-node",
                    "calico-system",
                    {"k8s-app": "calico-node"},
                    [("bgp", 179), ("felix-metrics", 9091)],
                ),
            ):
                self.objects.append(
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "metadata": _meta(
                            f"{ds}-{name}",
                            ns,
                            {**labels, "controller-revision-hash": "7d9f8c6b5"},
                        ),
                        "spec": {
                            "nodeName": name,
                            "hostNetwork": True,
                            "containers": [
                                {
                                    "name": "main",
                                    "ports": [{"name": n, "containerPort": p} for n, p in ports],
                                }
                            ],
                        },
                        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]},
                    }
                )

    def config(self) -> None:
        self.objects.extend(
            [
                {
                    "apiVersion": "projectcalico.org/v3",
                    "kind": "FelixConfiguration",
                    "metadata": _meta("default"),
                    "spec": {"wireguardEnabled": True, "bpfEnabled": False},
                },
                {
                    "apiVersion": "projectcalico.org/v3",
                    "kind": "IPPool",
                    "metadata": _meta("default-ipv4-ippool"),
                    "spec": {
                        "cidr": "10.128.0.0/10",
                        "ipipMode": "Always",
                        "natOutgoing": True,
                        "blockSize": 24,
                    },
                },
                {
                    "apiVersion": "projectcalico.org/v3",
                    "kind": "Tier",
                    "metadata": _meta("security"),
                    "spec": {"order": 100, "defaultAction": "Pass"},
                },
                {
                    "apiVersion": "projectcalico.org/v3",
                    "kind": "Tier",
                    "metadata": _meta("platform"),
                    "spec": {"order": 200},
                },
                {
                    "apiVersion": "projectcalico.org/v3",
                    "kind": "GlobalNetworkSet",
                    "metadata": _meta("threat-feed", labels={"feed": "blocklist"}),
                    "spec": {"nets": ["198.51.100.0/24", "192.0.2.0/25"]},
                },
                {
                    "apiVersion": "projectcalico.org/v3",
                    "kind": "GlobalNetworkSet",
                    "metadata": _meta("corp-vpn", labels={"net": "corp"}),
                    "spec": {"nets": ["172.16.0.0/12"]},
                },
            ]
        )

    # --- workloads ------------------------------------------------------------------------

    def workloads(self) -> None:
        rng = self.rng
        n_ns = max(3, self.size.policies // 10)
        workload_pods = max(0, self.size.pods - 2 * self.size.nodes)
        system = ["kube-system", "monitoring"]
        app_ns = [f"{rng.choice(TEAMS)}-{i:04d}" for i in range(n_ns)]
        for ns in system + app_ns:
            team = "sre" if ns == "monitoring" else ns.split("-")[0]
            self.ns_team[ns] = team
            labels = {"kubernetes.io/metadata.name": ns}
            if ns not in ("kube-system",):
                labels.update({"team": team, "env": rng.choice(ENVS)})
            if team == "payments":
                labels["pci"] = "true"
            j = len(self.namespaces) - len(system)
            if self.shape == "partial" and j >= 0 and int((j + 1) * self.deny) > int(j * self.deny):
                labels["deny"] = "true"  # default deny only in some namespaces
            self.objects.append(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(ns, labels=labels)}
            )
            self.namespaces.append(ns)
        # System workloads scale with the cluster.
        dns = max(2, workload_pods // 2000)
        self._deployment("kube-system", "coredns", {"k8s-app": "kube-dns"}, dns, 53, "UDP")
        self._deployment("monitoring", "prometheus", {"app": "prometheus"}, 2, 9090, "TCP")
        self._deployment("kube-system", "metrics-server", {"k8s-app": "metrics-server"}, 1)
        left = workload_pods - dns - 3
        per_ns = max(1, left // max(1, len(app_ns)))
        for k, ns in enumerate(app_ns):
            budget = per_ns if k < len(app_ns) - 1 else max(1, left - per_ns * (len(app_ns) - 1))
            apps = rng.sample(APPS, rng.randint(5, 10))
            self.ns_apps[ns] = apps
            weights = [rng.random() + 0.2 for _ in apps]
            total = sum(weights)
            counts = [max(1, int(budget * w / total)) for w in weights]
            counts[0] += budget - sum(counts)
            for app, count in zip(apps, counts, strict=True):
                if count <= 0:
                    continue
                labels = {
                    "app": app,
                    "tier": rng.choice(TIERS_OF_APP),
                    "version": rng.choice(("v1", "v1", "v2")),
                }
                roll = rng.random()
                if app == "db" or roll < 0.05:
                    self._statefulset(ns, app, labels, count)
                elif roll < 0.08:
                    self._jobs(ns, app, labels, count)
                else:
                    self._deployment(ns, app, labels, count)
                self.objects.append(
                    {
                        "apiVersion": "v1",
                        "kind": "Service",
                        "metadata": _meta(app, ns),
                        "spec": {
                            "type": "NodePort" if app == "gateway" else "ClusterIP",
                            "selector": {"app": app},
                            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
                        },
                    }
                )

    def _pod(
        self,
        ns: str,
        name: str,
        labels: dict[str, str],
        port: int = 8080,
        proto: str = "TCP",
        sa: str = "default",
        metrics: bool = False,
    ) -> None:
        rng = self.rng
        node = rng.randrange(len(self.node_names))
        block = f"10.{128 + node // 256}.{node % 256}"
        self._ip_next = getattr(self, "_ip_next", {})
        n = self._ip_next.get(node, 2)
        self._ip_next[node] = n + 1
        ip = f"{block}.{n if n <= 254 else 2 + (n - 2) % 253}"
        ports = [{"name": "http", "containerPort": port, "protocol": proto}]
        if metrics:
            ports.append({"name": "metrics", "containerPort": 9090})
        self.objects.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": _meta(name, ns, labels),
                "spec": {
                    "nodeName": self.node_names[node],
                    "serviceAccountName": sa,
                    "containers": [{"name": "main", "ports": ports}],
                },
                "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]},
            }
        )

    def _deployment(
        self,
        ns: str,
        app: str,
        labels: dict[str, str],
        replicas: int,
        port: int = 8080,
        proto: str = "TCP",
    ) -> None:
        rs = _hash(self.rng)
        lab = {**labels, "pod-template-hash": rs}
        metrics = self.rng.random() < 0.5
        for _ in range(replicas):
            suffix = _hash(self.rng)[:5]
            self._pod(ns, f"{app}-{rs}-{suffix}", lab, port, proto, sa=app, metrics=metrics)

    def _statefulset(self, ns: str, app: str, labels: dict[str, str], replicas: int) -> None:
        rev = _hash(self.rng)
        for i in range(replicas):
            name = f"{app}-{i}"
            lab = {
                **labels,
                "controller-revision-hash": f"{app}-{rev}",
                "statefulset.kubernetes.io/pod-name": name,
            }
            self._pod(ns, name, lab, 5432, sa=app, metrics=True)

    def _jobs(self, ns: str, app: str, labels: dict[str, str], count: int) -> None:
        for _ in range(count):
            uid = _hash(self.rng)
            lab = {**labels, "job-name": f"{app}-{uid[:6]}", "controller-uid": uid}
            self._pod(ns, f"{app}-{uid[:6]}-{uid[6:]}", lab, sa=app)

    # --- policy ---------------------------------------------------------------------------

    def _policy(self, obj: Obj) -> None:
        self.objects.append(obj)
        self.policy_count += 1

    def _knp(self, ns: str, name: str, spec: Obj) -> None:
        self._policy(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": _meta(name, ns),
                "spec": spec,
            }
        )

    def calico_globals(self) -> None:
        gnp = "GlobalNetworkPolicy"
        api = "projectcalico.org/v3"
        self._policy(
            {
                "apiVersion": api,
                "kind": gnp,
                "metadata": _meta("security.block-threats"),
                "spec": {
                    "tier": "security",
                    "order": 10,
                    "selector": "projectcalico.org/orchestrator == 'k8s'",
                    "types": ["Egress"],
                    "egress": [
                        {"action": "Deny", "destination": {"selector": "feed == 'blocklist'"}},
                        {
                            "action": "Deny",
                            "protocol": "TCP",
                            "destination": {"nets": ["169.254.169.254/32"], "ports": [80]},
                        },
                        {"action": "Pass"},
                    ],
                },
            }
        )
        self._policy(
            {
                "apiVersion": api,
                "kind": gnp,
                "metadata": _meta("security.pci-ingress"),
                "spec": {
                    "tier": "security",
                    "order": 20,
                    "selector": "pcns.pci == 'true'",
                    "types": ["Ingress"],
                    "ingress": [
                        {"action": "Pass", "source": {"namespaceSelector": "pci == 'true'"}},
                        {"action": "Pass", "source": {"namespaceSelector": "team == 'sre'"}},
                        {"action": "Deny"},
                    ],
                },
            }
        )
        self._policy(
            {
                "apiVersion": api,
                "kind": gnp,
                "metadata": _meta("platform.allow-dns"),
                "spec": {
                    "tier": "platform",
                    "order": 10,
                    "selector": "all()",
                    "types": ["Egress"],
                    "egress": [
                        {
                            "action": "Allow",
                            "protocol": "UDP",
                            "destination": {
                                "selector": "k8s-app == 'kube-dns'",
                                "namespaceSelector": "projectcalico.org/name == 'kube-system'",
                                "ports": [53],
                            },
                        },
                        {"action": "Pass"},
                    ],
                },
            }
        )
        self._policy(
            {
                "apiVersion": api,
                "kind": gnp,
                "metadata": _meta("platform.host-ingress"),
                "spec": {
                    "tier": "platform",
                    "order": 50,
                    "selector": "hep == 'true'",
                    "types": ["Ingress"],
                    "ingress": [
                        {
                            "action": "Allow",
                            "protocol": "TCP",
                            "source": {"nets": ["10.0.0.0/16"]},
                            "destination": {"ports": ["kubelet", 179]},
                        },
                        {"action": "Allow", "source": {"selector": "role == 'control-plane'"}},
                        {"action": "Deny", "protocol": "TCP", "destination": {"ports": [22]}},
                    ],
                },
            }
        )
        self._policy(
            {
                "apiVersion": api,
                "kind": gnp,
                "metadata": _meta("platform.host-pre-dnat"),
                "spec": {
                    "tier": "platform",
                    "order": 40,
                    "selector": "hep == 'true'",
                    "preDNAT": True,
                    "applyOnForward": True,
                    "types": ["Ingress"],
                    "ingress": [
                        {
                            "action": "Deny",
                            "protocol": "TCP",
                            "source": {"selector": "net == 'corp'"},
                            "destination": {"ports": ["30000:32767"]},
                        }
                    ],
                },
            }
        )
        self._policy(
            {
                "apiVersion": api,
                "kind": gnp,
                "metadata": _meta("default-deny"),
                "spec": {
                    "order": 2000,
                    "selector": "projectcalico.org/namespace not in {'kube-system'}",
                    "types": ["Ingress", "Egress"],
                },
            }
        )

    def namespace_policies(self) -> None:
        rng = self.rng
        app_ns = [ns for ns in self.namespaces if ns in self.ns_apps]
        target = self.size.policies
        # Round-robin over namespaces so every namespace gets its baseline first.
        kinds = [
            "default-deny",
            "allow-dns",
            "from-app",
            "from-monitoring",
            "egress-app",
            "ipblock",
            "from-namespace",
            "calico-deny",
            "port-range",
            "from-app",
        ]
        k = 0
        while self.policy_count < target and app_ns:
            for ns in app_ns:
                if self.policy_count >= target:
                    break
                kind = kinds[k % len(kinds)]
                self._ns_policy(ns, kind, k, rng)
            k += 1

    def _ns_policy(self, ns: str, kind: str, k: int, rng: random.Random) -> None:
        apps = self.ns_apps[ns]
        a, b = rng.sample(apps, 2)
        name = f"{kind}-{k}"
        http = [{"port": "http"}]
        if kind == "default-deny":
            self._knp(ns, name, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
        elif kind == "allow-dns":
            self._knp(
                ns,
                name,
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {
                                            "kubernetes.io/metadata.name": "kube-system"
                                        }
                                    },
                                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                                }
                            ],
                            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}],
                        }
                    ],
                },
            )
        elif kind == "from-app":
            self._knp(
                ns,
                name,
                {
                    "podSelector": {"matchLabels": {"app": b}},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {"from": [{"podSelector": {"matchLabels": {"app": a}}}], "ports": http}
                    ],
                },
            )
        elif kind == "egress-app":
            self._knp(
                ns,
                name,
                {
                    "podSelector": {"matchLabels": {"app": a}},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [
                                {
                                    "podSelector": {
                                        "matchExpressions": [
                                            {"key": "app", "operator": "In", "values": [b, "cache"]}
                                        ]
                                    }
                                }
                            ],
                            "ports": [*http, {"port": 6379}],
                        }
                    ],
                },
            )
        elif kind == "from-monitoring":
            self._knp(
                ns,
                name,
                {
                    "podSelector": {},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {"matchLabels": {"team": "sre"}},
                                    "podSelector": {"matchLabels": {"app": "prometheus"}},
                                }
                            ],
                            "ports": [{"port": "metrics"}],
                        }
                    ],
                },
            )
        elif kind == "ipblock":
            self._knp(
                ns,
                name,
                {
                    "podSelector": {"matchLabels": {"app": a}},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [
                                {
                                    "ipBlock": {
                                        "cidr": "203.0.113.0/24",
                                        "except": ["203.0.113.128/25"],
                                    }
                                }
                            ],
                            "ports": [{"port": 443}],
                        }
                    ],
                },
            )
        elif kind == "from-namespace":
            team = rng.choice(TEAMS)
            self._knp(
                ns,
                name,
                {
                    "podSelector": {"matchLabels": {"app": a}},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [{"namespaceSelector": {"matchLabels": {"team": team}}}],
                            "ports": http,
                        }
                    ],
                },
            )
        elif kind == "port-range":
            self._knp(
                ns,
                name,
                {
                    "podSelector": {"matchLabels": {"app": a, "tier": "backend"}},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [{"podSelector": {"matchLabels": {"app": b}}}],
                            "ports": [{"port": 9100, "endPort": 9110}],
                        }
                    ],
                },
            )
        else:  # calico-deny: a namespaced Calico policy in the security tier
            self._policy(
                {
                    "apiVersion": "projectcalico.org/v3",
                    "kind": "NetworkPolicy",
                    "metadata": _meta(f"security.{name}", ns),
                    "spec": {
                        "tier": "security",
                        "order": 100 + k,
                        "selector": f"app == '{a}'",
                        "types": ["Ingress"],
                        "ingress": [
                            {
                                "action": "Deny",
                                "protocol": "TCP",
                                "source": {"selector": f"app == '{b}'"},
                                "destination": {"ports": [22, "5000:5999"]},
                            },
                            {"action": "Pass"},
                        ],
                    },
                }
            )

    def build(self) -> list[Obj]:
        self.nodes()
        self.config()
        self.workloads()
        if self.shape == "hardened":
            self.calico_globals()
            self.namespace_policies()
        elif self.shape == "partial":
            from benchshapes import partial_globals, partial_namespace_policies

            partial_globals(self)
            partial_namespace_policies(self)
        return self.objects


def snapshot_document(objects: list[Obj], name: str) -> Obj:
    counts: dict[tuple[str, str], int] = {}
    for obj in objects:
        api = str(obj["apiVersion"])
        group = api.rsplit("/", 1)[0] if "/" in api else ""
        counts[(str(obj["kind"]), group)] = counts.get((str(obj["kind"]), group), 0) + 1
    return {
        "apiVersion": "posture.dev/v1alpha1",
        "kind": "Snapshot",
        "schemaVersion": 1,
        "metadata": {
            "source": f"scripts/bench {name}",
            "cluster": name,
            "generated_at": "2025-01-01T00:00:00Z",
            "calico_api": "projectcalico.org/v3",
        },
        "coverage": [
            {"kind": k, "api_group": g, "status": "read", "count": c, "pages": 1, "reason": ""}
            for (k, g), c in sorted(counts.items())
        ],
        "objects": objects,
    }


def generate(
    size: Size, seed: int, path: Path, name: str, shape: str = "hardened", deny: float = 1 / 3
) -> dict[str, int]:
    gen = Generator(size, seed, shape, deny)
    objects = gen.build()
    doc = snapshot_document(objects, name)
    data = json.dumps(doc, separators=(",", ":")).encode()
    # The same encoding rule as posture's own snapshot files: gzip when the name says so.
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)
    pods = sum(1 for o in objects if o["kind"] == "Pod")
    return {"pods": pods, "nodes": size.nodes, "policies": gen.policy_count}
