"""``posture fix``: a YAML file of Calico resources that closes the gaps a check found, safe to
act on exactly as printed.

Two kinds of change, written differently because ``kubectl apply`` is only safe for one:

* **New objects posture owns** (its tier, network set and policies) go into the YAML for
  ``kubectl apply -f``: nothing else sets their fields.
* **Existing singletons** (FelixConfiguration ``default`` and ``node.<name>``,
  KubeControllersConfiguration ``default``; calico-node and kube-controllers create the
  ``default`` ones when they start) are changed with ``kubectl patch --type=merge`` commands, a
  JSON merge patch (RFC 7386) that sets one field and keeps every other. A partial object given
  to ``kubectl apply`` would instead be merged three-way against the
  ``last-applied-configuration`` annotation and delete every field the operator had applied
  before (``bpfEnabled`` gone from FelixConfiguration ``default``); ``calicoctl apply`` replaces
  the whole spec.

What it writes, and only when the findings call for it:

* a ``posture-baseline`` tier (just before ``default``, defaultAction Pass) whose policies only
  *allow* what a cluster needs to keep working under a default-deny: DNS to kube-dns, kube-dns
  to its upstream resolvers, control-plane pods to the API server and from the nodes, and
  node-to-node traffic once host endpoints exist;
* ``posture-default-deny``: every pod, both directions, no rules and no order — evaluated after
  every other default-tier policy (Kubernetes NetworkPolicies at order 1000 included), so it
  silences nothing; the default tier's end-of-tier deny does the denying (calico-semantics
  §8.2);
* automatic host endpoints for nodes that have none (a patch of KubeControllersConfiguration);
* WireGuard on (patches of FelixConfiguration ``default`` and of any ``node.<name>`` that
  disables it).

Every object and patch carries comments saying what it does and what it will block.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from posture.findings.model import Finding
from posture.findings.registry import Analysis
from posture.model.policy import Direction

TIER = "posture-baseline"
CONTROL_PLANE_NAMESPACES = ("kube-system", "calico-system", "tigera-operator", "calico-apiserver")
NODES_LABEL = "posture.dev/role"

# What the default-deny (with the baseline allows) closes: fall-through traffic in both
# directions, DNS and control-plane breakage, unrestricted pod → node traffic.
DENY_CHECKS = {"PST-DENY-001", "PST-DENY-002", "PST-DENY-004", "PST-NODE-002"}
HEP_CHECKS = {"PST-NODE-003"}
WIREGUARD_CHECKS = {"PST-ENC-001"}
# Every check `posture fix` closes (the table's "start here" block names them).
FIX_CHECKS = frozenset(DENY_CHECKS | HEP_CHECKS | WIREGUARD_CHECKS)


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


@dataclass(frozen=True, slots=True)
class Patch:
    """A JSON merge patch of one existing cluster-scoped Calico object."""

    kind: str
    name: str
    body: dict[str, Any]
    why: str

    @property
    def resource(self) -> str:
        """kubectl's fully qualified resource name (plural.group), so that a cluster with both
        Calico API groups installed patches the projectcalico.org/v3 object."""
        return f"{self.kind.lower()}s.projectcalico.org"

    def command(self) -> str:
        body = json.dumps(self.body, separators=(",", ":"), sort_keys=True)
        return f"kubectl patch {self.resource} {self.name} --type=merge -p '{body}'"

    def as_object(self) -> dict[str, Any]:
        """The patch as a partial object: what ``posture check --from cluster/ --from it`` merges
        onto the input (as a merge patch), to preview the fix offline."""
        return {
            "apiVersion": "projectcalico.org/v3",
            "kind": self.kind,
            "metadata": {"name": self.name},
            **self.body,
        }


AUTO_HEP = Patch(
    "KubeControllersConfiguration",
    "default",
    {"spec": {"controllers": {"node": {"hostEndpoint": {"autoCreate": "Enabled"}}}}},
    "Automatic host endpoints: kube-controllers creates <node>-auto-hep (interface '*',\n"
    "profile projectcalico-default-allow) for every node, so that Calico can police traffic\n"
    "to node addresses. Until a policy selects them they allow everything.",
)
WIREGUARD_ON: dict[str, Any] = {"spec": {"wireguardEnabled": True}}
WIREGUARD = Patch(
    "FelixConfiguration",
    "default",
    WIREGUARD_ON,
    "WireGuard for pod traffic between nodes (nodes must have kernel support; check that each\n"
    "node then publishes projectcalico.org/WireguardPublicKey). Blocks nothing.",
)


def _host_endpoint_caution(a: Analysis) -> str:
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
    if not affected:
        return ""
    names = ", ".join(str(r) for r in affected[:6])
    return (
        f"\nCAUTION: these existing policies select every host endpoint too and will start\n"
        f"to police the nodes: {names}. Review them (failsafe ports stay open)."
    )


def _wireguard(a: Analysis) -> list[Patch]:
    snap = a.snapshot
    patches = [WIREGUARD]
    for n in snap.nodes:
        felix = snap.felix_for(n.name)
        if felix.origin_of("wireguardEnabled") == f"FelixConfiguration node.{n.name}" and (
            not felix.wireguard_v4
        ):
            patches.append(
                Patch(
                    "FelixConfiguration",
                    f"node.{n.name}",
                    WIREGUARD_ON,
                    f"Node {n.name} had WireGuard disabled by its own FelixConfiguration.",
                )
            )
    return patches


def _env_overrides(a: Analysis) -> list[str]:
    """Settings a calico-node environment variable fixes: a patch cannot change them."""
    origins = {a.snapshot.felix.origin_of("wireguardEnabled")}
    origins |= {
        a.snapshot.felix_for(n.name).origin_of("wireguardEnabled") for n in a.snapshot.nodes
    }
    return sorted(o for o in origins if o.startswith("calico-node env"))


@dataclass(frozen=True, slots=True)
class FixPlan:
    """What ``posture fix`` proposes: new objects to apply and patches of existing ones."""

    documents: tuple[str, ...]  # commented YAML documents, for kubectl apply -f
    patches: tuple[Patch, ...]  # for kubectl patch --type=merge
    addressed: tuple[str, ...]  # check IDs it closes
    notes: tuple[str, ...] = ()  # what it cannot do by itself

    @property
    def empty(self) -> bool:
        return not self.documents and not self.patches

    def commands(self, path: str = "<this file>") -> list[str]:
        """Every command to run, in order."""
        out = [f"kubectl apply -f {path}"] if self.documents else []
        return out + [p.command() for p in self.patches]

    def render(self, where: str) -> str:
        lines = [f"posture fix for {where}: closes {', '.join(self.addressed)}."]
        step = 1
        if self.documents:
            lines += [
                f"{step}. Review, then apply the new objects below (they need the",
                "   projectcalico.org/v3 API, i.e. the Calico API server):",
                "     kubectl diff -f <this file>",
                "     kubectl apply -f <this file>",
            ]
            step += 1
        if self.patches:
            lines += [
                f"{step}. Change existing objects in place, one field each (JSON merge patches:",
                "   every other field is kept; preview with --dry-run=server -o yaml):",
            ]
            for p in self.patches:
                lines += [f"   {why}" for why in p.why.splitlines()]
                lines.append(f"     {p.command()}")
            lines += [
                "   Do not `kubectl apply` or `calicoctl apply` partial FelixConfiguration or",
                "   KubeControllersConfiguration objects: that removes fields set before.",
            ]
            step += 1
        lines += [f"   NOTE: {n}" for n in self.notes]
        lines.append(f"{step}. Check again afterwards: posture check")
        header = "".join(f"# {line}\n" for line in lines)
        if not self.documents:
            return header
        return header + "---\n" + "---\n".join(self.documents)


def plan_fix(a: Analysis, findings: Sequence[Finding]) -> FixPlan:
    """The objects and patches that close the gaps among ``findings``."""
    ids = {f.check_id for f in findings}
    addressed: list[str] = []
    docs: list[str] = []
    patches: list[Patch] = []
    notes: list[str] = []
    need_hep = bool(ids & HEP_CHECKS)
    if ids & DENY_CHECKS or need_hep:
        docs.extend(_baseline(a, with_nodes=need_hep))
        docs.append(_default_deny(a))
        addressed.extend(sorted(ids & DENY_CHECKS))
    if need_hep:
        caution = _host_endpoint_caution(a)
        patches.append(Patch(AUTO_HEP.kind, AUTO_HEP.name, AUTO_HEP.body, AUTO_HEP.why + caution))
        addressed.extend(sorted(ids & HEP_CHECKS))
    if ids & WIREGUARD_CHECKS:
        patches.extend(_wireguard(a))
        addressed.extend(sorted(ids & WIREGUARD_CHECKS))
        notes.extend(
            f"wireguardEnabled is set by {o} (it wins over FelixConfiguration): "
            "change it in the calico-node DaemonSet or the operator's Installation."
            for o in _env_overrides(a)
        )
    return FixPlan(tuple(docs), tuple(patches), tuple(addressed), tuple(notes))


def fix_manifest(a: Analysis, findings: Sequence[Finding]) -> tuple[str, list[str]]:
    """The file's text and the check IDs it addresses ('' when nothing to fix)."""
    plan = plan_fix(a, findings)
    if plan.empty:
        return "", []
    return plan.render(a.snapshot.cluster or a.snapshot.source), list(plan.addressed)
