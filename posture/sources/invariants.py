"""Reading invariants files (``--invariants FILE``): strict, with errors that name the place.

A file holds one or more YAML documents, each either a ``posture.dev/v1alpha1`` ``Invariants``
object or a ``ConfigMap`` whose data values hold such documents (the form the in-cluster
CronJob mounts; ``kubectl get configmap -o yaml`` output works as it is). Every mistake is a
ConfigError (exit 2) naming the file, the invariant and the field: an invariant that is
silently misread would pass while checking nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from posture.engine.flows import Universe, parse_flow
from posture.errors import ConfigError, PostureError
from posture.findings.invariants.model import (
    API_VERSION,
    KIND,
    Demand,
    Endpoints,
    Exception_,
    Invariant,
    NodeSelection,
    PodSelection,
)
from posture.findings.model import Severity
from posture.findings.ports import SERVICE_KEYS
from posture.model.net import IPSet
from posture.selectors import Selector, parse
from posture.selectors.k8s import label_selector_to_calico

_DOC_FIELDS = {"apiVersion", "kind", "metadata", "spec"}
_RULE_FIELDS = {"name", "reason", "severity", *(d.value for d in Demand)}
_BODY_FIELDS = {"from", "to", "flows", "except"}
_ENDPOINT_FIELDS = {"pods", "nodes", "nets", "service"}
_DEFAULT_SEVERITY = Severity.HIGH


def load_invariants(paths: Sequence[Path]) -> tuple[Invariant, ...]:
    """Every invariant of every file, in order; names must be unique across files."""
    out: list[Invariant] = []
    seen: dict[str, str] = {}
    for path in paths:
        for inv in _load_file(path):
            if inv.name in seen:
                raise ConfigError(
                    f"{inv.where}: name already used in {seen[inv.name]} (names must be unique)"
                )
            seen[inv.name] = inv.origin
            out.append(inv)
    return tuple(out)


def _load_file(path: Path) -> list[Invariant]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read invariants: {e.strerror or e}") from None
    docs = _yaml_docs(text, str(path))
    out: list[Invariant] = []
    for i, doc in enumerate(docs):
        origin = str(path) if len(docs) == 1 else f"{path}#{i}"
        out.extend(_from_document(doc, origin))
    if not out:
        raise ConfigError(f"{path}: no invariants in this file (kind {KIND} or a ConfigMap)")
    return out


def _yaml_docs(text: str, origin: str) -> list[Any]:
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        raise ConfigError(f"{origin}: malformed YAML: {str(e).splitlines()[0]}") from None


def _from_document(doc: Any, origin: str) -> list[Invariant]:
    if not isinstance(doc, dict):
        raise ConfigError(f"{origin}: expected a {KIND} object or a ConfigMap")
    if doc.get("kind") == "ConfigMap" and doc.get("apiVersion") == "v1":
        data = doc.get("data") or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{origin}: ConfigMap data: expected a mapping")
        out: list[Invariant] = []
        for key in sorted(data):
            inner = _yaml_docs(str(data[key]), f"{origin}: data.{key}")
            for j, d in enumerate(inner):
                where = f"{origin}: data.{key}" + (f"#{j}" if len(inner) > 1 else "")
                out.extend(parse_document(d, where))
        return out
    return parse_document(doc, origin)


def parse_document(doc: Any, origin: str) -> list[Invariant]:
    """One ``Invariants`` object → its rules, validated field by field."""
    if not isinstance(doc, dict):
        raise ConfigError(f"{origin}: expected a {KIND} object")
    _no_unknown(doc, _DOC_FIELDS, origin)
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != KIND:
        raise ConfigError(
            f"{origin}: expected apiVersion {API_VERSION} and kind {KIND}, "
            f"got {doc.get('apiVersion')!r} / {doc.get('kind')!r}"
        )
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        raise ConfigError(f"{origin}: spec: required, a mapping with `rules`")
    _no_unknown(spec, {"rules"}, f"{origin}: spec")
    rules = spec.get("rules")
    if not isinstance(rules, list) or not rules:
        raise ConfigError(f"{origin}: spec.rules: required, a non-empty list")
    return [_rule(r, origin, i) for i, r in enumerate(rules)]


def _no_unknown(obj: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(map(str, unknown))} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def _text(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}.{key}: required, a non-empty string")
    return value.strip()


def _rule(raw: Any, origin: str, i: int) -> Invariant:
    where = f"{origin}: spec.rules[{i}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping")
    name = _text(raw, "name", where)
    where = f"{origin}: invariant {name!r}"
    _no_unknown(raw, _RULE_FIELDS, where)
    reason = _text(raw, "reason", where)
    severity = _DEFAULT_SEVERITY
    if "severity" in raw:
        try:
            severity = Severity(raw["severity"])
        except ValueError:
            choices = ", ".join(s.value for s in Severity)
            raise ConfigError(f"{where}: severity: expected one of {choices}") from None
    demands = [d for d in Demand if d.value in raw]
    if len(demands) != 1:
        raise ConfigError(f"{where}: exactly one of deny, allow, encrypted is required")
    demand = demands[0]
    body = raw[demand.value]
    field = demand.value
    if not isinstance(body, dict):
        raise ConfigError(f"{where}: {field}: expected a mapping with from, to, flows, except")
    _no_unknown(body, _BODY_FIELDS, f"{where}: {field}")
    try:
        src = _endpoints(body, "from", f"{field}.from", required=True, services=False)
        dst = _endpoints(body, "to", f"{field}.to", required=True, services=True)
        flows = _flows(body.get("flows"), f"{field}.flows")
        exceptions = _exceptions(body.get("except"), f"{field}.except")
    except PostureError as e:
        raise ConfigError(f"{where}: {e.message}") from None
    return Invariant(name, reason, severity, demand, src, dst, flows, exceptions, origin)


def _endpoints(
    body: Mapping[str, Any], key: str, field: str, *, required: bool, services: bool
) -> tuple[Endpoints, ...]:
    raw = body.get(key)
    if raw is None and not required:
        return ()
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{field}: required, a non-empty list of endpoint entries")
    return tuple(_endpoint(e, f"{field}[{i}]", services) for i, e in enumerate(raw))


def _endpoint(raw: Any, field: str, services: bool) -> Endpoints:
    if not isinstance(raw, dict):
        raise ConfigError(f"{field}: expected a mapping with one of pods, nodes, nets, service")
    _no_unknown(raw, _ENDPOINT_FIELDS, field)
    kinds = [k for k in ("pods", "nodes", "nets") if k in raw]
    service = raw.get("service")
    if service is not None:
        if not services:
            raise ConfigError(f"{field}.service: node services are destinations (use in `to`)")
        if not isinstance(service, str) or service not in SERVICE_KEYS:
            names = ", ".join(sorted(SERVICE_KEYS))
            raise ConfigError(f"{field}.service: unknown node service {service!r} ({names})")
        if kinds not in ([], ["nodes"]):
            raise ConfigError(f"{field}: service goes with `nodes` only (the nodes it runs on)")
    elif len(kinds) != 1:
        raise ConfigError(f"{field}: exactly one of pods, nodes, nets (or service) is required")
    return Endpoints(
        where=field,
        pods=_pods(raw["pods"], f"{field}.pods") if "pods" in raw else None,
        nodes=_nodes(raw["nodes"], f"{field}.nodes") if "nodes" in raw else None,
        nets=_nets(raw["nets"], f"{field}.nets") if "nets" in raw else None,
        service=service or "",
    )


def _pods(raw: Any, field: str) -> PodSelection:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{field}: expected a mapping (namespaces, namespaceSelector, selector)")
    _no_unknown(raw, {"namespaces", "namespaceSelector", "selector"}, field)
    return PodSelection(
        namespaces=_names(raw.get("namespaces"), f"{field}.namespaces"),
        namespace_selector=_selector(raw.get("namespaceSelector"), f"{field}.namespaceSelector"),
        selector=_selector(raw.get("selector"), f"{field}.selector"),
    )


def _nodes(raw: Any, field: str) -> NodeSelection:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{field}: expected a mapping (names, selector)")
    _no_unknown(raw, {"names", "selector"}, field)
    return NodeSelection(
        names=_names(raw.get("names"), f"{field}.names"),
        selector=_selector(raw.get("selector"), f"{field}.selector"),
    )


def _names(raw: Any, field: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw or not all(isinstance(n, str) and n for n in raw):
        raise ConfigError(f"{field}: expected a non-empty list of names")
    return tuple(raw)


def _selector(raw: Any, field: str) -> Selector | None:
    """A string is a Calico selector; a mapping is a Kubernetes LabelSelector."""
    if raw is None:
        return None
    try:
        if isinstance(raw, str):
            return parse(raw)
        if isinstance(raw, dict):
            return parse(label_selector_to_calico(raw, where=field))
    except PostureError as e:
        raise ConfigError(f"{field}: {e.message}") from None
    raise ConfigError(f"{field}: expected a Calico selector string or a LabelSelector mapping")


def _nets(raw: Any, field: str) -> IPSet:
    if not isinstance(raw, list) or not raw or not all(isinstance(n, str) for n in raw):
        raise ConfigError(f"{field}: expected a non-empty list of CIDRs")
    for i, cidr in enumerate(raw):
        try:
            IPSet.from_cidrs([cidr])
        except ValueError as e:
            raise ConfigError(f"{field}[{i}]: not a CIDR: {cidr!r} ({e})") from None
    return IPSet.from_cidrs(raw)


def _flows(raw: Any, field: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{field}: expected a non-empty list such as ['53/UDP', '53/TCP']")
    universe = Universe.of()
    out = []
    for i, item in enumerate(raw):
        text = str(item).strip() if isinstance(item, (str, int)) else ""
        try:
            if not text:
                raise ValueError("empty")
            if text.isdigit():
                raise ValueError("a bare number is ambiguous: write the protocol, e.g. 80/TCP")
            parse_flow(text, universe)
        except (ValueError, PostureError) as e:
            raise ConfigError(
                f"{field}[{i}]: expected PORT/PROTOCOL, PORTS/PROTOCOL or PROTOCOL "
                f"(e.g. 443/TCP, 30000-32767/TCP, UDP, ICMP), got {item!r} ({e})"
            ) from None
        out.append(text)
    return tuple(out)


def _exceptions(raw: Any, field: str) -> tuple[Exception_, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{field}: expected a non-empty list of {{from, to}} entries")
    out = []
    for i, entry in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(entry, dict) or not entry:
            raise ConfigError(f"{where}: expected a mapping with from and/or to")
        _no_unknown(entry, {"from", "to"}, where)
        src = _endpoints(entry, "from", f"{where}.from", required=False, services=False)
        dst = _endpoints(entry, "to", f"{where}.to", required=False, services=True)
        out.append(Exception_(where, src, dst))
    return tuple(out)
