"""What the API server would refuse, refused here too: an input error (exit 2) naming file,
object and field, instead of an object that converts to something inert or different.

Each check cites the schema it follows:

* AdminNetworkPolicy / BaselineAdminNetworkPolicy (``policy.networking.k8s.io/v1alpha1``) and
  ClusterNetworkPolicy (``v1alpha2``): the kubebuilder markers of
  sigs.k8s.io/network-policy-api ``apis/v1alpha1/adminnetworkpolicy_types.go``,
  ``apis/v1alpha1/shared_types.go`` and ``apis/v1alpha2/clusternetworkpolicy_types.go``,
  enforced by the CRD's OpenAPI schema and CEL rules.
* HostEndpoint: the ``validate`` tags of Calico's ``api/pkg/apis/projectcalico/v3/hostendpoint.go``
  (``expectedIPs`` ``omitempty,dive,ip``; ports ``port`` ``gt=0``), checked by
  libcalico-go/lib/validator/v3.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from posture.sources.convert_policy import Where

MAX_PRIORITY = 1000  # adminnetworkpolicy_types.go: Priority Minimum=0, Maximum=1000
MAX_RULES = 100  # v1alpha1: Ingress/Egress MaxItems=100; From/To/Ports MaxItems=100
MAX_RULES_V1ALPHA2 = 25  # clusternetworkpolicy_types.go: Ingress/Egress/From/To MaxItems=25
MAX_NETWORKS = 25  # Networks MinItems=1, MaxItems=25
MAX_RULE_NAME = 100  # Name MaxLength=100
_PEER_KEYS = {
    "ingress": ("namespaces", "pods"),
    "egress": ("namespaces", "pods", "nodes", "networks", "domainNames"),
}
_PORT_KEYS = ("portNumber", "namedPort", "portRange")
_PROTOCOL_KEYS = ("tcp", "udp", "sctp", "destinationNamedPort")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _one_of(where: Where, field: str, raw: Any, keys: tuple[str, ...]) -> str:
    """MinProperties=1 / MaxProperties=1: exactly one of ``keys`` is set."""
    if not isinstance(raw, Mapping):
        where.fail(field, f"must be an object with exactly one of {', '.join(keys)}")
    present = [k for k in raw if raw[k] is not None]
    unknown = [k for k in present if k not in keys]
    if unknown:
        where.fail(f"{field}.{unknown[0]}", f"unknown field (expected one of {', '.join(keys)})")
    if len(present) != 1:
        got = ", ".join(present) if present else "none"
        where.fail(field, f"must set exactly one of {', '.join(keys)} (got {got})")
    return str(present[0])


def _items(where: Where, field: str, raw: Any, lo: int, hi: int) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        where.fail(field, "must be a list")
    if not lo <= len(raw) <= hi:
        where.fail(field, f"must have {lo} to {hi} items, has {len(raw)}")
    return raw


def _port_number(where: Where, field: str, value: Any) -> None:
    n = _int(value)
    if n is None or not 1 <= n <= 65535:
        where.fail(field, f"must be a port 1-65535, not {value!r}")


def _ports(where: Where, field: str, raw: Any) -> None:
    for i, port in enumerate(_items(where, field, raw, 1, MAX_RULES)):
        pf = f"{field}[{i}]"
        key = _one_of(where, pf, port, _PORT_KEYS)
        value = port[key]
        if key == "portNumber":
            _port_number(where, f"{pf}.portNumber.port", (value or {}).get("port"))
        elif key == "portRange":
            _port_number(where, f"{pf}.portRange.start", (value or {}).get("start"))
            _port_number(where, f"{pf}.portRange.end", (value or {}).get("end"))


def _protocols(where: Where, field: str, raw: Any) -> None:
    """v1alpha2 ``protocols``: 1-25 entries, each exactly one of tcp, udp, sctp,
    destinationNamedPort; a transport sets ``destinationPort`` (MinProperties=1), which is
    exactly one of number (1-65535) or range (start < end, both 1-65535)."""
    for i, entry in enumerate(_items(where, field, raw, 1, MAX_RULES_V1ALPHA2)):
        pf = f"{field}[{i}]"
        key = _one_of(where, pf, entry, _PROTOCOL_KEYS)
        if key == "destinationNamedPort":
            continue
        value = entry[key]
        if not isinstance(value, Mapping) or value.get("destinationPort") is None:
            where.fail(f"{pf}.{key}.destinationPort", "required")
        df = f"{pf}.{key}.destinationPort"
        dst = value["destinationPort"]
        if _one_of(where, df, dst, ("number", "range")) == "number":
            _port_number(where, f"{df}.number", dst["number"])
            continue
        rng = dst["range"] if isinstance(dst["range"], Mapping) else {}
        _port_number(where, f"{df}.range.start", rng.get("start"))
        _port_number(where, f"{df}.range.end", rng.get("end"))
        if rng["start"] >= rng["end"]:
            where.fail(f"{df}.range", "start must be less than end")


def _networks(where: Where, field: str, raw: Any) -> None:
    for i, text in enumerate(_items(where, field, raw, 1, MAX_NETWORKS)):
        # CIDR: XValidation isCIDR(self), MaxLength=43 (shared_types.go)
        try:
            ipaddress.ip_network(str(text), strict=False)
            if "/" not in str(text):
                raise ValueError
        except ValueError:
            where.fail(f"{field}[{i}]", f"{text!r} is not a CIDR")


def admin_policy(spec: Mapping[str, Any], kind: str, where: Where) -> None:
    """The schema of ANP, BANP and ClusterNetworkPolicy specs (see the module docstring)."""
    if kind != "BaselineAdminNetworkPolicy":
        priority = spec.get("priority")
        p = _int(priority)
        if priority is None:
            where.fail("spec.priority", "required")
        if p is None or not 0 <= p <= MAX_PRIORITY:
            where.fail("spec.priority", f"must be an integer 0-{MAX_PRIORITY}, not {priority!r}")
    subject = spec.get("subject")
    if subject is None:
        where.fail("spec.subject", "required: namespaces or pods")
    if _one_of(where, "spec.subject", subject, ("namespaces", "pods")) == "pods":
        pods = subject["pods"]
        if not isinstance(pods, Mapping) or "namespaceSelector" not in pods:
            where.fail("spec.subject.pods.namespaceSelector", "required")
        if "podSelector" not in pods:
            where.fail("spec.subject.pods.podSelector", "required")
    limit = MAX_RULES_V1ALPHA2 if kind == "ClusterNetworkPolicy" else MAX_RULES
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        rules = _items(where, f"spec.{direction}", spec.get(direction), 0, limit)
        for i, rule in enumerate(rules):
            rf = f"spec.{direction}[{i}]"
            if not isinstance(rule, Mapping):
                where.fail(rf, "must be an object")
            if len(str(rule.get("name") or "")) > MAX_RULE_NAME:
                where.fail(f"{rf}.name", f"must be at most {MAX_RULE_NAME} characters")
            if rule.get(peers_key) is None:
                where.fail(f"{rf}.{peers_key}", "required")
            peers = _items(where, f"{rf}.{peers_key}", rule[peers_key], 1, limit)
            for j, peer in enumerate(peers):
                pf = f"{rf}.{peers_key}[{j}]"
                if _one_of(where, pf, peer, _PEER_KEYS[direction]) == "networks":
                    _networks(where, f"{pf}.networks", peer["networks"])
            if kind != "ClusterNetworkPolicy" and rule.get("ports") is not None:
                _ports(where, f"{rf}.ports", rule["ports"])
            if kind == "ClusterNetworkPolicy" and rule.get("protocols") is not None:
                _protocols(where, f"{rf}.protocols", rule["protocols"])


def host_endpoint(spec: Mapping[str, Any], where: Where) -> None:
    """``expectedIPs`` entries are IP addresses (not networks, not names)."""
    raw = spec.get("expectedIPs")
    if raw is None:
        return
    if not isinstance(raw, list):
        where.fail("spec.expectedIPs", "must be a list of IP addresses")
    for i, text in enumerate(raw):
        try:
            ipaddress.ip_address(str(text))
        except ValueError:
            where.fail(f"spec.expectedIPs[{i}]", f"{text!r} is not an IP address")
