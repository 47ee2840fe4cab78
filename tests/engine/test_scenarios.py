"""Table-driven semantic scenarios for the path engine, run through ``posture explain``.

Every scenario is the base cluster (``data/base-cluster.yaml``: namespaces ``frontend``
(team=web) and ``backend`` (team=api), ``kube-system`` with CoreDNS, nodes n1 10.0.0.1 and
n2 10.0.0.2, a hostNetwork ``node-exporter`` on n1, IPPool 192.168.0.0/16 with natOutgoing)
plus the smallest set of objects that shows one rule of the reference
``/work/shared/docs/calico-semantics.md``. ``cite`` names the section (§) and, where useful,
the Calico source the rule comes from. Each check asserts the verdict *and* the step that
decided it (stage, tier, policy, rule, action); most scenarios also carry a contrasting check
that must come out the other way.
"""

from __future__ import annotations

import re
from textwrap import dedent
from typing import Any

import pytest

from tests.engine.conftest import Check, Scenario, scenario_failures

# --- endpoints of the base cluster ----------------------------------------------------------

WEB1 = "frontend/web-1"  # n1 192.168.1.10, app=web role=ui, SA web-sa, port http 8080
WEB2 = "frontend/web-2"  # n2 192.168.2.10, app=web, SA default
API1 = "backend/api-1"  # n1 192.168.1.20, app=api, SA api-sa, port api 9090
DB1 = "backend/db-1"  # n2 192.168.2.20, app=db, port pg 5432
WORKER1 = "backend/worker-1"  # n2 192.168.2.30, app=worker
DNS = "kube-system/coredns-1"  # n2 192.168.2.53, k8s-app=kube-dns, 53/UDP + 53/TCP
EXPORTER = "kube-system/node-exporter"  # hostNetwork on n1 (10.0.0.1), port metrics 9100
N1, N2 = "node/n1", "node/n2"
EXT = "198.51.100.7"  # outside the cluster

# --- manifest snippets ----------------------------------------------------------------------


def docs(*parts: str) -> str:
    return "\n---\n".join(dedent(p).strip() for p in parts)


# §8: the seed example, verbatim.
SEED = """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata:
      name: default-deny
    spec:
      order: 500
      selector: all()
      types: [Ingress, Egress]
      ingress:
      - action: Deny
      egress:
      - action: Deny
"""


def tier(name: str, order: int, default_action: str = "Deny") -> str:
    return f"""
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {{name: {name}}}
        spec: {{order: {order}, defaultAction: {default_action}}}
    """


def hep(
    name: str,
    node: str,
    iface: str | None,
    ips: tuple[str, ...] = (),
    labels: str = "{}",
    profiles: tuple[str, ...] = (),
) -> str:
    iface_line = f'interfaceName: "{iface}"' if iface is not None else ""
    return f"""
        apiVersion: projectcalico.org/v3
        kind: HostEndpoint
        metadata:
          name: {name}
          labels: {labels}
        spec:
          node: {node}
          {iface_line}
          expectedIPs: [{", ".join(ips)}]
          profiles: [{", ".join(profiles)}]
    """


def felix(spec: str, name: str = "default") -> str:
    return f"""
        apiVersion: projectcalico.org/v3
        kind: FelixConfiguration
        metadata: {{name: {name}}}
        spec: {spec}
    """


def node(name: str, ip: str, zone: str, *, wg_key: bool) -> str:
    key = (
        f"annotations: {{projectcalico.org/WireguardPublicKey: {name}KeyAAAAAAAAAAAAAAAAAAAAAAAA=}}"
        if wg_key
        else ""
    )
    return f"""
        apiVersion: v1
        kind: Node
        metadata:
          name: {name}
          labels: {{kubernetes.io/hostname: {name}, zone: {zone}}}
          {key}
        status:
          addresses: [{{type: InternalIP, address: {ip}}}]
    """


def calico_node_env(env: str) -> str:
    return f"""
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {{name: calico-node, namespace: kube-system}}
        spec:
          selector: {{matchLabels: {{k8s-app: calico-node}}}}
          template:
            metadata: {{labels: {{k8s-app: calico-node}}}}
            spec:
              hostNetwork: true
              containers:
              - name: calico-node
                image: calico/node:v3.31.0
                env: {env}
    """


WG_NODES = (node("n1", "10.0.0.1", "a", wg_key=True), node("n2", "10.0.0.2", "b", wg_key=True))

# --- expected steps ---------------------------------------------------------------------------


def step(
    stage: str | None = None,
    policy: str | None = None,
    rule: int | None = None,
    action: str | None = None,
    *,
    tier: str | None = None,
    subject: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    fields = {
        "stage": stage,
        "policy": policy,
        "rule": rule,
        "action": action,
        "tier": tier,
        "subject": subject,
        "note": note,
    }
    return {k: v for k, v in fields.items() if v is not None}


def eot(stage: str, tier: str = "default", **kw: Any) -> dict[str, Any]:
    """The end-of-tier deny of ``tier`` at ``stage`` (§2.5)."""
    return step(stage, action="Deny (end of tier)", tier=tier, **kw)


def profile(stage: str, name: str) -> dict[str, Any]:
    """An allow by profile ``name`` (``kns.<ns>`` or ``projectcalico-default-allow``, §2.6)."""
    return step(stage, f"Profile {name}", 0, "Allow (profile)")


def gnp(name: str) -> str:
    return f"GlobalNetworkPolicy {name}"


def np(ns_name: str) -> str:
    """Calico and Kubernetes NetworkPolicies are both shown as ``NetworkPolicy ns/name``."""
    return f"NetworkPolicy {ns_name}"


def allow(src: str, dst: str, port: str | None, by: dict[str, Any], **kw: Any) -> Check:
    return Check(src, dst, port, True, by, **kw)


def deny(src: str, dst: str, port: str | None, by: dict[str, Any], **kw: Any) -> Check:
    return Check(src, dst, port, False, by, **kw)


E2H_ACCEPT = step("endpoint-to-host", action="Allow (DefaultEndpointToHostAction ACCEPT)")
E2H_DROP = step("endpoint-to-host", action="Deny (DefaultEndpointToHostAction DROP)")
FAILSAFE = step("failsafe", action="Allow")
UNPOLICED = step("unpoliced", action="Allow")
HOST_TO_LOCAL_POD = step("host-to-local-pod", action="Allow")

# ============================================================================================
# The table
# ============================================================================================

SCENARIOS: list[Scenario] = []


def scenario(id: str, cite: str, objects: str, checks: list[Check]) -> None:
    SCENARIOS.append(Scenario(id, cite, objects, checks))


# --- §8 the seed default-deny ---------------------------------------------------------------

scenario(
    "seed-default-deny-overrides-knp",
    "§8 seed example; §8.1 (order 500 before KNP order 1000; KNPs become dead letters), §2.4, "
    "§2.5 (Deny is final), §2.9 (KNP order 1000), §5.7/§8.1 (node → local pod still "
    "allowed), §8.1 (no HEP ⇒ host traffic untouched); S-SORT felix/calc/policy_sorter.go",
    docs(
        SEED,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-web, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {team: web}}
            - ipBlock: {cidr: 198.51.100.0/24}
            ports: [{port: 9090}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: allow-dns}
        spec:
          order: 400
          selector: all()
          types: [Ingress, Egress]
          egress:
          - action: Allow
            protocol: UDP
            destination: {selector: k8s-app == 'kube-dns', ports: [53]}
          ingress:
          - action: Allow
            protocol: UDP
            destination: {selector: k8s-app == 'kube-dns', ports: [53]}
        """,
    ),
    [
        # The KNP would allow both of these; the seed (order 500) decides first.
        deny(
            WEB1, API1, "9090/TCP", step("egress", gnp("default-deny"), 0, "Deny", tier="default")
        ),
        deny(WEB2, WORKER1, None, step("egress", gnp("default-deny"), 0, "Deny")),
        deny(
            EXT, API1, "9090/TCP", step("ingress", gnp("default-deny"), 0, "Deny", tier="default")
        ),
        # Pod → own node: denied by the pod's egress before DefaultEndpointToHostAction.
        deny(WEB1, N1, "22/TCP", step("egress", gnp("default-deny"), 0, "Deny")),
        # Node → local pod is never policed.
        allow(N1, API1, "9090/TCP", HOST_TO_LOCAL_POD),
        # No host endpoints: host-to-host traffic is untouched.
        allow(N1, N2, "10250/TCP", UNPOLICED),
        # Contrast: an order-400 policy decides before the seed.
        allow(WEB1, DNS, "53/UDP", step("ingress", gnp("allow-dns"), 0, "Allow", tier="default")),
        deny(WEB1, DNS, "53/TCP", step("egress", gnp("default-deny"), 0, "Deny")),
    ],
)

scenario(
    "seed-default-deny-failsafe-survives-on-hep",
    "§8.1 (host endpoints: everything denied except failsafe ports), §5.5 (failsafe defaults, "
    "evaluated before any HEP policy), §5.12 (kubelet 10250 not failsafe); "
    "felix/rules/static.go failsafeInChain/failsafeOutChain",
    docs(SEED, hep("n1-all", "n1", "*", ("10.0.0.1",), "{host-role: worker}")),
    [
        allow(N2, N1, "22/TCP", FAILSAFE),
        allow(N2, N1, "6443/TCP", FAILSAFE),
        allow(N2, N1, "68/UDP", FAILSAFE),
        deny(N2, N1, "10250/TCP", step("host-ingress", gnp("default-deny"), 0, "Deny")),
        deny(N2, N1, "53/UDP", step("host-ingress", gnp("default-deny"), 0, "Deny")),
        # Forwarded to a pod: the HEP's normal policy (no applyOnForward) is not consulted;
        # the pod's own ingress evaluation denies it.
        deny(
            N2,
            API1,
            "9090/TCP",
            step("ingress", gnp("default-deny"), 0, "Deny"),
            absent=(step("host-ingress"),),
        ),
        # Outbound failsafe (udp 53) from the HEP node; n2 has no HEP.
        allow(N1, N2, "53/UDP", UNPOLICED, also=(FAILSAFE,)),
        deny(N1, N2, "443/TCP", step("host-egress", gnp("default-deny"), 0, "Deny")),
        # A hostNetwork pod's traffic is host traffic: the HEP policy governs it.
        deny(EXPORTER, EXT, "443/TCP", step("host-egress", gnp("default-deny"), 0, "Deny")),
    ],
)

# --- §2.3 / §2.5 tiers, Pass, end of tier -----------------------------------------------------

scenario(
    "pass-to-next-tier",
    "§2.5 (Pass: next applicable tier, else profiles), §2.3, §2.8; D-TIERED",
    docs(
        tier("security", 100),
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: security.pass-web}
        spec:
          tier: security
          selector: app == 'api'
          types: [Ingress]
          ingress:
          - action: Pass
            source: {selector: app == 'web'}
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: security.pass-db}
        spec:
          tier: security
          selector: app == 'db'
          types: [Ingress]
          ingress:
          - action: Pass
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-frontend, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress:
          - from: [{namespaceSelector: {matchLabels: {team: web}}}]
            ports: [{port: 9090}]
        """,
    ),
    [
        allow(
            WEB1,
            API1,
            "9090/TCP",
            step("ingress", np("backend/allow-frontend"), 0, "Allow", tier="default"),
            also=(step("ingress", gnp("security.pass-web"), 0, "Pass", tier="security"),),
        ),
        # Passed, but the default tier's KNP does not allow 9091: default tier denies at its end.
        deny(
            WEB1,
            API1,
            "9091/TCP",
            eot("ingress", "default"),
            also=(step("ingress", gnp("security.pass-web"), 0, "Pass"),),
        ),
        # Not passed: the security tier itself denies at its end.
        deny(WORKER1, API1, "9090/TCP", eot("ingress", "security")),
        # Pass with no later applicable tier lands on the profiles.
        allow(
            WEB1,
            DB1,
            "5432/TCP",
            profile("ingress", "kns.backend"),
            also=(step("ingress", gnp("security.pass-db"), 0, "Pass"),),
        ),
    ],
)

scenario(
    "end-of-tier-deny",
    "§2.5 (no verdict after the tier's applicable policies ⇒ drop), §8.3 (one narrow allow with "
    "selector all() isolates every pod), §2.7 (Egress-only policy leaves ingress open); "
    "felix/rules/endpoints.go",
    """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: allow-dns-only}
    spec:
      selector: all()
      types: [Egress]
      egress:
      - action: Allow
        protocol: UDP
        destination: {selector: k8s-app == 'kube-dns', ports: [53]}
    """,
    [
        allow(WEB1, DNS, "53/UDP", step("egress", gnp("allow-dns-only"), 0, "Allow")),
        deny(WEB1, API1, "9090/TCP", eot("egress", note="allow-dns-only")),
        deny(WEB1, DNS, "53/TCP", eot("egress")),
        allow(EXT, API1, "9090/TCP", profile("ingress", "kns.backend")),
    ],
)

scenario(
    "tier-default-action-pass",
    "§2.3 / §1.6 Tier.spec.defaultAction Pass vs Deny, §2.5; D-TIER",
    docs(
        tier("platform", 200, "Pass"),
        tier("strict", 300, "Deny"),
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: platform.monitoring}
        spec:
          tier: platform
          selector: app == 'api'
          types: [Ingress]
          ingress:
          - action: Allow
            source: {namespaceSelector: kubernetes.io/metadata.name == 'kube-system'}
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: strict.monitoring}
        spec:
          tier: strict
          selector: app == 'db'
          types: [Ingress]
          ingress:
          - action: Allow
            source: {namespaceSelector: kubernetes.io/metadata.name == 'kube-system'}
        """,
    ),
    [
        allow(
            WEB1,
            API1,
            "9090/TCP",
            profile("ingress", "kns.backend"),
            also=(step("ingress", action="Pass (tier defaultAction)", tier="platform"),),
        ),
        allow(DNS, API1, "9090/TCP", step("ingress", gnp("platform.monitoring"), 0, "Allow")),
        deny(WEB1, DB1, "5432/TCP", eot("ingress", "strict")),
        allow(DNS, DB1, "5432/TCP", step("ingress", gnp("strict.monitoring"), 0, "Allow")),
    ],
)

scenario(
    "tier-skipped-when-no-policy-selects",
    "§2.3 (a tier is considered only if one of its policies selects the endpoint for the "
    "direction; otherwise skipped with its default action), §2.8; D-TIERED, "
    "felix/rules/endpoints.go (len(policyGroups) > 0)",
    docs(
        tier("security", 100),
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: security.db-only}
        spec:
          tier: security
          selector: app == 'db'
          types: [Ingress]
          ingress:
          - action: Allow
            source: {selector: app == 'api'}
        """,
    ),
    [
        allow(
            WEB1,
            API1,
            "9090/TCP",
            profile("ingress", "kns.backend"),
            absent=(step(tier="security"),),
        ),
        deny(WEB1, DB1, "5432/TCP", eot("ingress", "security")),
        allow(API1, DB1, "5432/TCP", step("ingress", gnp("security.db-only"), 0, "Allow")),
    ],
)

scenario(
    "tier-without-tier-object-still-enforced",
    "§2.3 edge case (policy naming a missing Tier is enforced, sorts after all existing tiers, "
    "no Pass default); felix/calc/policy_sorter.go TierLess (Valid)",
    docs(
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: ghost.deny-web}
        spec:
          tier: ghost
          selector: app == 'api'
          types: [Ingress]
          ingress:
          - action: Deny
            source: {selector: app == 'web'}
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: workers-first}
        spec:
          order: 10
          selector: app == 'api'
          types: [Ingress]
          ingress:
          - action: Allow
            source: {selector: app == 'worker'}
          - action: Pass
        """,
    ),
    [
        # The existing default tier comes first ...
        allow(WORKER1, API1, "9090/TCP", step("ingress", gnp("workers-first"), 0, "Allow")),
        # ... passes the rest to the missing tier, which is enforced ...
        deny(
            WEB1,
            API1,
            "9090/TCP",
            step("ingress", gnp("ghost.deny-web"), 0, "Deny", tier="ghost"),
            also=(step("ingress", gnp("workers-first"), 1, "Pass", tier="default"),),
        ),
        # ... and denies at its end (no defaultAction Pass).
        deny(DNS, API1, "9090/TCP", eot("ingress", "ghost")),
    ],
)

# --- §2.4 ordering ----------------------------------------------------------------------------

scenario(
    "policy-order",
    "§2.4 (ascending order; absent order = last; NP and GNP merged in one list), §2.5 (first "
    "Allow/Deny wins); D-GNP order",
    docs(
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: allow-web}
        spec:
          order: 100
          selector: app == 'api'
          types: [Ingress]
          ingress: [{action: Allow, source: {selector: app == 'web'}}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: deny-web}
        spec:
          order: 200
          selector: app == 'api'
          types: [Ingress]
          ingress: [{action: Deny, source: {selector: app == 'web'}}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: deny-9091, namespace: backend}
        spec:
          order: 50
          selector: app == 'api'
          types: [Ingress]
          ingress: [{action: Deny, protocol: TCP, destination: {ports: [9091]}}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: aaa-unordered}
        spec:
          selector: app == 'api'
          types: [Ingress]
          ingress:
          - {action: Deny, source: {selector: app == 'web'}}
          - {action: Allow}
        """,
    ),
    [
        allow(WEB1, API1, "9090/TCP", step("ingress", gnp("allow-web"), 0, "Allow")),
        deny(WEB1, API1, "9091/TCP", step("ingress", np("backend/deny-9091"), 0, "Deny")),
        # No order = +inf: evaluated after 100 and 200 despite its name.
        allow(WORKER1, API1, "9090/TCP", step("ingress", gnp("aaa-unordered"), 1, "Allow")),
    ],
)

scenario(
    "policy-order-name-tie-break",
    "§2.4 (equal order: byte order of the stored tier-prefixed name, '<ns>/' in front for "
    "namespaced policies), §1.5; felix/calc/policy_sorter.go PolKVLess",
    docs(
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: b-allow}
        spec:
          order: 100
          selector: app == 'api'
          types: [Ingress]
          ingress: [{action: Allow, source: {selector: app == 'web'}}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: a-deny}
        spec:
          order: 100
          selector: app == 'api'
          types: [Ingress]
          ingress: [{action: Deny, source: {selector: app == 'web'}}]
        """,
        # 'backend/default.zz-allow' sorts before 'default.aa-deny' ('b' < 'd').
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: zz-allow, namespace: backend}
        spec:
          order: 100
          selector: app == 'db'
          types: [Ingress]
          ingress: [{action: Allow}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: aa-deny}
        spec:
          order: 100
          selector: app == 'db'
          types: [Ingress]
          ingress: [{action: Deny}]
        """,
    ),
    [
        deny(WEB1, API1, "9090/TCP", step("ingress", gnp("a-deny"), 0, "Deny")),
        allow(WEB1, DB1, "5432/TCP", step("ingress", np("backend/zz-allow"), 0, "Allow")),
    ],
)

scenario(
    "knp-converted-at-order-1000",
    "§2.4 / §2.9 (converted Kubernetes NetworkPolicies sit in tier default at order 1000, "
    "between Calico policies with lower and higher order); S-CONV K8sNetworkPolicyToCalico",
    docs(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-frontend, namespace: backend}
        spec:
          podSelector: {matchExpressions: [{key: app, operator: In, values: [api, db]}]}
          ingress:
          - from: [{namespaceSelector: {matchLabels: {team: web}}}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: deny-after}
        spec:
          order: 1001
          selector: app == 'api'
          types: [Ingress]
          ingress: [{action: Deny}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: deny-before}
        spec:
          order: 999
          selector: app == 'db'
          types: [Ingress]
          ingress: [{action: Deny}]
        """,
    ),
    [
        allow(WEB1, API1, "9090/TCP", step("ingress", np("backend/allow-frontend"), 0, "Allow")),
        deny(WORKER1, API1, "9090/TCP", step("ingress", gnp("deny-after"), 0, "Deny")),
        deny(WEB1, DB1, "5432/TCP", step("ingress", gnp("deny-before"), 0, "Deny")),
    ],
)

scenario(
    "log-continues",
    "§2.5 (Log records and continues with the next rule), §2.8",
    """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: log-then-decide}
    spec:
      order: 100
      selector: app == 'api'
      types: [Ingress]
      ingress:
      - action: Log
      - {action: Deny, protocol: TCP, destination: {ports: [9091]}}
      - action: Allow
    """,
    [
        deny(WEB1, API1, "9091/TCP", step("ingress", gnp("log-then-decide"), 1, "Deny")),
        allow(WEB1, API1, "9090/TCP", step("ingress", gnp("log-then-decide"), 2, "Allow")),
    ],
)

# --- §2.7 / §1.4 types, v1 CRDs, staged ---------------------------------------------------------

scenario(
    "types-inferred-v3",
    "§2.7 (v3 defaulting: ingress rules only / no rules ⇒ [Ingress]; egress rules only ⇒ "
    "[Egress]), §8.3 (forgetting types); libcalico-go/lib/clientv3/globalnetworkpolicy.go "
    "defaultPolicyTypesField",
    docs(
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: web-ingress}
        spec:
          selector: app == 'web'
          ingress: [{action: Allow, source: {selector: app == 'api'}}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: db-no-rules}
        spec:
          selector: app == 'db'
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: worker-egress}
        spec:
          selector: app == 'worker'
          egress: [{action: Allow, protocol: UDP, destination: {ports: [53]}}]
        """,
    ),
    [
        allow(API1, WEB1, "8080/TCP", step("ingress", gnp("web-ingress"), 0, "Allow")),
        deny(EXT, WEB1, "8080/TCP", eot("ingress")),
        # Egress of web pods is not governed by the ingress-only policy.
        allow(WEB1, EXT, "443/TCP", profile("egress", "kns.frontend")),
        # A policy without rules defaults to [Ingress]: isolates ingress, not egress.
        deny(API1, DB1, "5432/TCP", eot("ingress")),
        allow(DB1, EXT, "443/TCP", profile("egress", "kns.backend")),
        # Egress rules only ⇒ [Egress].
        allow(WORKER1, DNS, "53/UDP", step("egress", gnp("worker-egress"), 0, "Allow")),
        deny(WORKER1, API1, "9090/TCP", eot("egress")),
        allow(EXT, WORKER1, "80/TCP", profile("ingress", "kns.backend")),
    ],
)

scenario(
    "types-missing-in-raw-v1-crd-means-both",
    "§1.4 (types may be missing in raw crd.projectcalico.org/v1 objects), §2.7 (raw data "
    "without types = both directions in Felix), §1.5 (default. prefix stripped for display); "
    "felix/calc/policy_sorter.go ExtractPolicyMetadata",
    """
    apiVersion: crd.projectcalico.org/v1
    kind: GlobalNetworkPolicy
    metadata: {name: default.web-ingress}
    spec:
      selector: app == 'web'
      ingress: [{action: Allow, source: {selector: app == 'api'}}]
    """,
    [
        allow(API1, WEB1, "8080/TCP", step("ingress", gnp("web-ingress"), 0, "Allow")),
        # Same spec as the v3 scenario above, but here egress is isolated too.
        deny(WEB1, EXT, "443/TCP", eot("egress", note="web-ingress")),
        deny(WEB1, DB1, "5432/TCP", eot("egress")),
    ],
)

scenario(
    "v1-crd-labels-from-metadata-annotation",
    "§1.4 (v1 CRD labels: metadata.labels overlaid by the projectcalico.org/metadata "
    "annotation, annotation wins), §4.5 (network-set nets and HEP expectedIPs as selector "
    "members); libcalico-go/lib/backend/k8s/resources/resources.go",
    docs(
        """
        apiVersion: crd.projectcalico.org/v1
        kind: GlobalNetworkSet
        metadata:
          name: partners
          labels: {role: stale}
          annotations:
            projectcalico.org/metadata: '{"labels": {"role": "partner"}}'
        spec:
          nets: [203.0.113.0/24]
        """,
        """
        apiVersion: crd.projectcalico.org/v1
        kind: HostEndpoint
        metadata:
          name: n2-eth0
          annotations:
            projectcalico.org/metadata: '{"labels": {"host-role": "db-node"}}'
        spec:
          node: n2
          interfaceName: eth0
          expectedIPs: [10.0.0.2]
          profiles: [projectcalico-default-allow]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: web-egress}
        spec:
          selector: app == 'web'
          types: [Egress]
          egress:
          - {action: Deny, destination: {selector: role == 'stale'}}
          - {action: Allow, destination: {selector: role == 'partner'}}
          - {action: Allow, destination: {selector: host-role == 'db-node'}}
        """,
    ),
    [
        # Rule 0 would deny if the CRD's own (stale) label were used.
        allow(WEB1, "203.0.113.7", "443/TCP", step("egress", gnp("web-egress"), 1, "Allow")),
        deny(WEB1, EXT, "443/TCP", eot("egress")),
        allow(WEB1, N2, "10250/TCP", step("egress", gnp("web-egress"), 2, "Allow")),
    ],
)

scenario(
    "v1-crd-tier-from-stored-name",
    "§1.4 (3.29–3.31: Felix takes the tier from the stored name prefix, not spec.tier), §1.5 "
    "(non-default-tier name kept as written), §2.3; updateprocessors/"
    "globalnetworkpolicyprocessor.go convertGlobalNetworkPolicyV3ToV1Key "
    "(names.TierFromPolicyName)",
    docs(
        tier("security", 100),
        """
        apiVersion: crd.projectcalico.org/v1
        kind: GlobalNetworkPolicy
        metadata: {name: security.block-web}
        spec:
          tier: default
          selector: app == 'db'
          types: [Ingress]
          ingress:
          - {action: Deny, source: {selector: app == 'web'}}
          - {action: Pass}
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: allow-to-db}
        spec:
          order: 1
          selector: app == 'db'
          types: [Ingress]
          ingress: [{action: Allow}]
        """,
    ),
    [
        # In tier default (spec.tier) at order +inf, allow-to-db (order 1) would win.
        deny(
            WEB1,
            DB1,
            "5432/TCP",
            step("ingress", gnp("security.block-web"), 0, "Deny", tier="security"),
        ),
        allow(
            API1,
            DB1,
            "5432/TCP",
            step("ingress", gnp("allow-to-db"), 0, "Allow", tier="default"),
            also=(step("ingress", gnp("security.block-web"), 1, "Pass", tier="security"),),
        ),
    ],
)

scenario(
    "staged-policies-never-enforced",
    "§1.2/§1.6 (staged kinds never affect traffic; a tier with only staged policies has no "
    "end-of-tier drop), §2.2 point 1; D-STAGED, felix/rules/endpoints.go HasNonStagedPolicies",
    docs(
        tier("security", 100),
        """
        apiVersion: projectcalico.org/v3
        kind: StagedGlobalNetworkPolicy
        metadata: {name: security.staged-deny}
        spec:
          tier: security
          selector: all()
          types: [Ingress, Egress]
          ingress: [{action: Deny}]
          egress: [{action: Deny}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: StagedNetworkPolicy
        metadata: {name: staged-np, namespace: backend}
        spec:
          selector: all()
          types: [Ingress]
          ingress: [{action: Deny}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: StagedKubernetesNetworkPolicy
        metadata: {name: staged-knp, namespace: backend}
        spec:
          podSelector: {}
          policyTypes: [Ingress, Egress]
        """,
    ),
    [
        allow(
            WEB1,
            API1,
            "9090/TCP",
            profile("ingress", "kns.backend"),
            absent=(step(tier="security"), step(action="Deny (end of tier)")),
        ),
        allow(DB1, WEB2, None, profile("egress", "kns.backend")),
    ],
)

# --- §2.9 / §7 Kubernetes NetworkPolicy -----------------------------------------------------------

WORKER_X = """
    apiVersion: v1
    kind: Pod
    metadata:
      name: worker-x
      namespace: frontend
      labels: {app: worker}
    spec: {nodeName: n2, containers: [{name: w}]}
    status: {phase: Running, podIP: 192.168.2.40}
"""

scenario(
    "knp-podselector-peer",
    "§2.9 (peer podSelector ⇒ pods of the policy's namespace only; isolation via end-of-tier "
    "deny), §7 (peers), §5.9 (pod selectors never match nodes); S-CONV k8sPeerToCalicoFields",
    docs(
        WORKER_X,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-workers, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress:
          - from: [{podSelector: {matchLabels: {app: worker}}}]
        """,
    ),
    [
        allow(WORKER1, API1, "9090/TCP", step("ingress", np("backend/from-workers"), 0, "Allow")),
        deny("frontend/worker-x", API1, "9090/TCP", eot("ingress")),
        deny(N2, API1, "9090/TCP", eot("ingress")),
        # The policy selects only app=api: the db pod stays open.
        allow(WEB1, DB1, "5432/TCP", profile("ingress", "kns.backend")),
    ],
)

scenario(
    "knp-namespaceselector-peer",
    "§2.9 (namespaceSelector peer; {} = all namespaces; peers are pods only), §7",
    docs(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-frontend, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress:
          - from: [{namespaceSelector: {matchLabels: {team: web}}}]
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-all-namespaces, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress:
          - from: [{namespaceSelector: {}}]
        """,
    ),
    [
        allow(WEB2, API1, "9090/TCP", step("ingress", np("backend/from-frontend"), 0, "Allow")),
        deny(WORKER1, API1, "9090/TCP", eot("ingress")),
        allow(DNS, DB1, "5432/TCP", step("ingress", np("backend/from-all-namespaces"), 0, "Allow")),
        deny(EXT, DB1, "5432/TCP", eot("ingress")),
    ],
)

scenario(
    "knp-pod-and-namespace-selector-in-one-peer",
    "§7 (both selectors in the same peer = AND; separate peers = OR), §2.9",
    docs(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: and-peer, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {team: web}}
              podSelector: {matchLabels: {role: ui}}
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: or-peers, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {team: web}}
            - podSelector: {matchLabels: {role: ui}}
        """,
    ),
    [
        allow(WEB1, API1, "9090/TCP", step("ingress", np("backend/and-peer"), 0, "Allow")),
        deny(WEB2, API1, "9090/TCP", eot("ingress")),
        allow(WEB2, DB1, "5432/TCP", step("ingress", np("backend/or-peers"), 0, "Allow")),
    ],
)

scenario(
    "knp-ipblock-with-except",
    "§2.9 (ipBlock → nets + notNets), §7 (cidr minus except; Calico matches any address in the "
    "CIDR, pods included)",
    docs(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-partner-net, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress:
          - from: [{ipBlock: {cidr: 198.51.100.0/24, except: [198.51.100.128/25]}}]
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-n1-pod-cidr, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress:
          - from: [{ipBlock: {cidr: 192.168.1.0/24}}]
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web-egress, namespace: frontend}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Egress]
          egress:
          - to: [{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}}]
        """,
    ),
    [
        allow(EXT, API1, "9090/TCP", step("ingress", np("backend/from-partner-net"), 0, "Allow")),
        deny("198.51.100.200", API1, "9090/TCP", eot("ingress")),
        deny(WORKER1, API1, "9090/TCP", eot("ingress")),
        allow(API1, DB1, "5432/TCP", step("ingress", np("backend/from-n1-pod-cidr"), 0, "Allow")),
        deny(WORKER1, DB1, "5432/TCP", eot("ingress")),
        allow(
            WEB1, "203.0.113.7", "443/TCP", step("egress", np("frontend/web-egress"), 0, "Allow")
        ),
        deny(WEB1, "203.0.113.200", "443/TCP", eot("egress")),
    ],
)

scenario(
    "knp-named-ports",
    "§2.9 (named ports kept as names), §4.4 (resolved against the destination endpoint's "
    "container ports), §7 (port: named container port)",
    docs(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: api-by-name, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress:
          - ports: [{port: api}]
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: egress-pg, namespace: frontend}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Egress]
          egress:
          - ports: [{port: pg}]
        """,
    ),
    [
        allow(WORKER1, API1, "9090/TCP", step("ingress", np("backend/api-by-name"), 0, "Allow")),
        deny(WORKER1, API1, "9091/TCP", eot("ingress")),
        allow(WEB1, DB1, "5432/TCP", step("egress", np("frontend/egress-pg"), 0, "Allow")),
        # api-1 has no port named pg.
        deny(WEB2, API1, "5432/TCP", eot("egress")),
    ],
)

scenario(
    "knp-endport-range",
    "§2.9 (endPort ⇒ range port:endPort), §7 (endPort inclusive, numeric port)",
    """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: port-range, namespace: backend}
    spec:
      podSelector: {matchLabels: {app: api}}
      ingress:
      - ports: [{protocol: TCP, port: 9000, endPort: 9100}]
    """,
    [
        allow(WEB1, API1, "9000/TCP", step("ingress", np("backend/port-range"), 0, "Allow")),
        allow(WEB1, API1, "9100/TCP", step("ingress", np("backend/port-range"), 0, "Allow")),
        deny(WEB1, API1, "9101/TCP", eot("ingress")),
        deny(WEB1, API1, "9090/UDP", eot("ingress")),
    ],
)

scenario(
    "knp-empty-ports-entry-is-tcp-any-port",
    "§2.9 and review-log correction 4 (ports: [{}] ⇒ TCP, any port); libcalico-go/lib/backend/"
    "k8s/conversion/conversion.go k8sRuleToCalico, test 'should parse a k8s NetworkPolicy with "
    "blank ports'",
    """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: blank-ports, namespace: backend}
    spec:
      podSelector: {matchLabels: {app: api}}
      ingress:
      - ports: [{}]
    """,
    [
        allow(WEB1, API1, "12345/TCP", step("ingress", np("backend/blank-ports"), 0, "Allow")),
        deny(WEB1, API1, "53/UDP", eot("ingress")),
        deny(WEB1, API1, "8/ICMP", eot("ingress")),
    ],
)

scenario(
    "knp-no-ports-means-all-protocols",
    "§2.9 (no ports ⇒ protocol and ports unset: all protocols incl. ICMP), §7 (a rule without "
    "ports allows all protocols; an isolated pod's ICMP is otherwise denied)",
    docs(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-frontend-any, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress:
          - from: [{namespaceSelector: {matchLabels: {team: web}}}]
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-frontend-http, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress:
          - from: [{namespaceSelector: {matchLabels: {team: web}}}]
            ports: [{port: 5432}]
        """,
    ),
    [
        allow(WEB1, API1, "8/ICMP", step("ingress", np("backend/from-frontend-any"), 0, "Allow")),
        allow(WEB1, API1, "53/UDP", step("ingress", np("backend/from-frontend-any"), 0, "Allow")),
        allow(
            WEB1, API1, "7777/SCTP", step("ingress", np("backend/from-frontend-any"), 0, "Allow")
        ),
        deny(WEB1, DB1, "8/ICMP", eot("ingress")),
        allow(WEB1, DB1, "5432/TCP", step("ingress", np("backend/from-frontend-http"), 0, "Allow")),
    ],
)

scenario(
    "both-ends-must-allow",
    "§2.1 (a connection needs the source's egress and the destination's ingress verdict, also "
    "same-node), §7 (both ends must allow; empty ingress with the type set = deny all)",
    docs(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-all-ingress, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          policyTypes: [Ingress]
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: egress-anywhere, namespace: frontend}
        spec:
          podSelector: {}
          policyTypes: [Egress]
          egress: [{}]
        """,
    ),
    [
        # web-1 and api-1 share node n1.
        deny(
            WEB1,
            API1,
            "9090/TCP",
            eot("ingress", note="deny-all-ingress"),
            also=(step("egress", np("frontend/egress-anywhere"), 0, "Allow"),),
        ),
        allow(WEB1, DB1, "5432/TCP", profile("ingress", "kns.backend")),
    ],
)

scenario(
    "knp-egress-isolation-blocks-pod-to-own-node",
    "§7 node-local exception (pod → own node is subject to the pod's egress policy in Calico), "
    "§5.6 step 2 then DefaultEndpointToHostAction",
    """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: dns-only, namespace: frontend}
    spec:
      podSelector: {matchLabels: {app: web}}
      policyTypes: [Egress]
      egress:
      - ports: [{port: 53, protocol: UDP}]
    """,
    [
        deny(WEB1, N1, "10250/TCP", eot("egress")),
        allow(WEB1, N1, "53/UDP", E2H_ACCEPT, also=(step("egress", np("frontend/dns-only"), 0),)),
    ],
)

# --- §3 / §4 Calico rule fields -----------------------------------------------------------------

scenario(
    "calico-nets-and-notnets",
    "§4.2 (nets / notNets), §4.3 (ANDed; negative fields must all fail to match)",
    docs(
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: web-egress}
        spec:
          selector: app == 'web'
          types: [Egress]
          egress:
          - action: Allow
            destination: {nets: [203.0.113.0/24], notNets: [203.0.113.128/25]}
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: api-from-net}
        spec:
          selector: app == 'api'
          types: [Ingress]
          ingress:
          - {action: Allow, source: {nets: [198.51.100.0/24]}}
        """,
    ),
    [
        allow(WEB1, "203.0.113.10", "443/TCP", step("egress", gnp("web-egress"), 0, "Allow")),
        deny(WEB1, "203.0.113.200", "443/TCP", eot("egress")),
        deny(WEB1, EXT, "443/TCP", eot("egress")),
        allow(EXT, API1, "9090/TCP", step("ingress", gnp("api-from-net"), 0, "Allow")),
        deny(WORKER1, API1, "9090/TCP", eot("ingress")),
    ],
)

scenario(
    "calico-selector-and-notselector-scoping",
    "§3.5 (NP selector: own namespace only; NP with only notSelector: own-namespace endpoints "
    "not matching, external traffic does not match; GNP with only notSelector: everything "
    "incl. external except members), §4.2; D-RULE 'Understanding notSelector', "
    "updateprocessors/rules.go getEndpointSelector",
    docs(
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: db-not-workers, namespace: backend}
        spec:
          selector: app == 'db'
          types: [Ingress]
          ingress: [{action: Allow, source: {notSelector: app == 'worker'}}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: worker-from-web, namespace: backend}
        spec:
          selector: app == 'worker'
          types: [Ingress]
          ingress: [{action: Allow, source: {selector: app == 'web'}}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: api-not-web}
        spec:
          selector: app == 'api'
          types: [Ingress]
          ingress: [{action: Allow, source: {notSelector: app == 'web'}}]
        """,
    ),
    [
        allow(API1, DB1, "5432/TCP", step("ingress", np("backend/db-not-workers"), 0, "Allow")),
        deny(WORKER1, DB1, "5432/TCP", eot("ingress")),
        deny(WEB1, DB1, "5432/TCP", eot("ingress")),
        deny(EXT, DB1, "5432/TCP", eot("ingress")),
        # web pods live in frontend, the NP's selector is scoped to backend.
        deny(WEB1, WORKER1, "80/TCP", eot("ingress")),
        allow(EXT, API1, "9090/TCP", step("ingress", gnp("api-not-web"), 0, "Allow")),
        allow(DNS, API1, "9090/TCP", step("ingress", gnp("api-not-web"), 0, "Allow")),
        deny(WEB2, API1, "9090/TCP", eot("ingress")),
    ],
)

scenario(
    "calico-rule-namespace-selector-and-pcns-labels",
    "§3.5 (rule namespaceSelector in an NP is not limited to its own namespace), §3.3 (pcns.* "
    "labels on pods), §3.4 (GNP policy-level namespaceSelector prefixed pcns.); "
    "updateprocessors/rules.go, S-CONV NamespaceToProfile",
    docs(
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: api-from-team-web, namespace: backend}
        spec:
          selector: app == 'api'
          types: [Ingress]
          ingress: [{action: Allow, source: {namespaceSelector: team == 'web'}}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: team-api-from-web}
        spec:
          order: 10
          selector: pcns.team == 'api' && app == 'db'
          types: [Ingress]
          ingress:
          - {action: Deny, source: {selector: pcns.team == 'web'}}
          - {action: Allow}
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: web-namespace-ingress}
        spec:
          namespaceSelector: team == 'web'
          types: [Ingress]
          ingress: [{action: Allow, source: {selector: pcns.team == 'api'}}]
        """,
    ),
    [
        allow(WEB2, API1, "9090/TCP", step("ingress", np("backend/api-from-team-web"), 0, "Allow")),
        deny(WORKER1, API1, "9090/TCP", eot("ingress")),
        deny(WEB1, DB1, "5432/TCP", step("ingress", gnp("team-api-from-web"), 0, "Deny")),
        allow(WORKER1, DB1, "5432/TCP", step("ingress", gnp("team-api-from-web"), 1, "Allow")),
        allow(API1, WEB2, "8080/TCP", step("ingress", gnp("web-namespace-ingress"), 0, "Allow")),
        deny(DNS, WEB2, "8080/TCP", eot("ingress")),
    ],
)

scenario(
    "calico-global-namespace-selector-and-expected-ips",
    "§3.5 (namespaceSelector global() = non-namespaced HEPs / global sets only), §4.5 (HEPs "
    "are matched by expectedIPs only; without them, selecting rules never match), §5.9",
    docs(
        hep(
            "n2-eth0",
            "n2",
            "eth0",
            ("10.0.0.2",),
            "{host-role: worker}",
            ("projectcalico-default-allow",),
        ),
        hep("n1-eth0", "n1", "eth0", (), "{host-role: worker}", ("projectcalico-default-allow",)),
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: from-worker-hosts, namespace: backend}
        spec:
          selector: app in {'api', 'db'}
          types: [Ingress]
          ingress:
          - action: Allow
            source: {namespaceSelector: global(), selector: host-role == 'worker'}
        """,
    ),
    [
        allow(N2, API1, "9090/TCP", step("ingress", np("backend/from-worker-hosts"), 0, "Allow")),
        deny(WEB2, API1, "9090/TCP", eot("ingress")),
        # n1's HEP has the label but no expectedIPs: its address is not a member.
        deny(N1, DB1, "5432/TCP", eot("ingress")),
    ],
)

scenario(
    "calico-service-accounts",
    "§4.6 (serviceAccounts.names → projectcalico.org/serviceaccount; selector → pcsa.*), §3.3 "
    "(SA labels inherited from ksa.*), §3.5 (in an NP, scoped to its namespace); "
    "updateprocessors/rules.go parseServiceAccounts",
    docs(
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: api-by-sa-name}
        spec:
          selector: app == 'api'
          types: [Ingress]
          ingress: [{action: Allow, source: {serviceAccounts: {names: [web-sa]}}}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: db-by-sa-label}
        spec:
          selector: app == 'db'
          types: [Ingress]
          ingress: [{action: Allow, source: {serviceAccounts: {selector: role == 'frontend'}}}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: worker-by-sa, namespace: backend}
        spec:
          selector: app == 'worker'
          types: [Ingress]
          ingress: [{action: Allow, source: {serviceAccounts: {names: [web-sa, api-sa]}}}]
        """,
    ),
    [
        allow(WEB1, API1, "9090/TCP", step("ingress", gnp("api-by-sa-name"), 0, "Allow")),
        deny(WEB2, API1, "9090/TCP", eot("ingress")),
        allow(WEB1, DB1, "5432/TCP", step("ingress", gnp("db-by-sa-label"), 0, "Allow")),
        deny(WEB2, DB1, "5432/TCP", eot("ingress")),
        allow(API1, WORKER1, "80/TCP", step("ingress", np("backend/worker-by-sa"), 0, "Allow")),
        deny(WEB1, WORKER1, "80/TCP", eot("ingress")),
    ],
)

scenario(
    "gnp-service-account-selector",
    "§3.4 (policy-level serviceAccountSelector ANDed after prefixing pcsa.), §3.3 (pcsa.* "
    "labels from the ksa.<ns>.<sa> profile)",
    """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: frontend-sa-egress}
    spec:
      serviceAccountSelector: role == 'frontend'
      types: [Egress]
      egress: [{action: Allow, protocol: UDP, destination: {ports: [53]}}]
    """,
    [
        deny(WEB1, EXT, "443/TCP", eot("egress", note="frontend-sa-egress")),
        allow(WEB1, DNS, "53/UDP", step("egress", gnp("frontend-sa-egress"), 0, "Allow")),
        # web-2 runs as SA default (no role label) and api-1 as api-sa (role=api).
        allow(WEB2, EXT, "443/TCP", profile("egress", "kns.frontend")),
        allow(API1, EXT, "443/TCP", profile("egress", "kns.backend")),
    ],
)

scenario(
    "calico-protocol-notprotocol-ipversion",
    "§4.1 (protocol / notProtocol; ipVersion 6 never matches IPv4), §4.3",
    docs(
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: api-tcp-only}
        spec:
          selector: app == 'api'
          types: [Ingress]
          ingress:
          - {action: Deny, notProtocol: TCP}
          - {action: Allow, protocol: TCP, destination: {ports: [9090]}}
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: db-v6-only}
        spec:
          selector: app == 'db'
          types: [Ingress]
          ingress: [{action: Allow, ipVersion: 6}]
        """,
    ),
    [
        deny(WEB1, API1, "53/UDP", step("ingress", gnp("api-tcp-only"), 0, "Deny")),
        deny(WEB1, API1, "8/ICMP", step("ingress", gnp("api-tcp-only"), 0, "Deny")),
        allow(WEB1, API1, "9090/TCP", step("ingress", gnp("api-tcp-only"), 1, "Allow")),
        deny(WEB1, API1, "9091/TCP", eot("ingress")),
        deny(WEB1, DB1, "5432/TCP", eot("ingress")),
    ],
)

scenario(
    "calico-icmp-type",
    "§4.1 (icmp {type, code} requires protocol ICMP)",
    """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: api-ping}
    spec:
      selector: app == 'api'
      types: [Ingress]
      ingress:
      - {action: Allow, protocol: ICMP, icmp: {type: 8}}
      - {action: Deny, protocol: ICMP}
    """,
    [
        allow(WEB1, API1, "8/ICMP", step("ingress", gnp("api-ping"), 0, "Allow")),
        deny(WEB1, API1, "0/ICMP", step("ingress", gnp("api-ping"), 1, "Deny")),
        deny(WEB1, API1, "3/ICMP", step("ingress", gnp("api-ping"), 1, "Deny")),
        deny(WEB1, API1, "9090/TCP", eot("ingress")),
    ],
)

scenario(
    "calico-port-ranges-notports-named",
    "§4.4 (ranges 'a:b' inclusive; named ports resolve against the destination), §4.3 "
    "(notPorts must not match; ports items ORed)",
    docs(
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: api-range}
        spec:
          selector: app == 'api'
          types: [Ingress]
          ingress:
          - action: Allow
            protocol: TCP
            destination: {ports: ['9000:9100'], notPorts: [9050]}
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: db-named}
        spec:
          selector: app == 'db'
          types: [Ingress]
          ingress:
          - {action: Allow, protocol: TCP, destination: {ports: [pg, 8000]}}
        """,
    ),
    [
        allow(WEB1, API1, "9000/TCP", step("ingress", gnp("api-range"), 0, "Allow")),
        allow(WEB1, API1, "9100/TCP", step("ingress", gnp("api-range"), 0, "Allow")),
        deny(WEB1, API1, "9050/TCP", eot("ingress")),
        deny(WEB1, API1, "9101/TCP", eot("ingress")),
        allow(WEB1, DB1, "5432/TCP", step("ingress", gnp("db-named"), 0, "Allow")),
        allow(WEB1, DB1, "8000/TCP", step("ingress", gnp("db-named"), 0, "Allow")),
        deny(WEB1, DB1, "5433/TCP", eot("ingress")),
    ],
)

scenario(
    "calico-services-match-backends-post-dnat",
    "§4.6 (destination services = the Service's backend IPs and target ports), §2.1 (policy "
    "sees post-DNAT destinations); felix/serviceindex/serviceindex.go",
    docs(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: backend}
        spec:
          selector: {app: api}
          ports: [{port: 80, targetPort: 9090}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: web-to-api-service}
        spec:
          selector: app == 'web'
          types: [Egress]
          egress:
          - action: Allow
            destination: {services: {name: api, namespace: backend}}
        """,
    ),
    [
        allow(WEB1, API1, "9090/TCP", step("egress", gnp("web-to-api-service"), 0, "Allow")),
        deny(WEB1, API1, "80/TCP", eot("egress")),
        deny(WEB1, DB1, "5432/TCP", eot("egress")),
    ],
)

scenario(
    "calico-http-rule-allowed-at-l4",
    "§4.7 (http match: enforced only by an L7 proxy; at L4 the rule behaves as without it)",
    """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: api-http}
    spec:
      selector: app == 'api'
      types: [Ingress]
      ingress:
      - action: Allow
        protocol: TCP
        http: {methods: [GET]}
        destination: {ports: [9090]}
    """,
    [
        allow(WEB1, API1, "9090/TCP", step("ingress", gnp("api-http"), 0, "Allow", note="L7")),
        deny(WEB1, API1, "9091/TCP", eot("ingress")),
    ],
)

scenario(
    "calico-networkset-labels-and-scope",
    "§3.3 (NetworkSet: own labels + projectcalico.org/namespace + pcns.*), §3.5 (NP selector "
    "matches WEPs and NetworkSets in its namespace), §4.5; updateprocessors/networksetprocessor.go",
    docs(
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkSet
        metadata: {name: partners, namespace: backend, labels: {kind: partner}}
        spec: {nets: [203.0.113.0/24]}
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: web-from-team-api-sets}
        spec:
          selector: app == 'web'
          types: [Ingress]
          ingress: [{action: Allow, source: {selector: pcns.team == 'api' && kind == 'partner'}}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: api-from-partners, namespace: backend}
        spec:
          selector: app == 'api'
          types: [Ingress]
          ingress: [{action: Allow, source: {selector: kind == 'partner'}}]
        """,
    ),
    [
        allow("203.0.113.7", WEB1, "8080/TCP", step("ingress", gnp("web-from-team-api-sets"), 0)),
        deny(EXT, WEB1, "8080/TCP", eot("ingress")),
        allow("203.0.113.7", API1, "9090/TCP", step("ingress", np("backend/api-from-partners"), 0)),
        deny(EXT, API1, "9090/TCP", eot("ingress")),
    ],
)

scenario(
    "calico-np-selects-only-its-namespace",
    "§3.4 (Calico NP selector ANDed with projectcalico.org/namespace == '<ns>'), §2.2 point 2",
    """
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata: {name: deny-all, namespace: frontend}
    spec:
      selector: all()
      types: [Ingress]
      ingress: [{action: Deny}]
    """,
    [
        deny(API1, WEB1, "8080/TCP", step("ingress", np("frontend/deny-all"), 0, "Deny")),
        allow(WEB1, API1, "9090/TCP", profile("ingress", "kns.backend")),
    ],
)

# --- §3.4 policy-level selectors and host endpoints -------------------------------------------

N1_ETH0 = hep(
    "n1-eth0", "n1", "eth0", ("10.0.0.1",), "{host-role: worker}", ("projectcalico-default-allow",)
)

scenario(
    "gnp-negative-namespace-selector-selects-heps",
    "§3.4 pitfall (negative namespaceSelector with no selector also selects every HEP), §8.3, "
    "review-log correction 5; updateprocessors/globalnetworkpolicyprocessor.go "
    "ConvertGlobalNetworkPolicyV3ToV1Value, selector/parser/ast.go LabelNotInSetNode",
    docs(
        N1_ETH0,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: deny-app-policy}
        spec:
          namespaceSelector: kubernetes.io/metadata.name not in {"kube-system"}
          types: [Ingress]
          ingress: [{action: Allow, protocol: TCP, destination: {ports: [443]}}]
        """,
    ),
    [
        deny(N2, N1, "10250/TCP", eot("host-ingress", note="deny-app-policy")),
        allow(N2, N1, "443/TCP", step("host-ingress", gnp("deny-app-policy"), 0, "Allow")),
        allow(N2, N1, "22/TCP", FAILSAFE),
        deny(WEB2, API1, "10250/TCP", eot("ingress")),
        allow(WEB2, DNS, "9153/TCP", profile("ingress", "kns.kube-system")),
    ],
)

scenario(
    "gnp-literal-all-rewrite-excludes-heps",
    "§3.4 (a literal all() in the combined selector becomes has(projectcalico.org/namespace) "
    "and excludes HEPs again); updateprocessors/selectors.go prefixAndAppendSelector",
    docs(
        N1_ETH0,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: deny-app-policy}
        spec:
          selector: all()
          namespaceSelector: kubernetes.io/metadata.name not in {"kube-system"}
          types: [Ingress]
          ingress: [{action: Allow, protocol: TCP, destination: {ports: [443]}}]
        """,
    ),
    [
        allow(N2, N1, "10250/TCP", profile("host-ingress", "projectcalico-default-allow")),
        deny(WEB2, API1, "10250/TCP", eot("ingress", note="deny-app-policy")),
    ],
)

scenario(
    "gnp-spaced-all-is-not-rewritten",
    "§3.4 ('selector: all( )' with a space is not rewritten, so the negative namespaceSelector "
    "still selects HEPs), §3.1 (all( ) is valid)",
    docs(
        N1_ETH0,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: deny-app-policy}
        spec:
          selector: all( )
          namespaceSelector: kubernetes.io/metadata.name not in {"kube-system"}
          types: [Ingress]
          ingress: [{action: Allow, protocol: TCP, destination: {ports: [443]}}]
        """,
    ),
    [
        deny(N2, N1, "10250/TCP", eot("host-ingress")),
        allow(N2, N1, "443/TCP", step("host-ingress", gnp("deny-app-policy"), 0, "Allow")),
    ],
)

scenario(
    "gnp-positive-namespace-selector-excludes-heps",
    "§3.4 (a positive namespaceSelector excludes HEPs: they have no pcns.* labels)",
    docs(
        N1_ETH0,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: team-web-only}
        spec:
          namespaceSelector: team == 'web'
          types: [Ingress]
          ingress: [{action: Allow, protocol: TCP, destination: {ports: [443]}}]
        """,
    ),
    [
        allow(N2, N1, "10250/TCP", profile("host-ingress", "projectcalico-default-allow")),
        deny(WEB2, WEB1, "8080/TCP", eot("ingress")),
        allow(WEB2, API1, "9090/TCP", profile("ingress", "kns.backend")),
    ],
)

# --- §2.2 kind filter ---------------------------------------------------------------------------

scenario(
    "prednat-and-untracked-policies-never-apply-to-workloads",
    "§2.2 point 4 (policies with preDNAT or doNotTrack never apply to WEPs), §1.6",
    docs(
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: pre-dnat-deny-all}
        spec:
          selector: all()
          preDNAT: true
          applyOnForward: true
          types: [Ingress]
          ingress: [{action: Deny}]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: untracked-deny-all}
        spec:
          selector: all()
          doNotTrack: true
          applyOnForward: true
          types: [Ingress, Egress]
          ingress: [{action: Deny}]
          egress: [{action: Deny}]
        """,
    ),
    [
        allow(WEB1, API1, "9090/TCP", profile("ingress", "kns.backend")),
        allow(WEB1, WEB2, "8080/TCP", profile("egress", "kns.frontend")),
    ],
)

# --- §5 host endpoints and node-level traffic ---------------------------------------------------

scenario(
    "hostnetwork-pod-not-selectable",
    "§5.10 (hostNetwork pods are not WEPs; no NetworkPolicy can select them; host traffic), §7 "
    "(policies never restrict a hostNetwork pod), §5.8 (no HEP ⇒ unfiltered); S-CONV "
    "IsValidCalicoWorkloadEndpoint",
    docs(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-all, namespace: kube-system}
        spec:
          podSelector: {}
          policyTypes: [Ingress]
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: deny-exporter}
        spec:
          selector: app == 'node-exporter'
          types: [Ingress]
          ingress: [{action: Deny}]
        """,
    ),
    [
        allow(WEB2, EXPORTER, "9100/TCP", UNPOLICED),
        allow(EXT, EXPORTER, "9100/TCP", UNPOLICED),
        # Contrast: a real pod of kube-system is isolated by the same KNP (same node n2).
        deny(WEB2, DNS, "53/UDP", eot("ingress", note="deny-all")),
    ],
)

scenario(
    "pod-to-own-node-endpoint-to-host-action",
    "§5.6 step 4 (DefaultEndpointToHostAction ACCEPT ⇒ reachable after the pod's egress; DROP ⇒ "
    "blocked), §5.10 (pod → hostNetwork pod on the same node is the same path); "
    "felix/rules/static.go filterWorkloadToHostChain, felix/fv/ep_to_host_action_test.go",
    "",
    [
        allow(WEB1, N1, "10250/TCP", E2H_ACCEPT, endpoint_to_host="ACCEPT"),
        deny(WEB1, N1, "10250/TCP", E2H_DROP, endpoint_to_host="DROP"),
        deny(WEB1, EXPORTER, "9100/TCP", E2H_DROP, endpoint_to_host="DROP"),
        allow(WEB1, EXPORTER, "9100/TCP", E2H_ACCEPT, endpoint_to_host="ACCEPT"),
        # Without any input saying otherwise, the standard-install ACCEPT is assumed.
        allow(WEB1, N1, "10250/TCP", step("endpoint-to-host", note="assumed")),
        # The flag only concerns pod → own node: pod → remote node is unaffected.
        allow(WEB1, N2, "10250/TCP", UNPOLICED, endpoint_to_host="DROP"),
    ],
)

scenario(
    "endpoint-to-host-from-felix-configuration",
    "§1.6 / §5.6 (FelixConfiguration defaultEndpointToHostAction), precedence env > "
    "FelixConfiguration (next scenario); felix/config/config_params.go",
    felix("{defaultEndpointToHostAction: Drop}"),
    [
        deny(WEB1, N1, "10250/TCP", step(**E2H_DROP, note="FelixConfiguration default")),
        allow(WEB1, N1, "10250/TCP", E2H_ACCEPT, endpoint_to_host="ACCEPT"),
    ],
)

scenario(
    "endpoint-to-host-env-beats-felix-configuration",
    "§1.6 precedence (calico-node env > FelixConfiguration), §5.6 (standard installs set "
    "FELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT); S-MANIFEST manifests/calico.yaml",
    docs(
        felix("{defaultEndpointToHostAction: Drop}"),
        calico_node_env("[{name: FELIX_DEFAULTENDPOINTTOHOSTACTION, value: ACCEPT}]"),
    ),
    [allow(WEB1, N1, "10250/TCP", step(**E2H_ACCEPT, note="FELIX_DEFAULTENDPOINTTOHOSTACTION"))],
)

scenario(
    "endpoint-to-host-env-of-canal-mixed-case",
    "§1.6 precedence (Felix env > FelixConfiguration) wherever Felix runs: Canal's DaemonSet "
    "is canal (manifests/canal.yaml); Felix matches FELIX_ case-insensitively "
    "(felix/config/env_var_loader.go LoadConfigFromEnvironment)",
    docs(
        felix("{defaultEndpointToHostAction: Drop}"),
        calico_node_env("[{name: Felix_DefaultEndpointToHostAction, value: Accept}]").replace(
            "name: calico-node, namespace", "name: canal, namespace"
        ),
    ),
    [allow(WEB1, N1, "10250/TCP", step(**E2H_ACCEPT, note="FELIX_DEFAULTENDPOINTTOHOSTACTION"))],
)

scenario(
    "endpoint-to-host-env-of-a-container-not-running-felix-ignored",
    "§1.6 (negative of the above): FELIX_* env of a container not running Felix is not Felix's "
    "(felix/config/env_var_loader.go reads Felix's own process environment)",
    docs(
        felix("{defaultEndpointToHostAction: Drop}"),
        calico_node_env("[{name: FELIX_DEFAULTENDPOINTTOHOSTACTION, value: ACCEPT}]")
        .replace("name: calico-node, namespace", "name: exporter, namespace")
        .replace("- name: calico-node", "- name: exporter")
        .replace("calico/node:v3.31.0", "prom/node-exporter"),
    ),
    [deny(WEB1, N1, "10250/TCP", step(**E2H_DROP, note="FelixConfiguration default"))],
)

scenario(
    "endpoint-to-host-felix-builtin-default-drop",
    "§5.6 step 4 (Felix built-in default DROP when neither env nor FelixConfiguration sets it); "
    "felix/config/config_params.go",
    calico_node_env("[{name: FELIX_HEALTHENABLED, value: 'true'}]"),
    [deny(WEB1, N1, "10250/TCP", E2H_DROP)],
)

STAR_HEP_N1 = hep("n1-all", "n1", "*", ("10.0.0.1",), "{host-role: worker}")

scenario(
    "normal-hep-policy-not-applied-to-pod-to-own-node",
    "§5.6 step 3 (neither a named HEP nor the * HEP's normal policy governs pod → own host; "
    "DefaultEndpointToHostAction does), §5.4, review-log correction 7; "
    "felix/fv/ep_to_host_action_test.go ('DefaultEndpointToHostAction overrides normal "
    "wildcard HEP policy')",
    docs(
        STAR_HEP_N1,
        hep("n2-eth0", "n2", "eth0", ("10.0.0.2",), "{host-role: worker}"),
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: deny-to-hosts}
        spec:
          selector: host-role == 'worker'
          types: [Ingress]
          ingress: [{action: Deny}]
        """,
    ),
    [
        allow(
            WEB1,
            N1,
            "10250/TCP",
            E2H_ACCEPT,
            endpoint_to_host="ACCEPT",
            absent=(step("host-ingress"),),
        ),
        allow(WEB2, N2, "10250/TCP", E2H_ACCEPT, endpoint_to_host="ACCEPT"),
        # DROP blocks even though no HEP policy is involved.
        deny(WEB1, N1, "10250/TCP", E2H_DROP, endpoint_to_host="DROP"),
        # Contrast: the same HEP policy does govern traffic from another node.
        deny(WEB2, N1, "10250/TCP", step("host-ingress", gnp("deny-to-hosts"), 0, "Deny")),
        deny(EXT, N2, "10250/TCP", step("host-ingress", gnp("deny-to-hosts"), 0, "Deny")),
    ],
)

PRE_DNAT_DENY = """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: pre-dnat-deny}
    spec:
      selector: host-role == 'worker'
      preDNAT: true
      applyOnForward: true
      types: [Ingress]
      ingress: [{action: Deny}]
"""

scenario(
    "star-hep-prednat-blocks-pod-to-own-node-except-failsafe",
    "§5.6 step 1 (the * HEP's pre-DNAT policy sees packets from pods; a Deny blocks pod → own "
    "node; iptables: inbound failsafe ports bypass it), §5.5, §8.3, §9 step 1; "
    "felix/rules/static.go StaticMangleTableChains, review-log correction 8",
    docs(
        hep(
            "n1-all",
            "n1",
            "*",
            ("10.0.0.1",),
            "{host-role: worker}",
            ("projectcalico-default-allow",),
        ),
        PRE_DNAT_DENY,
    ),
    [
        deny(WEB1, N1, "10250/TCP", step("host-pre-dnat", gnp("pre-dnat-deny"), 0, "Deny")),
        deny(WEB1, N1, "53/UDP", step("host-pre-dnat", gnp("pre-dnat-deny"), 0, "Deny")),
        allow(WEB1, N1, "22/TCP", E2H_ACCEPT, also=(FAILSAFE,)),
        allow(WEB1, N1, "6443/TCP", E2H_ACCEPT, also=(FAILSAFE,)),
        # Failsafe bypasses pre-DNAT only; DefaultEndpointToHostAction still applies.
        deny(WEB1, N1, "22/TCP", E2H_DROP, endpoint_to_host="DROP"),
    ],
)

scenario(
    "star-hep-prednat-failsafe-bypass-for-forwarded-traffic",
    "§5.4 (the * HEP's pre-DNAT policy sees local pod → local pod and traffic forwarded to "
    "pods), §5.5 (iptables/nftables: the mangle failsafe rules match protocol+port only, with no "
    "'destination is local' test, so pre-DNAT can never drop an inbound-failsafe destination "
    "port, even one forwarded to a pod or arriving from a local pod through a * HEP; WEP policy "
    "still applies), review-log correction 8; felix/rules/static.go StaticMangleTableChains, "
    "felix/rules/endpoints.go endpointIptablesChain",
    docs(
        hep(
            "n1-all",
            "n1",
            "*",
            ("10.0.0.1",),
            "{host-role: worker}",
            ("projectcalico-default-allow",),
        ),
        PRE_DNAT_DENY,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: api-ssh-from-web, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress:
          - from: [{namespaceSelector: {matchLabels: {team: web}}}]
            ports: [{port: 22}]
        """,
    ),
    [
        deny(WEB1, API1, "9090/TCP", step("host-pre-dnat", gnp("pre-dnat-deny"), 0, "Deny")),
        deny(N2, API1, "9090/TCP", step("host-pre-dnat", gnp("pre-dnat-deny"), 0, "Deny")),
        allow(WEB1, API1, "22/TCP", step("ingress", np("backend/api-ssh-from-web"), 0, "Allow")),
        allow(WEB2, API1, "22/TCP", step("ingress", np("backend/api-ssh-from-web"), 0, "Allow")),
        # Past pre-DNAT, the pod's own policy still decides.
        deny(N2, API1, "22/TCP", eot("ingress", note="api-ssh-from-web")),
    ],
)

scenario(
    "star-hep-prednat-ebpf-no-failsafe-for-pods",
    "§5.5 (eBPF checks failsafes only in HEP programs), §5.6 step 1 (in eBPF the pre-DNAT Deny "
    "applies to failsafe ports too); felix/dataplane/linux/bpf_ep_mgr.go, felix/bpf-gpl/tc.c",
    docs(STAR_HEP_N1, PRE_DNAT_DENY, felix("{bpfEnabled: true}")),
    [
        deny(WEB1, N1, "22/TCP", step("host-pre-dnat", gnp("pre-dnat-deny"), 0, "Deny")),
        deny(WEB1, API1, "22/TCP", step("host-pre-dnat", gnp("pre-dnat-deny"), 0, "Deny")),
    ],
)

scenario(
    "node-to-own-pod-always-allowed",
    "§5.7 (host → local pod never policed), §8.1 (node → local pods still allowed under the "
    "seed), §5.10 (hostNetwork pod → local pod); felix/rules/static.go filterOutputChain",
    SEED,
    [
        allow(N1, WEB1, "8080/TCP", HOST_TO_LOCAL_POD, absent=(step("ingress"),)),
        allow(EXPORTER, API1, "9090/TCP", HOST_TO_LOCAL_POD),
        deny(N2, WEB1, "8080/TCP", step("ingress", gnp("default-deny"), 0, "Deny")),
    ],
)

scenario(
    "host-to-remote-pod-ipblock-not-podselector",
    "§5.9 (remote node / hostNetwork pod → pod: KNP pod/namespace selectors never match the "
    "node address; only ipBlock or HEP selectors do), §7 (hostNetwork pods: use ipBlock)",
    docs(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-all-pods, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress:
          - from: [{namespaceSelector: {}, podSelector: {}}]
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-nodes, namespace: backend}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress:
          - from: [{ipBlock: {cidr: 10.0.0.0/24}}]
        """,
    ),
    [
        deny(N2, API1, "9090/TCP", eot("ingress")),
        allow(WEB2, API1, "9090/TCP", step("ingress", np("backend/from-all-pods"), 0, "Allow")),
        allow(N1, DB1, "5432/TCP", step("ingress", np("backend/from-nodes"), 0, "Allow")),
        allow(EXPORTER, DB1, "5432/TCP", step("ingress", np("backend/from-nodes"), 0, "Allow")),
        deny(WEB1, DB1, "5432/TCP", eot("ingress")),
    ],
)

N2_HEP_POLICY = docs(
    N1_ETH0,
    hep("n2-eth0", "n2", "eth0", ("10.0.0.2",), "{host-role: db-host}"),
    """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: n2-ingress}
    spec:
      selector: host-role == 'db-host'
      types: [Ingress]
      ingress:
      - action: Allow
        protocol: TCP
        source: {selector: app == 'web'}
        destination: {ports: [10250]}
      - action: Allow
        protocol: TCP
        source: {selector: host-role == 'worker'}
        destination: {ports: [10255]}
      - action: Allow
        protocol: TCP
        source: {nets: [10.0.0.1/32]}
        destination: {ports: [10256]}
    """,
)

scenario(
    "natoutgoing-snat-remote-hep-sees-node-ip",
    "§4.8 (natOutgoing masquerades pod → other nodes' IPs with natOutgoingExclusions "
    "IPPoolsOnly: the remote HEP sees the sending node's IP), §5.8; felix/rules/nat.go "
    "makeNATOutgoingRuleIPTables",
    N2_HEP_POLICY,
    [
        deny(WEB1, N2, "10250/TCP", eot("host-ingress", note="n2-ingress")),
        allow(WEB1, N2, "10255/TCP", step("host-ingress", gnp("n2-ingress"), 1, "Allow")),
        allow(WEB1, N2, "10256/TCP", step("host-ingress", gnp("n2-ingress"), 2, "Allow")),
        allow(N1, N2, "10255/TCP", step("host-ingress", gnp("n2-ingress"), 1, "Allow")),
    ],
)

scenario(
    "natoutgoing-excluded-for-host-ips-keeps-pod-ip",
    "§4.8 (natOutgoingExclusions IPPoolsAndHostIPs exempts host IPs: the HEP sees the pod IP), "
    "§1.6 FelixConfiguration natOutgoingExclusions",
    docs(N2_HEP_POLICY, felix("{natOutgoingExclusions: IPPoolsAndHostIPs}")),
    [
        allow(WEB1, N2, "10250/TCP", step("host-ingress", gnp("n2-ingress"), 0, "Allow")),
        deny(WEB1, N2, "10255/TCP", eot("host-ingress")),
    ],
)

scenario(
    "no-natoutgoing-pool-keeps-pod-ip",
    "§4.8 (only natOutgoing pools masquerade), §1.6 IPPool.spec natOutgoing default false",
    docs(
        N2_HEP_POLICY,
        """
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: default-ipv4-ippool}
        spec: {cidr: 192.168.0.0/16, natOutgoing: false}
        """,
    ),
    [allow(WEB1, N2, "10250/TCP", step("host-ingress", gnp("n2-ingress"), 0, "Allow"))],
)

scenario(
    "hep-resolution-first-name-wins",
    "§5.1 (several HEPs claiming one interface: the alphabetically first name wins); "
    "felix/dataplane/linux/endpoint_mgr.go resolveHostEndpoints",
    docs(
        hep("a-eth0", "n2", "eth0", ("10.0.0.2",), "{host-role: worker}"),
        hep(
            "b-eth0",
            "n2",
            "eth0",
            ("10.0.0.2",),
            "{host-role: worker}",
            ("projectcalico-default-allow",),
        ),
    ),
    [
        deny(
            N1,
            N2,
            "10250/TCP",
            step(
                "host-ingress",
                action="Deny (no profile allowed)",
                subject="node n2 (host endpoint a-eth0, interface eth0)",
            ),
        ),
    ],
)

scenario(
    "star-hep-prednat-governs-named-interface-without-prednat",
    "§5.1 last bullet (iptables/nftables: the pre-DNAT dispatch lists only interfaces whose HEP "
    "has pre-DNAT policy; a named eth0 HEP without it falls to the * HEP's pre-DNAT chain), "
    "§5.5; felix/dataplane/linux/endpoint_mgr.go updateHostEndpoints",
    docs(
        N1_ETH0,  # host-role=worker, default-allow profile
        hep("n1-all", "n1", "*", ("10.0.0.1",), "{star: 'yes'}"),
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: star-pre-dnat-deny}
        spec:
          selector: has(star)
          preDNAT: true
          applyOnForward: true
          types: [Ingress]
          ingress: [{action: Deny}]
        """,
    ),
    [
        deny(
            N2,
            N1,
            "10250/TCP",
            step(
                "host-pre-dnat",
                gnp("star-pre-dnat-deny"),
                0,
                "Deny",
                subject="node n1 (host endpoint n1-all, interface *)",
            ),
        ),
        allow(N2, N1, "22/TCP", FAILSAFE),
    ],
)

scenario(
    "no-hep-remote-node-unrestricted",
    "§5.1 (no HEP on a node ⇒ Calico does not filter its host traffic), §5.8, §9 step 4",
    "",
    [
        allow(WEB1, N2, "10250/TCP", UNPOLICED, also=(profile("egress", "kns.frontend"),)),
        allow(N1, N2, "2379/TCP", step("unpoliced", note="no host endpoint")),
        allow(EXT, N2, "10250/TCP", UNPOLICED),
    ],
)

scenario(
    "hep-without-policy-denies-except-failsafe",
    "§5.2 (a HEP with no applicable policy and no allow profile denies host traffic except "
    "failsafe), §2.6 (HEPs default to deny), §5.5, §5.4 (forwarded traffic is allowed by "
    "default and profiles are not used for it); D-HEP",
    hep("n2-eth0", "n2", "eth0", ("10.0.0.2",), "{host-role: worker}"),
    [
        deny(N1, N2, "10250/TCP", step("host-ingress", action="Deny (no profile allowed)")),
        deny(WEB1, N2, "10250/TCP", step("host-ingress", action="Deny (no profile allowed)")),
        allow(N1, N2, "22/TCP", FAILSAFE),
        deny(N2, N1, "10250/TCP", step("host-egress", action="Deny (no profile allowed)")),
        allow(N2, N1, "6443/TCP", UNPOLICED, also=(FAILSAFE,)),
        allow(WEB1, WEB2, "8080/TCP", profile("ingress", "kns.frontend")),
    ],
)

scenario(
    "failsafe-ports-disabled",
    "§5.5 (failsafeInboundHostPorts: [] disables the inbound failsafes), §1.6",
    docs(
        hep("n2-eth0", "n2", "eth0", ("10.0.0.2",), "{host-role: worker}"),
        felix("{failsafeInboundHostPorts: []}"),
    ),
    [deny(N1, N2, "22/TCP", step("host-ingress", action="Deny (no profile allowed)"))],
)

scenario(
    "prednat-allow-skips-later-host-stages",
    "§5.4 details (pre-DNAT tiers never deny at their end; an explicit Allow there skips the "
    "later stages), §5.2",
    docs(
        hep("n2-eth0", "n2", "eth0", ("10.0.0.2",), "{host-role: worker}"),
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: pre-dnat-allow-kubelet}
        spec:
          selector: host-role == 'worker'
          preDNAT: true
          applyOnForward: true
          types: [Ingress]
          ingress: [{action: Allow, protocol: TCP, destination: {ports: [10250]}}]
        """,
    ),
    [
        allow(
            N1,
            N2,
            "10250/TCP",
            step("host-pre-dnat", gnp("pre-dnat-allow-kubelet"), 0, "Allow"),
            absent=(step("host-ingress"),),
        ),
        deny(N1, N2, "10251/TCP", step("host-ingress", action="Deny (no profile allowed)")),
    ],
)

scenario(
    "untracked-deny-on-named-hep",
    "§5.4 (untracked ingress rules of the arrival HEP: a Deny drops host-bound and forwarded-to-"
    "pod packets), §5.5 (raw-table failsafes still accept), review-log correction 6",
    docs(
        hep(
            "n2-eth0",
            "n2",
            "eth0",
            ("10.0.0.2",),
            "{host-role: worker}",
            ("projectcalico-default-allow",),
        ),
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: untracked-block-n1}
        spec:
          selector: host-role == 'worker'
          doNotTrack: true
          applyOnForward: true
          types: [Ingress]
          ingress: [{action: Deny, source: {nets: [10.0.0.1/32]}}]
        """,
    ),
    [
        deny(N1, N2, "10250/TCP", step("host-untracked", gnp("untracked-block-n1"), 0, "Deny")),
        allow(N1, N2, "22/TCP", FAILSAFE),
        deny(N1, DB1, "5432/TCP", step("host-untracked", gnp("untracked-block-n1"), 0, "Deny")),
        # Contrast: a different source is not matched; the default-allow profile applies.
        allow(EXT, N2, "10250/TCP", profile("host-ingress", "projectcalico-default-allow")),
    ],
)

AUTO_HEP = """
    apiVersion: projectcalico.org/v3
    kind: KubeControllersConfiguration
    metadata: {name: default}
    spec:
      controllers:
        node:
          hostEndpoint: {autoCreate: Enabled}
"""

scenario(
    "auto-hep-default-allow-profile",
    "§5.3 (auto HEPs: interfaceName *, profile projectcalico-default-allow, labels = node "
    "labels; allow everything until a policy selects them), §1.3; "
    "kube-controllers/pkg/controllers/node/hostendpoints.go",
    AUTO_HEP,
    [
        allow(
            N1,
            N2,
            "10250/TCP",
            step(
                "host-ingress",
                "Profile projectcalico-default-allow",
                0,
                "Allow (profile)",
                subject="node n2 (host endpoint n2-auto-hep, interface *)",
            ),
        ),
        allow(WEB1, N2, "10250/TCP", profile("host-ingress", "projectcalico-default-allow")),
    ],
)

scenario(
    "auto-hep-selected-by-policy-isolates",
    "§5.3 (auto HEP labels = node labels + created-by), §8.3 (once a policy selects auto HEPs "
    "its end-of-tier deny applies to the nodes), §5.5 (failsafe still open)",
    docs(
        AUTO_HEP,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: zone-b-hosts}
        spec:
          selector: zone == 'b' && projectcalico.org/created-by == 'calico-kube-controllers'
          types: [Ingress]
          ingress: [{action: Allow, protocol: TCP, destination: {ports: [443]}}]
        """,
    ),
    [
        deny(N1, N2, "10250/TCP", eot("host-ingress")),
        allow(N1, N2, "443/TCP", step("host-ingress", gnp("zone-b-hosts"), 0, "Allow")),
        allow(N1, N2, "22/TCP", FAILSAFE),
        # Zone a's auto HEP is not selected.
        allow(N2, N1, "10250/TCP", profile("host-ingress", "projectcalico-default-allow")),
    ],
)

scenario(
    "apply-on-forward-on-star-hep-governs-pod-traffic",
    "§5.4 (* HEPs treat pod interfaces as HEP interfaces for forwarded traffic: AOF ingress "
    "rules govern traffic from local pods, AOF egress rules traffic to local pods incl. "
    "same-node pod → pod; end-of-tier deny once a policy applies), §8.3, review-log correction "
    "6, §5.8, §2.2 point 4; felix/rules/static.go StaticFilterForwardChains, "
    "felix/fv/hostendpoints_test.go",
    docs(
        hep(
            "n1-all",
            "n1",
            "*",
            ("10.0.0.1",),
            "{host-role: worker}",
            ("projectcalico-default-allow",),
        ),
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: forward-policy}
        spec:
          selector: host-role == 'worker'
          applyOnForward: true
          types: [Ingress, Egress]
          ingress:
          - {action: Deny, protocol: TCP, destination: {ports: [8080]}}
          - {action: Allow}
          egress:
          - {action: Allow, protocol: TCP, destination: {ports: [9090]}}
          - {action: Allow, protocol: UDP, destination: {ports: [53]}}
        """,
    ),
    [
        # From a local pod out of the node: the * HEP's AOF ingress rules, then its egress.
        deny(
            WEB1, WEB2, "8080/TCP", step("host-forward-ingress", gnp("forward-policy"), 0, "Deny")
        ),
        allow(
            WEB1,
            DNS,
            "53/UDP",
            step("host-forward-egress", gnp("forward-policy"), 1, "Allow"),
        ),
        # To a local pod from another node: the * HEP's AOF egress rules.
        deny(WEB2, API1, "9091/TCP", eot("host-forward-egress", note="forward-policy")),
        allow(WEB2, API1, "9090/TCP", step("host-forward-egress", gnp("forward-policy"), 0)),
        # Pod → remote node: the source node's * HEP AOF ingress rules apply too (§5.8).
        deny(WEB1, N2, "8080/TCP", step("host-forward-ingress", gnp("forward-policy"), 0, "Deny")),
        # AOF policies are also normal policies for host-process traffic (§2.2 point 4).
        deny(N2, N1, "8080/TCP", step("host-ingress", gnp("forward-policy"), 0, "Deny")),
        allow(N2, N1, "10250/TCP", step("host-ingress", gnp("forward-policy"), 1, "Allow")),
        # Same-node pod → pod.
        deny(WEB1, API1, "9091/TCP", eot("host-forward-egress")),
        allow(
            WEB1,
            API1,
            "9090/TCP",
            profile("ingress", "kns.backend"),
            also=(step("host-forward-ingress", gnp("forward-policy"), 1, "Allow"),),
        ),
    ],
)

scenario(
    "forwarded-traffic-allowed-without-aof-policy",
    "§5.4 (forwarded traffic through a HEP is allowed by default when no applyOnForward policy "
    "applies; profiles are not used for it; normal policy does not apply to forwarded "
    "traffic); felix/rules/endpoints.go endpointIptablesChain",
    docs(
        STAR_HEP_N1,
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: hosts-normal-deny}
        spec:
          selector: host-role == 'worker'
          types: [Ingress, Egress]
          ingress: [{action: Deny}]
          egress: [{action: Deny}]
        """,
    ),
    [
        allow(WEB1, WEB2, "8080/TCP", profile("ingress", "kns.frontend")),
        allow(WEB2, API1, "9090/TCP", profile("ingress", "kns.backend")),
        deny(N2, N1, "10250/TCP", step("host-ingress", gnp("hosts-normal-deny"), 0, "Deny")),
    ],
)

# --- §2.10 AdminNetworkPolicy -------------------------------------------------------------------

scenario(
    "admin-network-policy-tier",
    "§2.10 (3.29–3.31: each ANP → GNP kanp.adminnetworkpolicy.<name> in tier "
    "adminnetworkpolicy (order 1000, defaultAction Pass), order = priority; Deny overrides a "
    "default-tier KNP allow, no match passes on), §2.3 built-in tiers; S-CONV "
    "K8sAdminNetworkPolicyToCalico",
    docs(
        tier("adminnetworkpolicy", 1000, "Pass"),
        """
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: {name: block-web-to-db}
        spec:
          priority: 10
          subject:
            pods:
              namespaceSelector: {matchLabels: {team: api}}
              podSelector: {matchLabels: {app: db}}
          ingress:
          - name: deny-web
            action: Deny
            from: [{namespaces: {matchLabels: {team: web}}}]
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-all-ingress, namespace: backend}
        spec:
          podSelector: {}
          ingress: [{}]
        """,
    ),
    [
        deny(
            WEB1, DB1, "5432/TCP", step("ingress", rule=0, action="Deny", tier="adminnetworkpolicy")
        ),
        allow(
            WORKER1,
            DB1,
            "5432/TCP",
            step("ingress", np("backend/allow-all-ingress"), 0, "Allow", tier="default"),
        ),
    ],
)

# --- §6 encryption ------------------------------------------------------------------------------

scenario(
    "wireguard-both-nodes-with-keys",
    "§6.2 (a pair encrypts iff both nodes publish keys), §6.3 (pod → remote pod and host → "
    "remote pod encrypted; → remote host IP not without host encryption; same node local; "
    "external never); felix/wireguard/wireguard.go, felix/dataplane/linux/wireguard_mgr.go",
    docs(*WG_NODES, felix("{wireguardEnabled: true}")),
    [
        allow(WEB1, WEB2, "8080/TCP", profile("ingress", "kns.frontend"), encryption="encrypted"),
        allow(N1, WEB2, "8080/TCP", profile("ingress", "kns.frontend"), encryption="encrypted"),
        allow(EXPORTER, DB1, "5432/TCP", profile("ingress", "kns.backend"), encryption="encrypted"),
        allow(WEB1, API1, "9090/TCP", profile("ingress", "kns.backend"), encryption="local"),
        allow(WEB1, N2, "10250/TCP", UNPOLICED, encryption="unencrypted"),
        allow(N1, N2, "10250/TCP", UNPOLICED, encryption="unencrypted"),
        allow(WEB1, EXT, "443/TCP", UNPOLICED, encryption="unencrypted"),
    ],
)

scenario(
    "wireguard-one-node-without-key",
    "§6.2 (traffic to/from a node without a published key goes unencrypted)",
    docs(
        node("n1", "10.0.0.1", "a", wg_key=True),
        node("n2", "10.0.0.2", "b", wg_key=False),
        felix("{wireguardEnabled: true}"),
    ),
    [
        allow(WEB1, WEB2, "8080/TCP", profile("ingress", "kns.frontend"), encryption="unencrypted"),
        allow(WEB2, API1, "9090/TCP", profile("ingress", "kns.backend"), encryption="unencrypted"),
        allow(N1, DB1, "5432/TCP", profile("ingress", "kns.backend"), encryption="unencrypted"),
    ],
)

scenario(
    "wireguard-host-encryption",
    "§6.3 (wireguardHostEncryptionEnabled: remote host IPs routed over WireGuard when both "
    "nodes are peers), §6.1, review-log correction 9; wireguard_mgr.go RouteType_REMOTE_HOST",
    docs(*WG_NODES, felix("{wireguardEnabled: true, wireguardHostEncryptionEnabled: true}")),
    [
        allow(WEB1, N2, "10250/TCP", UNPOLICED, encryption="encrypted"),
        allow(N1, N2, "10250/TCP", UNPOLICED, encryption="encrypted"),
        allow(WEB1, N1, "10250/TCP", E2H_ACCEPT, encryption="local"),
        allow(WEB1, EXT, "443/TCP", UNPOLICED, encryption="unencrypted"),
    ],
)

scenario(
    "wireguard-keys-without-enabled-flag-and-encapsulation",
    "§6.4 (IPIP/VXLAN encapsulation is not encryption), §6.1 (wireguardEnabled defaults off)",
    docs(
        *WG_NODES,
        """
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: default-ipv4-ippool}
        spec: {cidr: 192.168.0.0/16, natOutgoing: true, ipipMode: Always}
        """,
    ),
    [allow(WEB1, WEB2, "8080/TCP", profile("ingress", "kns.frontend"), encryption="unencrypted")],
)


# ============================================================================================
# Tests
# ============================================================================================


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario(scenario: Scenario) -> None:
    failures = scenario_failures(scenario)
    assert not failures, failures


# Sections of calico-semantics.md on policy evaluation, host endpoints and encryption that the
# table must cite at least once.
REQUIRED_SECTIONS = [
    "1.4", "1.6", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.9", "2.10",
    "3.3", "3.4", "3.5", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8",
    "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.7", "5.8", "5.9", "5.10",
    "6.1", "6.2", "6.3", "6.4", "7", "8", "8.1", "8.3", "9",
]  # fmt: skip


def test_table_shape() -> None:
    ids = [s.id for s in SCENARIOS]
    assert len(ids) == len(set(ids)), "scenario ids must be unique"
    assert len(SCENARIOS) >= 45
    for s in SCENARIOS:
        assert "§" in s.cite, f"{s.id}: cite a section of calico-semantics.md"
        assert s.checks, f"{s.id}: no checks"
    cited = {m for s in SCENARIOS for m in re.findall(r"§(\d+(?:\.\d+)?)", s.cite)}
    cited |= {sec.split(".")[0] for sec in cited}
    missing = [sec for sec in REQUIRED_SECTIONS if sec not in cited]
    assert not missing, f"sections not cited by any scenario: {missing}"
