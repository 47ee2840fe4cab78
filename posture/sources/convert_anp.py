"""AdminNetworkPolicy, BaselineAdminNetworkPolicy (``policy.networking.k8s.io/v1alpha1``) and
ClusterNetworkPolicy (``v1alpha2``) → Calico global policies in their own tiers
(calico-semantics §2.10; ``K8sAdminNetworkPolicyToCalico`` /
``K8sBaselineAdminNetworkPolicyToCalico`` in ``libcalico-go/lib/backend/k8s/conversion``).

* ANP → tier ``adminnetworkpolicy`` (order 1000, defaultAction Pass), policy order = priority;
  BANP → tier ``baselineadminnetworkpolicy`` (order 10,000,000, Pass), policy order 1000;
  ClusterNetworkPolicy → ``kube-admin`` / ``kube-baseline`` by ``spec.tier``.
* Subjects and peers select pods only (``projectcalico.org/orchestrator == 'k8s'``).
* ``types`` holds only the directions that have rules, so an empty direction does not isolate.
* Ports: v1alpha1 ``ports`` (portNumber, portRange, namedPort), v1alpha2 ``protocols``
  (tcp/udp/sctp ``destinationPort`` number or range; ``destinationNamedPort`` unsupported).
* A rule that cannot be converted (a ``nodes`` or ``domainNames`` peer, a
  ``destinationNamedPort``) becomes a deny-all rule
  when its action is Deny or Pass (fail closed) and is dropped when it allows. What the API
  server would refuse (a bad CIDR, priority above 1000, …) is an input error
  (``convert_validate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posture.model.meta import ObjectRef
from posture.model.net import parse_protocol
from posture.model.policy import Action, Direction, EntityMatch, Policy, PolicyKind, Rule, Tier
from posture.selectors.k8s import label_selector_to_calico
from posture.sources import convert_validate as validate
from posture.sources.convert_policy import NS_LABEL, ORCH_K8S, Where, entity

BUILTIN_TIERS = {
    "adminnetworkpolicy": Tier("adminnetworkpolicy", 1000.0, Action.PASS),
    "baselineadminnetworkpolicy": Tier("baselineadminnetworkpolicy", 10_000_000.0, Action.PASS),
    "kube-admin": Tier("kube-admin", 1000.0, Action.PASS),
    "kube-baseline": Tier("kube-baseline", 10_000_000.0, Action.PASS),
}
_ACTIONS = {"Allow": Action.ALLOW, "Accept": Action.ALLOW, "Deny": Action.DENY, "Pass": Action.PASS}


class _Unsupported(Exception):
    """A peer or port Calico cannot convert."""


def _ns_selector(where: Where, field: str, sel: Any) -> str:
    text = label_selector_to_calico(sel, where=f"{where.text} {field}")
    return text or "all()"


def _subject(where: Where, subject: Mapping[str, Any]) -> str:
    if "namespaces" in subject:
        ns = _ns_selector(where, "spec.subject.namespaces", subject["namespaces"])
        prefixed = str(where.selector("spec.subject.namespaces", ns).prefix_labels("pcns."))
        return f"{ORCH_K8S} && ({prefixed.replace('all()', f'has({NS_LABEL})')})"
    pods = subject.get("pods") or {}
    ns = _ns_selector(where, "spec.subject.pods.namespaceSelector", pods.get("namespaceSelector"))
    pod = label_selector_to_calico(
        pods.get("podSelector"), where=f"{where.text} spec.subject.pods.podSelector"
    )
    ns_text = str(where.selector("spec.subject.pods", ns).prefix_labels("pcns."))
    ns_text = ns_text.replace("all()", f"has({NS_LABEL})")
    parts = [ORCH_K8S, f"({ns_text})"] + ([f"({pod})"] if pod else [])
    return " && ".join(parts)


def _peer(where: Where, field: str, peer: Mapping[str, Any]) -> dict[str, Any]:
    if "namespaces" in peer:
        return {
            "selector": ORCH_K8S,
            "namespaceSelector": _ns_selector(where, f"{field}.namespaces", peer["namespaces"]),
        }
    if "pods" in peer:
        pods = peer["pods"] or {}
        pod = label_selector_to_calico(
            pods.get("podSelector"), where=f"{where.text} {field}.pods.podSelector"
        )
        return {
            "selector": f"{ORCH_K8S} && {pod}" if pod else ORCH_K8S,
            "namespaceSelector": _ns_selector(
                where, f"{field}.pods.namespaceSelector", pods.get("namespaceSelector")
            ),
        }
    if "networks" in peer:
        return {"nets": list(peer["networks"] or [])}
    raise _Unsupported(f"{field}: peer type {', '.join(peer) or 'empty'} is not supported")


def _ports(field: str, raw: Any) -> list[tuple[int | None, list[int | str] | None]]:
    if not raw:
        return [(None, None)]
    groups: dict[int, list[int | str]] = {}
    for i, p in enumerate(raw):
        if "portNumber" in p:
            pn = p["portNumber"]
            proto = parse_protocol(pn.get("protocol") or "TCP")
            groups.setdefault(proto, []).append(int(pn["port"]))
        elif "portRange" in p:
            pr = p["portRange"]
            proto = parse_protocol(pr.get("protocol") or "TCP")
            groups.setdefault(proto, []).append(f"{int(pr['start'])}:{int(pr['end'])}")
        elif "namedPort" in p:
            groups.setdefault(parse_protocol("TCP"), []).append(str(p["namedPort"]))
        else:
            raise _Unsupported(f"{field}[{i}]: unknown port form")
    return list(groups.items())


_TRANSPORTS = (("sctp", "SCTP"), ("tcp", "TCP"), ("udp", "UDP"))  # Calico's sorted order


def _protocols(field: str, raw: Any) -> list[tuple[int | None, list[int | str] | None]]:
    """ClusterNetworkPolicy (v1alpha2) ``protocols``, as Calico's ``unpackCNPProtocols``
    (libcalico-go/lib/backend/k8s/conversion/clusternetworkpolicy.go): one (protocol, ports)
    per transport; an entry without ``destinationPort`` is every port of its transport and
    wins over that transport's listed ports; an entry naming no transport, or no entries at
    all, is everything. ``destinationNamedPort`` is not converted by Calico ("named ports are
    not supported yet"): the whole rule fails (closed, see the module docstring)."""
    if not raw:
        return [(None, None)]
    groups: dict[int, list[int | str] | None] = {}
    for i, entry in enumerate(raw):
        if entry.get("destinationNamedPort"):
            raise _Unsupported(f"{field}[{i}].destinationNamedPort: not supported by Calico")
        transport = next(((k, n) for k, n in _TRANSPORTS if entry.get(k) is not None), None)
        if transport is None:
            return [(None, None)]
        key, name = transport
        proto = parse_protocol(name)
        dst = (entry[key] or {}).get("destinationPort")
        if not dst:
            groups[proto] = None
            continue
        if dst.get("number"):
            port: int | str = int(dst["number"])
        else:
            port = f"{int(dst['range']['start'])}:{int(dst['range']['end'])}"
        listed = groups.setdefault(proto, [])
        if listed is not None:
            listed.append(port)
    return list(groups.items())


def _rules(
    where: Where,
    field: str,
    raw: Any,
    direction: Direction,
    allowed: set[str],
    *,
    v1alpha2: bool = False,
) -> tuple[Rule, ...]:
    out: list[Rule] = []
    peers_key = "from" if direction is Direction.INGRESS else "to"
    for i, r in enumerate(raw or []):
        rf = f"{field}[{i}]"
        action_text = r.get("action")
        if action_text not in allowed:
            where.fail(f"{rf}.action", f"must be one of {', '.join(sorted(allowed))}")
        action = _ACTIONS[action_text]
        try:
            converted = []
            matches = (
                _protocols(f"{rf}.protocols", r.get("protocols"))
                if v1alpha2
                else _ports(f"{rf}.ports", r.get("ports"))
            )
            for proto, ports in matches:
                for j, peer in enumerate(r.get(peers_key) or []):
                    side = _peer(where, f"{rf}.{peers_key}[{j}]", peer)
                    port_side: dict[str, Any] = {"ports": ports} if ports else {}
                    if direction is Direction.INGRESS:
                        src = entity(where, f"{rf}.{peers_key}[{j}]", side, "", None)
                        dst = entity(where, f"{rf}.ports", port_side or None, "", proto)
                    else:
                        src = EntityMatch()
                        dst = entity(
                            where, f"{rf}.{peers_key}[{j}]", {**side, **port_side}, "", proto
                        )
                    converted.append(
                        Rule(action=action, index=i, protocol=proto, source=src, destination=dst)
                    )
            out.extend(converted)
        except (_Unsupported, ValueError, KeyError, TypeError):
            if action is not Action.ALLOW:
                out.append(Rule(action=Action.DENY, index=i))  # fail closed
    return tuple(out)


def admin_policy(obj: Mapping[str, Any], kind: str, where: Where) -> Policy:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    name = str(meta.get("name"))
    validate.admin_policy(spec, kind, where)  # what the API server would refuse
    if kind == "AdminNetworkPolicy":
        tier, prefix, order = "adminnetworkpolicy", "kanp.adminnetworkpolicy.", spec.get("priority")
        allowed = {"Allow", "Deny", "Pass"}
    elif kind == "BaselineAdminNetworkPolicy":
        tier, prefix, order = (
            "baselineadminnetworkpolicy",
            "kbanp.baselineadminnetworkpolicy.",
            1000,
        )
        allowed = {"Allow", "Deny"}
    else:  # ClusterNetworkPolicy (3.32+)
        level = spec.get("tier")
        if level not in ("Admin", "Baseline"):
            where.fail("spec.tier", "must be Admin or Baseline")
        tier = "kube-admin" if level == "Admin" else "kube-baseline"
        prefix, order = f"kcnp.{tier}.", spec.get("priority")
        allowed = {"Accept", "Deny", "Pass"}
    if order is None:
        where.fail("spec.priority", "required")
    subject = spec.get("subject")
    if not isinstance(subject, dict) or not subject:
        where.fail("spec.subject", "required: namespaces or pods")
    cnp = kind == "ClusterNetworkPolicy"
    ingress = _rules(
        where, "spec.ingress", spec.get("ingress"), Direction.INGRESS, allowed, v1alpha2=cnp
    )
    egress = _rules(
        where, "spec.egress", spec.get("egress"), Direction.EGRESS, allowed, v1alpha2=cnp
    )
    types = {d for d, rs in ((Direction.INGRESS, ingress), (Direction.EGRESS, egress)) if rs}
    return Policy(
        ref=ObjectRef(kind, "", name, str(obj.get("apiVersion") or "")),
        kind=PolicyKind.GLOBAL,
        tier=tier,
        order=float(order),
        sort_key=f"{prefix}{name}",
        selector=where.selector("spec.subject", _subject(where, subject)),
        types=frozenset(types),
        ingress=ingress,
        egress=egress,
        selector_text=f"subject {subject}",
    )
