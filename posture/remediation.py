"""``posture fix``: one YAML file of Calico resources that closes the gaps a check found, safe to
apply with a single ``kubectl apply -f``.

What it writes, and only when the findings call for it:

* a ``posture-baseline`` tier (just before ``default``, defaultAction Pass) whose policies only
  *allow* what a cluster needs to keep working under a default-deny: DNS to kube-dns, kube-dns
  to its upstream resolvers, control-plane pods to the API server and from the nodes, and
  node-to-node traffic once host endpoints exist;
* ``posture-default-deny``: every pod, both directions, no rules and no order — evaluated after
  every other default-tier policy (Kubernetes NetworkPolicies at order 1000 included), so it
  silences nothing; the default tier's end-of-tier deny does the denying (calico-semantics
  §8.2);
* automatic host endpoints (KubeControllersConfiguration) for nodes that have none;
* WireGuard on (FelixConfiguration ``default`` and any ``node.<name>`` that disables it).

Every object carries comments saying what it does and what it will block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from posture.findings.base import Analysis, Finding
from posture.model.policy import Direction

TIER = "posture-baseline"
CONTROL_PLANE_NAMESPACES = ("kube-system", "calico-system", "tigera-operator", "calico-apiserver")
NODES_LABEL = "posture.dev/role"

# What the default-deny (with the baseline allows) closes: fall-through traffic in both
# directions, DNS and control-plane breakage, unrestricted pod → node traffic.
DENY_CHECKS = {"PST-DENY-001", "PST-DENY-002", "PST-DENY-004", "PST-NODE-002"}
HEP_CHECKS = {"PST-NODE-003"}
WIREGUARD_CHECKS = {"PST-ENC-001"}


def _doc(comment: str, obj: dict[str, Any]) -> str:
    lines = [f"# {line}" if line else "#" for line in comment.strip().splitlines()]
    body = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=100)
    return "\n".join(lines) + "\n" + body


def _gnp(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "GlobalNetworkPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }


def _dns_selector(a: Analysis) -> tuple[str, str]:
    """(namespace, selector) of the cluster DNS pods."""
    for p in a.index.wep_pods:
        if p.labels.get("k8s-app") == "kube-dns":
            return p.namespace, "k8s-app == 'kube-dns'"
    return "kube-system", "k8s-app == 'kube-dns'"


def _node_nets(a: Analysis) -> list[str]:
    out: list[str] = []
    for n in a.snapshot.nodes:
        for addr in n.all_addresses:
            cidr = f"{addr}/128" if ":" in addr else f"{addr}/32"
            if cidr not in out:
                out.append(cidr)
    return out


def _baseline(a: Analysis, with_nodes: bool) -> list[str]:
    dns_ns, dns_sel = _dns_selector(a)
    present = {ns.name for ns in a.snapshot.namespaces}
    control = [ns for ns in CONTROL_PLANE_NAMESPACES if ns in present] or ["kube-system"]
    control_sel = "projectcalico.org/namespace in {" + ", ".join(f"'{n}'" for n in control) + "}"
    nodes_sel = f"{NODES_LABEL} == 'nodes'"
    dns_dest = {
        "namespaceSelector": f"projectcalico.org/name == '{dns_ns}'",
        "selector": dns_sel,
        "ports": [53],
    }
    docs = [
        _doc(
            f"Tier {TIER}: evaluated just before the default tier. Its policies only allow\n"
            "what the cluster needs under a default-deny; everything they do not match is\n"
            "passed on to the default tier (defaultAction: Pass). Blocks nothing by itself.",
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "Tier",
                "metadata": {"name": TIER},
                "spec": {"order": 999000, "defaultAction": "Pass"},
            },
        ),
        _doc(
            "The nodes' addresses (InternalIP, BGP and tunnel addresses), so that policies can\n"
            "name 'the nodes'. Re-run `posture fix` when nodes are added.",
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "GlobalNetworkSet",
                "metadata": {"name": "posture-nodes", "labels": {NODES_LABEL: "nodes"}},
                "spec": {"nets": _node_nets(a)},
            },
        ),
        _doc(
            "Every pod may resolve names: UDP and TCP 53 to the cluster DNS pods.",
            _gnp(
                f"{TIER}.allow-dns-egress",
                {
                    "tier": TIER,
                    "order": 100,
                    "selector": "projectcalico.org/orchestrator == 'k8s'",
                    "types": ["Egress"],
                    "egress": [
                        {"action": "Allow", "protocol": "UDP", "destination": dns_dest},
                        {"action": "Allow", "protocol": "TCP", "destination": dns_dest},
                    ],
                },
            ),
        ),
        _doc(
            "The cluster DNS pods accept DNS queries from anyone in the cluster and may query\n"
            "their upstream resolvers (UDP and TCP 53 to any address).",
            _gnp(
                f"{TIER}.allow-dns-service",
                {
                    "tier": TIER,
                    "order": 110,
                    "selector": f"({dns_sel}) && projectcalico.org/namespace == '{dns_ns}'",
                    "types": ["Ingress", "Egress"],
                    "ingress": [
                        {"action": "Allow", "protocol": "UDP", "destination": {"ports": [53]}},
                        {"action": "Allow", "protocol": "TCP", "destination": {"ports": [53]}},
                    ],
                    "egress": [
                        {"action": "Allow", "protocol": "UDP", "destination": {"ports": [53]}},
                        {"action": "Allow", "protocol": "TCP", "destination": {"ports": [53]}},
                    ],
                },
            ),
        ),
        _doc(
            f"Control-plane pods ({', '.join(control)}) may reach the API server (TCP 6443\n"
            "on the nodes) and accept connections from the nodes (API server webhooks, kubelet\n"
            "probes from other nodes). Anything else they do is decided by later tiers.",
            _gnp(
                f"{TIER}.allow-control-plane",
                {
                    "tier": TIER,
                    "order": 200,
                    "selector": control_sel,
                    "types": ["Ingress", "Egress"],
                    "ingress": [{"action": "Allow", "source": {"selector": nodes_sel}}],
                    "egress": [
                        {
                            "action": "Allow",
                            "protocol": "TCP",
                            "destination": {"selector": nodes_sel, "ports": [6443]},
                        }
                    ],
                },
            ),
        ),
    ]
    if with_nodes:
        docs.append(
            _doc(
                "Host endpoints (automatic ones, labelled projectcalico.org/created-by) accept\n"
                "traffic from the other nodes (kubelet, BGP, VXLAN, etcd) and may send anything.\n"
                "Connections from outside the cluster are passed to the default tier.",
                _gnp(
                    f"{TIER}.allow-node-to-node",
                    {
                        "tier": TIER,
                        "order": 300,
                        "selector": "has(projectcalico.org/created-by)",
                        "types": ["Ingress", "Egress"],
                        "ingress": [{"action": "Allow", "source": {"selector": nodes_sel}}],
                        "egress": [{"action": "Allow"}],
                    },
                ),
            )
        )
    return docs


def _blocked_summary(a: Analysis) -> str:
    open_ = a.default_open
    parts = []
    for d in Direction:
        n = sum(c.size for c in open_[d])
        if n:
            parts.append(f"{n} pods lose their fall-through {d.value.lower()} allow")
    return "; ".join(parts) or "pods keep what their policies allow"


def _default_deny(a: Analysis) -> str:
    return _doc(
        "Cluster-wide default-deny for pods, both directions, as one global policy.\n"
        "No rules and no order: it is evaluated after every other policy of the default tier\n"
        "(Kubernetes NetworkPolicies, order 1000, included), so it silences no allow rule; the\n"
        "default tier's end-of-tier deny denies what nothing allowed. It selects pods only\n"
        "(projectcalico.org/orchestrator == 'k8s'), never host endpoints.\n"
        f"What it will block: {_blocked_summary(a)}; pod -> own node traffic unless allowed.",
        _gnp(
            "posture-default-deny",
            {
                "selector": "projectcalico.org/orchestrator == 'k8s'",
                "types": ["Ingress", "Egress"],
            },
        ),
    )


def _host_endpoints(a: Analysis) -> str:
    snap = a.snapshot
    affected = [
        p.ref
        for p in snap.policies
        if p.kind.value == "GlobalNetworkPolicy"
        and any(
            p.selector.matches(
                n.labels.merged({"projectcalico.org/created-by": "calico-kube-controllers"})
            )
            for n in snap.nodes
        )
        and not p.ref.name.startswith(f"{TIER}.")
    ]
    warn = ""
    if affected:
        names = ", ".join(str(r) for r in affected[:6])
        warn = (
            f"\nCAUTION: these existing policies select every host endpoint too and will start\n"
            f"to police the nodes: {names}. Review them (failsafe ports stay open)."
        )
    return _doc(
        "Automatic host endpoints: kube-controllers creates <node>-auto-hep (interface '*',\n"
        "profile projectcalico-default-allow) for every node, so that Calico can police\n"
        "traffic to node addresses. Until a policy selects them they allow everything." + warn,
        {
            "apiVersion": "projectcalico.org/v3",
            "kind": "KubeControllersConfiguration",
            "metadata": {"name": "default"},
            "spec": {"controllers": {"node": {"hostEndpoint": {"autoCreate": "Enabled"}}}},
        },
    )


def _wireguard(a: Analysis) -> list[str]:
    snap = a.snapshot
    docs = [
        _doc(
            "WireGuard for pod traffic between nodes (nodes must have kernel support; check that\n"
            "each node then publishes projectcalico.org/WireguardPublicKey). Blocks nothing.",
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "FelixConfiguration",
                "metadata": {"name": "default"},
                "spec": {"wireguardEnabled": True},
            },
        )
    ]
    for n in snap.nodes:
        origin = snap.felix_for(n.name).origin_of("wireguardEnabled")
        if (
            origin == f"FelixConfiguration node.{n.name}"
            and not snap.felix_for(n.name).wireguard_v4
        ):
            docs.append(
                _doc(
                    f"Node {n.name} had WireGuard disabled by its own FelixConfiguration.",
                    {
                        "apiVersion": "projectcalico.org/v3",
                        "kind": "FelixConfiguration",
                        "metadata": {"name": f"node.{n.name}"},
                        "spec": {"wireguardEnabled": True},
                    },
                )
            )
    return docs


def fix_manifest(a: Analysis, findings: Sequence[Finding]) -> tuple[str, list[str]]:
    """The YAML text and the check IDs it addresses ('' when nothing to fix)."""
    ids = {f.check_id for f in findings}
    addressed: list[str] = []
    docs: list[str] = []
    need_hep = bool(ids & HEP_CHECKS)
    if ids & DENY_CHECKS or need_hep:
        docs.extend(_baseline(a, with_nodes=need_hep))
        docs.append(_default_deny(a))
        addressed.extend(sorted(ids & DENY_CHECKS))
    if need_hep:
        docs.append(_host_endpoints(a))
        addressed.extend(sorted(ids & HEP_CHECKS))
    if ids & WIREGUARD_CHECKS:
        docs.extend(_wireguard(a))
        addressed.extend(sorted(ids & WIREGUARD_CHECKS))
    if not docs:
        return "", []
    where = a.snapshot.cluster or a.snapshot.source
    header = (
        f"# posture fix for {where}: closes {', '.join(addressed)}.\n"
        "# Apply in one step: kubectl apply -f <this file>  (needs the projectcalico.org/v3\n"
        "# API, i.e. the Calico API server; or use calicoctl apply -f).\n"
        "# Check again afterwards: posture check.\n"
    )
    return header + "---\n" + "---\n".join(docs), addressed
