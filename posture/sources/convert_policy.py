"""Raw policy objects → :class:`posture.model.policy.Policy`, exactly as Calico translates them.

Covers Calico (Staged)GlobalNetworkPolicy / (Staged)NetworkPolicy in both API groups and
Kubernetes NetworkPolicy / StagedKubernetesNetworkPolicy (converted as Calico's
``K8sNetworkPolicyToCalico`` does, calico-semantics §2.9). Rule selectors are rewritten into
the effective form Felix evaluates (``getEndpointSelector`` in
``libcalico-go/lib/backend/syncersv1/updateprocessors/rules.go``; §3.4, §3.5).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from posture.errors import InputError, SelectorError
from posture.model.meta import ObjectRef
from posture.model.net import PORTED_PROTOCOLS, IPSet, PortSet, parse_port_item, parse_protocol
from posture.model.policy import (
    Action,
    Direction,
    EntityMatch,
    IcmpMatch,
    Policy,
    PolicyKind,
    PortMatch,
    Rule,
    ServiceRef,
)
from posture.selectors import Selector, parse
from posture.selectors.k8s import label_selector_to_calico
from posture.sources.raw import (
    ENTITY_FIELDS,
    GNP_SPEC_FIELDS,
    NP_SPEC_FIELDS,
    RULE_FIELDS,
)

NS_LABEL = "projectcalico.org/namespace"
SA_LABEL = "projectcalico.org/serviceaccount"
ORCH_K8S = "projectcalico.org/orchestrator == 'k8s'"
METADATA_ANNOTATION = "projectcalico.org/metadata"
V1_GROUP = "crd.projectcalico.org"

_ACTIONS = {a.value: a for a in Action}
# Special policy-name prefixes that do not name a tier (names.TierFromPolicyName, v3.31).
_SPECIAL_PREFIXES = {"knp.default.": "default", "ossg.": "default"}


@dataclass(frozen=True, slots=True)
class Where:
    """Names the object under conversion in error messages: 'file:line: Kind ns/name'."""

    text: str

    def fail(self, field: str, message: str) -> NoReturn:
        raise InputError(f"{self.text}: {field}: {message}")

    def selector(self, field: str, text: str) -> Selector:
        try:
            sel = parse(text)
        except SelectorError as e:
            raise InputError(f"{self.text}: {field}: {e.message}") from None
        return sel


def _selector_no_global(where: Where, field: str, text: str) -> Selector:
    sel = where.selector(field, text)
    if sel.has_global:
        where.fail(field, "global() is only allowed as a rule's whole namespaceSelector")
    return sel


def tier_from_stored_name(name: str) -> str:
    """Felix 3.29–3.31 takes the tier from the stored (v1 CRD) name (§1.4)."""
    for prefix, tier in _SPECIAL_PREFIXES.items():
        if name.startswith(prefix):
            return tier
    return name.split(".", 1)[0] if "." in name else "default"


def v1_display_name(meta: Mapping[str, Any]) -> str:
    """The v3 name of a v1 CRD policy: from the metadata annotation (3.30+), else the stored
    name without the ``default.`` prefix (§1.4)."""
    name = str(meta.get("name", ""))
    ann = (meta.get("annotations") or {}).get(METADATA_ANNOTATION)
    if ann:
        try:
            original = json.loads(ann).get("name")
        except (ValueError, AttributeError):
            original = None
        if original:
            return str(original)
    return name.removeprefix("default.")


def _order(where: Where, spec: Mapping[str, Any]) -> float | None:
    raw = spec.get("order")
    if raw is None:
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        where.fail("spec.order", f"not a number: {raw!r}")


def _types(where: Where, spec: Mapping[str, Any], *, default_both: bool) -> frozenset[Direction]:
    raw = spec.get("types") or []
    if not isinstance(raw, list):
        where.fail("spec.types", "must be a list of Ingress/Egress")
    out: set[Direction] = set()
    for t in raw:
        if t not in ("Ingress", "Egress"):
            where.fail("spec.types", f"unknown type {t!r} (expected Ingress or Egress)")
        out.add(Direction(t))
    if out:
        return frozenset(out)
    if default_both:
        # Raw v1 CRD without types: Felix governs both directions (§2.7).
        return frozenset(Direction)
    # The v3 client's defaulting (§2.7): egress rules decide.
    has_egress = bool(spec.get("egress"))
    has_ingress = bool(spec.get("ingress"))
    if has_egress and has_ingress:
        return frozenset(Direction)
    if has_egress:
        return frozenset({Direction.EGRESS})
    return frozenset({Direction.INGRESS})


def calico_policy(obj: Mapping[str, Any], kind: PolicyKind, where: Where, *, v1: bool) -> Policy:
    """Convert a Calico (Staged)(Global)NetworkPolicy."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    if not isinstance(spec, dict):
        where.fail("spec", "must be a mapping")
    namespaced = kind in (PolicyKind.NAMESPACED, PolicyKind.STAGED_NAMESPACED)
    allowed = NP_SPEC_FIELDS if namespaced else GNP_SPEC_FIELDS
    for key in spec:
        if key not in allowed:
            where.fail(f"spec.{key}", f"unknown field for {kind.value}")
    ns = str(meta.get("namespace") or ("default" if namespaced else ""))
    stored = str(meta.get("name", ""))
    if v1:
        tier = tier_from_stored_name(stored)
        name = v1_display_name(meta)
    else:
        tier = str(spec.get("tier") or "default")
        name = stored
        if "." not in stored or not stored.startswith(tier + "."):
            stored = f"{tier}.{stored}"
    sort_key = f"{ns}/{stored}" if namespaced else stored

    sel_text = str(spec.get("selector") or "")
    _selector_no_global(where, "spec.selector", sel_text)
    selector = sel_text
    if namespaced:
        ns_sel = f"{NS_LABEL} == '{ns}'"
        selector = f"({selector}) && {ns_sel}" if selector else ns_sel
        selector = _prefix_append(
            where,
            "spec.serviceAccountSelector",
            selector,
            str(spec.get("serviceAccountSelector") or ""),
            "pcsa.",
            None,
        )
    else:
        selector = _prefix_append(
            where,
            "spec.namespaceSelector",
            selector,
            str(spec.get("namespaceSelector") or ""),
            "pcns.",
            f"has({NS_LABEL})",
        )
        selector = _prefix_append(
            where,
            "spec.serviceAccountSelector",
            selector,
            str(spec.get("serviceAccountSelector") or ""),
            "pcsa.",
            f"has({SA_LABEL})",
        )
    rule_ns = ns if namespaced else ""
    pre_dnat = bool(spec.get("preDNAT", False)) and not namespaced
    return Policy(
        ref=ObjectRef(kind.value, ns if namespaced else "", name),
        kind=kind,
        tier=tier,
        order=_order(where, spec),
        sort_key=sort_key,
        selector=where.selector("spec.selector", selector),
        types=_types(where, spec, default_both=v1),
        ingress=rules(where, "spec.ingress", spec.get("ingress"), rule_ns),
        egress=rules(where, "spec.egress", spec.get("egress"), rule_ns),
        do_not_track=bool(spec.get("doNotTrack", False)) and not namespaced,
        pre_dnat=pre_dnat,
        apply_on_forward=bool(spec.get("applyOnForward", False)) and not namespaced,
        namespace=rule_ns,
        selector_text=_scope_text(spec, namespaced),
    )


def _scope_text(spec: Mapping[str, Any], namespaced: bool) -> str:
    """The policy's scope as written, for explanations."""
    parts = [f"selector {spec.get('selector') or 'all()'}"]
    for key in ("namespaceSelector", "serviceAccountSelector"):
        if spec.get(key) and (key != "namespaceSelector" or not namespaced):
            parts.append(f"{key} {spec[key]}")
    return ", ".join(parts)


def _prefix_append(
    where: Where, field: str, current: str, new: str, prefix: str, all_replacement: str | None
) -> str:
    """``prefixAndAppendSelector`` (updateprocessors/selectors.go) and, for global policies,
    the textual ``all()`` rewrite over the combined string (§3.4)."""
    if not new:
        return current
    prefixed = str(_selector_no_global(where, field, new).prefix_labels(prefix))
    combined = f"({current}) && {prefixed}" if current else prefixed
    if all_replacement is not None:
        combined = combined.replace("all()", all_replacement)
    return combined


def rules(where: Where, field: str, raw: Any, ns: str) -> tuple[Rule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        where.fail(field, "must be a list of rules")
    return tuple(rule(where, f"{field}[{i}]", r, ns, i) for i, r in enumerate(raw))


def rule(where: Where, field: str, raw: Any, ns: str, index: int) -> Rule:
    if not isinstance(raw, dict):
        where.fail(field, "must be a mapping")
    for key in raw:
        if key not in RULE_FIELDS:
            where.fail(f"{field}.{key}", "unknown rule field")
    action_text = raw.get("action")
    if action_text not in _ACTIONS:
        where.fail(f"{field}.action", f"must be Allow, Deny, Pass or Log, not {action_text!r}")
    protocol = _protocol(where, f"{field}.protocol", raw.get("protocol"))
    not_protocol = _protocol(where, f"{field}.notProtocol", raw.get("notProtocol"))
    icmp = _icmp(where, f"{field}.icmp", raw.get("icmp"), protocol)
    not_icmp = _icmp(where, f"{field}.notICMP", raw.get("notICMP"), protocol)
    ip_version = raw.get("ipVersion")
    if ip_version not in (None, 4, 6):
        where.fail(f"{field}.ipVersion", f"must be 4 or 6, not {ip_version!r}")
    src = entity(where, f"{field}.source", raw.get("source"), ns, protocol)
    dst = entity(where, f"{field}.destination", raw.get("destination"), ns, protocol)
    return Rule(
        action=_ACTIONS[action_text],
        index=index,
        protocol=protocol,
        not_protocol=not_protocol,
        icmp=icmp,
        not_icmp=not_icmp,
        ip_version=ip_version,
        source=src,
        destination=dst,
        http=raw.get("http") is not None,
    )


def _protocol(where: Where, field: str, raw: Any) -> int | None:
    if raw is None:
        return None
    try:
        return parse_protocol(raw)
    except ValueError as e:
        where.fail(field, str(e))


def _icmp(where: Where, field: str, raw: Any, protocol: int | None) -> IcmpMatch | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        where.fail(field, "must be a mapping with type and code")
    if protocol not in (1, 58):
        where.fail(field, "requires protocol ICMP or ICMPv6")
    typ, code = raw.get("type"), raw.get("code")
    if code is not None and typ is None:
        where.fail(field, "code requires type")
    if typ is None:
        return None
    if not isinstance(typ, int) or not 0 <= typ <= 254:
        where.fail(f"{field}.type", f"must be 0-254, not {typ!r}")
    if code is not None and (not isinstance(code, int) or not 0 <= code <= 255):
        where.fail(f"{field}.code", f"must be 0-255, not {code!r}")
    return IcmpMatch(typ, code)


def _ports(where: Where, field: str, raw: Any, protocol: int | None) -> PortMatch | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        where.fail(field, "must be a list of ports")
    if raw and protocol not in PORTED_PROTOCOLS:
        where.fail(field, "ports require protocol TCP, UDP or SCTP")
    numeric = PortSet.EMPTY
    named: set[str] = set()
    for i, item in enumerate(raw):
        try:
            parsed = parse_port_item(item)
        except ValueError as e:
            where.fail(f"{field}[{i}]", str(e))
        if isinstance(parsed, str):
            named.add(parsed)
        else:
            numeric = numeric | parsed
    return PortMatch(numeric, frozenset(named))


def _nets(where: Where, field: str, raw: Any) -> IPSet | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        where.fail(field, "must be a list of CIDRs")
    try:
        return IPSet.from_cidrs(str(x) for x in raw)
    except ValueError as e:
        where.fail(field, str(e))


def entity(where: Where, field: str, raw: Any, ns: str, protocol: int | None) -> EntityMatch:
    """Translate one rule side into positive selector + raw negative selector (§3.5)."""
    if raw is None:
        return EntityMatch()
    if not isinstance(raw, dict):
        where.fail(field, "must be a mapping")
    for key in raw:
        if key not in ENTITY_FIELDS:
            where.fail(f"{field}.{key}", "unknown field")
    ns_text = str(raw.get("namespaceSelector") or "")
    sel_text = str(raw.get("selector") or "")
    not_text = str(raw.get("notSelector") or "")
    sa_text = _service_accounts(where, f"{field}.serviceAccounts", raw.get("serviceAccounts"))
    if sel_text:
        _selector_no_global(where, f"{field}.selector", sel_text)
    ns_part = ""
    if ns_text:
        ns_sel = where.selector(f"{field}.namespaceSelector", ns_text)
        if ns_sel.has_global and str(ns_sel) != "global()":
            where.fail(f"{field}.namespaceSelector", "global() must be the whole selector")
        ns_part = (
            str(ns_sel.prefix_labels("pcns."))
            .replace("all()", f"has({NS_LABEL})")
            .replace("global()", f"!has({NS_LABEL})")
        )
    elif ns:
        ns_part = f"{NS_LABEL} == '{ns}'"
    parts = [p for p in (sa_text, sel_text) if p]
    combined = ""
    if len(parts) == 1:
        combined = parts[0]
    elif parts:
        combined = "(" + ") && (".join(parts) + ")"
    if ns_part and (combined or not_text or ns_text):
        combined = f"({ns_part}) && ({combined})" if combined else ns_part
    services = raw.get("services")
    svc: ServiceRef | None = None
    if services is not None:
        if not isinstance(services, dict) or not services.get("name"):
            where.fail(f"{field}.services", "must name a service")
        svc_ns = str(services.get("namespace") or ns)
        if not svc_ns:
            where.fail(f"{field}.services.namespace", "required in a global policy")
        svc = ServiceRef(svc_ns, str(services["name"]))
    return EntityMatch(
        selector=where.selector(f"{field}.selector", combined) if combined else None,
        not_selector=_selector_no_global(where, f"{field}.notSelector", not_text)
        if not_text
        else None,
        nets=_nets(where, f"{field}.nets", raw.get("nets")),
        not_nets=_nets(where, f"{field}.notNets", raw.get("notNets")),
        ports=_ports(where, f"{field}.ports", raw.get("ports"), protocol),
        not_ports=_ports(where, f"{field}.notPorts", raw.get("notPorts"), protocol),
        services=svc,
    )


def _service_accounts(where: Where, field: str, raw: Any) -> str:
    """``parseServiceAccounts`` (rules.go): names → label set match, selector → pcsa. prefix."""
    if raw is None:
        return ""
    if not isinstance(raw, dict):
        where.fail(field, "must be a mapping with names and/or selector")
    out = ""
    sel = str(raw.get("selector") or "")
    if sel:
        out = str(_selector_no_global(where, f"{field}.selector", sel).prefix_labels("pcsa."))
    names = raw.get("names") or []
    if not isinstance(names, list):
        where.fail(f"{field}.names", "must be a list")
    if not names:
        return out
    quoted = ", ".join(f"'{n}'" for n in names)
    names_sel = str(where.selector(f"{field}.names", f"{SA_LABEL} in {{ {quoted} }}"))
    return f"({out}) && ({names_sel})" if out else names_sel


# --- Kubernetes NetworkPolicy (§2.9, §7) ---------------------------------------------------


def k8s_policy(obj: Mapping[str, Any], where: Where, *, staged: bool = False) -> Policy:
    """``K8sNetworkPolicyToCalico``: tier default, order 1000, name knp.default.<name>."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    ns = str(meta.get("namespace") or "default")
    name = str(meta.get("name", ""))
    pod_sel = label_selector_to_calico(
        spec.get("podSelector"), where=f"{where.text} spec.podSelector"
    )
    selector = f"{ORCH_K8S} && {pod_sel}" if pod_sel else ORCH_K8S
    selector = f"({selector}) && {NS_LABEL} == '{ns}'"
    raw_types = spec.get("policyTypes")
    types: set[Direction] = set()
    if raw_types:
        for t in raw_types:
            if t not in ("Ingress", "Egress"):
                where.fail("spec.policyTypes", f"unknown policy type {t!r}")
            types.add(Direction(t))
    else:
        # The API server's defaulting on write: Ingress always, Egress if egress rules exist.
        types.add(Direction.INGRESS)
        if spec.get("egress"):
            types.add(Direction.EGRESS)
    ingress: list[Rule] = []
    egress: list[Rule] = []
    for i, r in enumerate(spec.get("ingress") or []):
        ingress.extend(_k8s_rule(where, f"spec.ingress[{i}]", r, ns, Direction.INGRESS))
    for i, r in enumerate(spec.get("egress") or []):
        egress.extend(_k8s_rule(where, f"spec.egress[{i}]", r, ns, Direction.EGRESS))
    kind = PolicyKind.STAGED_KUBERNETES if staged else PolicyKind.KUBERNETES
    return Policy(
        ref=ObjectRef(
            "NetworkPolicy" if not staged else kind.value, ns, name, "networking.k8s.io/v1"
        ),
        kind=kind,
        tier="default",
        order=1000.0,
        sort_key=f"{ns}/knp.default.{name}",
        selector=where.selector("spec.podSelector", selector),
        types=frozenset(types),
        ingress=tuple(ingress),
        egress=tuple(egress),
        namespace=ns,
        selector_text=f"podSelector {pod_sel or 'all()'}",
    )


def _k8s_rule(where: Where, field: str, raw: Any, ns: str, direction: Direction) -> list[Rule]:
    """One K8s rule → one Calico Allow rule per (protocol group × peer). ``Rule.index`` keeps
    the index of the Kubernetes rule so explanations point at what the user wrote."""
    if not isinstance(raw, dict):
        where.fail(field, "must be a mapping")
    index = int(field.rsplit("[", 1)[1].rstrip("]"))
    peers_key = "from" if direction is Direction.INGRESS else "to"
    peers = raw.get(peers_key) or [None]
    port_groups = _k8s_ports(where, f"{field}.ports", raw.get("ports"))
    out: list[Rule] = []
    for protocol, ports in port_groups:
        for j, peer in enumerate(peers):
            peer_raw = _k8s_peer(where, f"{field}.{peers_key}[{j}]", peer)
            peer_entity = entity(where, f"{field}.{peers_key}[{j}]", peer_raw, ns, None)
            port_entity = EntityMatch(ports=ports) if ports is not None else EntityMatch()
            if direction is Direction.INGRESS:
                src, dst = peer_entity, port_entity
            else:
                src, dst = EntityMatch(), replace(peer_entity, ports=ports)
            out.append(
                Rule(
                    action=Action.ALLOW, index=index, protocol=protocol, source=src, destination=dst
                )
            )
    return out


def _k8s_ports(where: Where, field: str, raw: Any) -> list[tuple[int | None, PortMatch | None]]:
    if not raw:
        return [(None, None)]
    groups: dict[int, PortMatch | None] = {}
    order: list[int] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            where.fail(f"{field}[{i}]", "must be a mapping")
        try:
            proto = parse_protocol(item.get("protocol") or "TCP")
        except ValueError as e:
            where.fail(f"{field}[{i}].protocol", str(e))
        if proto not in PORTED_PROTOCOLS:
            where.fail(f"{field}[{i}].protocol", "must be TCP, UDP or SCTP")
        if proto not in groups:
            order.append(proto)
            groups[proto] = PortMatch()
        port = item.get("port")
        current = groups[proto]
        if port is None or current is None:
            groups[proto] = None  # any port of this protocol
            continue
        end = item.get("endPort")
        if isinstance(port, str) and not port.isdigit():
            if end is not None:
                where.fail(f"{field}[{i}].endPort", "requires a numeric port")
            groups[proto] = PortMatch(current.numeric, current.named | {port})
            continue
        p = int(port)
        hi = int(end) if end is not None else p
        if not (0 < p <= 65535) or hi < p or hi > 65535:
            where.fail(f"{field}[{i}]", f"invalid port range {p}-{hi}")
        groups[proto] = PortMatch(current.numeric | PortSet.range(p, hi), current.named)
    return [(proto, groups[proto]) for proto in order]


def _k8s_peer(where: Where, field: str, peer: Any) -> dict[str, Any] | None:
    """``k8sPeerToCalicoFields``: ipBlock → nets/notNets; selectors → pods only."""
    if peer is None:
        return None
    if not isinstance(peer, dict):
        where.fail(field, "must be a mapping")
    block = peer.get("ipBlock")
    if block is not None:
        if "podSelector" in peer or "namespaceSelector" in peer:
            where.fail(field, "ipBlock cannot be combined with selectors")
        if not isinstance(block, dict) or "cidr" not in block:
            where.fail(f"{field}.ipBlock.cidr", "required")
        out: dict[str, Any] = {"nets": [block["cidr"]]}
        if block.get("except"):
            out["notNets"] = list(block["except"])
        return out
    pod_sel = label_selector_to_calico(
        peer.get("podSelector"), where=f"{where.text} {field}.podSelector"
    )
    sel = f"{ORCH_K8S} && {pod_sel}" if pod_sel else ORCH_K8S
    out = {"selector": sel}
    if "namespaceSelector" in peer:
        ns_sel = label_selector_to_calico(
            peer.get("namespaceSelector"), where=f"{where.text} {field}.namespaceSelector"
        )
        out["namespaceSelector"] = ns_sel or "all()"
    return out
