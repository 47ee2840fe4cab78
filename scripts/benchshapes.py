"""The ``partial`` shape of ``scripts/bench``: the half-measures common in real clusters.

Egress inside the cluster allowed, ICMP allowed into the pods of each environment from
anywhere, metrics ports open to anyone, all three except in namespaces labelled ``deny=true``
(one in three by default, ``scripts/bench --deny F``), which get a Calico default deny (never
kube-system or calico-system) and only their NetworkPolicies' allows; host
endpoints on every other node with a host policy for the node subnet, and per-namespace
Kubernetes NetworkPolicies that allow (a default deny only in the ``deny`` namespaces). Almost
every pair of pods can reach each other on some flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchgen import Generator

API = "projectcalico.org/v3"
GNP = "GlobalNetworkPolicy"
CLUSTER_NETS = ["10.128.0.0/10", "10.0.0.0/16"]  # the pod pool and the node subnet
OPEN = "pcns.deny != 'true'"  # the half-measures leave out the namespaces that opted in to deny


def _gnp(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API, "kind": GNP, "metadata": {"name": name}, "spec": spec}


def partial_globals(gen: Generator) -> None:
    gen._policy(
        _gnp(
            "allow-cluster-egress",
            {
                "order": 900,
                "selector": f"projectcalico.org/orchestrator == 'k8s' && {OPEN}",
                "types": ["Egress"],
                "egress": [{"action": "Allow", "destination": {"nets": CLUSTER_NETS}}],
            },
        )
    )
    for env in ("prod", "staging", "dev"):
        gen._policy(
            _gnp(
                f"allow-icmp-{env}",
                {
                    "order": 100,
                    "selector": f"pcns.env == '{env}' && {OPEN}",
                    "types": ["Ingress"],
                    "ingress": [{"action": "Allow", "protocol": "ICMP"}],
                },
            )
        )
    gen._policy(
        _gnp(
            "allow-metrics",
            {
                "order": 110,
                "selector": f"projectcalico.org/orchestrator == 'k8s' && {OPEN}",
                "types": ["Ingress"],
                "ingress": [
                    {"action": "Allow", "protocol": "TCP", "destination": {"ports": [9090, 9100]}}
                ],
            },
        )
    )
    gen._policy(
        _gnp(
            "host-ingress",
            {
                "order": 50,
                "selector": "hep == 'true'",
                "types": ["Ingress"],
                "ingress": [
                    {"action": "Allow", "source": {"nets": ["10.0.0.0/16"]}},
                    {"action": "Allow", "protocol": "TCP", "destination": {"ports": [10250]}},
                ],
            },
        )
    )
    gen._policy(
        _gnp(
            "default-deny-some",
            {
                "order": 2000,
                "selector": "projectcalico.org/namespace not in {'kube-system', 'calico-system'}"
                " && pcns.deny == 'true'",
                "types": ["Ingress", "Egress"],
            },
        )
    )


def partial_namespace_policies(gen: Generator) -> None:
    """Round-robin over namespaces as the hardened shape does, with allowing kinds only; a
    Kubernetes default deny only where the namespace opted in."""
    rng = gen.rng
    app_ns = [ns for ns in gen.namespaces if ns in gen.ns_apps]
    kinds = ["allow-dns", "from-app", "from-monitoring", "from-namespace", "ipblock", "port-range"]
    denied = {
        o["metadata"]["name"]
        for o in gen.objects
        if o["kind"] == "Namespace" and o["metadata"].get("labels", {}).get("deny") == "true"
    }
    k = 0
    while gen.policy_count < gen.size.policies and app_ns:
        for ns in app_ns:
            if gen.policy_count >= gen.size.policies:
                break
            kind = "default-deny" if k == 0 and ns in denied else kinds[k % len(kinds)]
            gen._ns_policy(ns, kind, k, rng)
        k += 1
