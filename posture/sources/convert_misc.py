"""Raw Service, EndpointSlice/Endpoints, IPPool and KubeControllersConfiguration objects,
and posture's own annotations → model values."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from posture.model.endpoints import (
    EncapMode,
    EndpointGroup,
    EndpointPort,
    IPPool,
    Service,
    ServicePort,
    ServiceType,
)
from posture.model.meta import Labels, ObjectRef, SourceLocation
from posture.model.net import parse_protocol
from posture.model.snapshot import POSTURE_ANNOTATION_PREFIX
from posture.sources.convert_policy import Where

Items = Iterable[tuple[Mapping[str, Any], SourceLocation, bool]]
WhereFn = Callable[[SourceLocation, str, Mapping[str, Any]], Where]


def services(items: Items, where_fn: WhereFn) -> list[Service]:
    out = []
    for obj, loc, _ in items:
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        where = where_fn(loc, "Service", obj)
        ns = str(meta.get("namespace") or "default")
        try:
            stype = ServiceType(spec.get("type") or "ClusterIP")
        except ValueError:
            where.fail("spec.type", f"unknown service type {spec.get('type')!r}")
        ports = []
        for i, p in enumerate(spec.get("ports") or []):
            try:
                ports.append(
                    ServicePort(
                        protocol=parse_protocol(p.get("protocol") or "TCP"),
                        port=int(p["port"]),
                        target_port=str(p.get("targetPort") or p["port"]),
                        node_port=int(p.get("nodePort") or 0),
                        name=str(p.get("name") or ""),
                    )
                )
            except (KeyError, ValueError, TypeError):
                where.fail(f"spec.ports[{i}]", "needs a numeric port and a valid protocol")
        sel = spec.get("selector")
        cluster_ips = spec.get("clusterIPs") or (
            [spec["clusterIP"]] if spec.get("clusterIP") else []
        )
        out.append(
            Service(
                ref=ObjectRef("Service", ns, str(meta["name"]), "v1"),
                namespace=ns,
                name=str(meta["name"]),
                type=stype,
                selector=Labels(sel) if sel else None,
                ports=tuple(ports),
                cluster_ips=tuple(str(x) for x in cluster_ips if x != "None"),
                external_ips=tuple(str(x) for x in spec.get("externalIPs") or []),
                load_balancer_ips=_ingress_ips(obj),
                external_local=spec.get("externalTrafficPolicy") == "Local",
            )
        )
    return sorted(out, key=lambda s: (s.namespace, s.name))


def _ingress_ips(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """status.loadBalancer.ingress[].ip (hostname-only entries name no address)."""
    lb = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return _ip_addresses(i.get("ip") for i in lb if isinstance(i, Mapping) and i.get("ip"))


def _encap(where: Where, field: str, raw: Any) -> EncapMode:
    try:
        return EncapMode(raw or "Never")
    except ValueError:
        where.fail(field, f"must be Never, Always or CrossSubnet, not {raw!r}")


def ip_pools(items: Items, where_fn: WhereFn) -> list[IPPool]:
    out = []
    for obj, loc, _ in items:
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        where = where_fn(loc, "IPPool", obj)
        if not spec.get("cidr"):
            where.fail("spec.cidr", "required")
        out.append(
            IPPool(
                name=str(meta["name"]),
                cidr=str(spec["cidr"]),
                ipip=_encap(where, "spec.ipipMode", spec.get("ipipMode")),
                vxlan=_encap(where, "spec.vxlanMode", spec.get("vxlanMode")),
                nat_outgoing=bool(spec.get("natOutgoing", False)),
                disabled=bool(spec.get("disabled", False)),
            )
        )
    return sorted(out, key=lambda p: p.name)


def auto_host_endpoints_enabled(items: Items) -> bool:
    """KubeControllersConfiguration ``default``: controllers.node.hostEndpoint.autoCreate (§5.3)."""
    for obj, _, _ in items:
        if (obj.get("metadata") or {}).get("name") != "default":
            continue
        node = ((obj.get("spec") or {}).get("controllers") or {}).get("node") or {}
        if (node.get("hostEndpoint") or {}).get("autoCreate") == "Enabled":
            return True
    return False


def posture_annotations(
    objects: Iterable[Mapping[str, Any]],
) -> dict[tuple[str, str, str], Mapping[str, str]]:
    """(kind, namespace, name) → the object's ``posture.dev/*`` annotations, for objects that
    have any: the suppressions read them from the Snapshot, so every source carries them."""
    out: dict[tuple[str, str, str], Mapping[str, str]] = {}
    for obj in objects:
        meta = obj.get("metadata") or {}
        annotations = meta.get("annotations") or {}
        if not isinstance(annotations, Mapping):
            continue
        ours = {
            str(k): str(v)
            for k, v in annotations.items()
            if str(k).startswith(POSTURE_ANNOTATION_PREFIX)
        }
        if ours:
            key = (
                str(obj.get("kind", "")),
                str(meta.get("namespace") or ""),
                str(meta.get("name", "")),
            )
            out[key] = MappingProxyType(ours)
    return out


def _endpoint_port(where: Where, field: str, raw: Mapping[str, Any]) -> EndpointPort | None:
    """A port with no number means "all ports" to the API but gives no IP-set member in
    Calico (``membersFromEndpointSlice``): left out. Protocol defaults to TCP."""
    if raw.get("port") is None:
        return None
    try:
        return EndpointPort(
            protocol=parse_protocol(raw.get("protocol") or "TCP"),
            port=int(raw["port"]),
            name=str(raw.get("name") or ""),
        )
    except (ValueError, TypeError):
        where.fail(field, "needs a numeric port and a valid protocol")


def _ip_addresses(values: Iterable[Any]) -> tuple[str, ...]:
    """IP addresses only: EndpointSlices of addressType FQDN name hosts, which Calico skips."""
    out = []
    for v in values:
        with contextlib.suppress(ValueError):
            out.append(str(ipaddress.ip_address(str(v))))
    return tuple(out)


def service_endpoints(slices: Items, endpoints: Items, where_fn: WhereFn) -> list[EndpointGroup]:
    """EndpointSlices by their ``kubernetes.io/service-name`` label, as Felix's service index
    reads them (felix/serviceindex/serviceindex.go ``serviceName``, ``membersFromEndpointSlice``:
    every endpoint address, ready or not, with every numbered port). A Service with no slice
    falls back to its Endpoints object, which the EndpointSlice mirroring controller would turn
    into slices (addresses and notReadyAddresses alike)."""
    out: list[EndpointGroup] = []
    for obj, loc, _ in slices:
        meta = obj.get("metadata") or {}
        ns = str(meta.get("namespace") or "default")
        svc = str((meta.get("labels") or {}).get("kubernetes.io/service-name") or "")
        if not svc:
            continue  # not owned by any Service: no services rule can name it
        where = where_fn(loc, "EndpointSlice", obj)
        ports = [_endpoint_port(where, f"ports[{i}]", p) for i, p in enumerate(_list(obj, "ports"))]
        addresses = [a for ep in _list(obj, "endpoints") for a in ep.get("addresses") or []]
        out.append(
            EndpointGroup(
                ns,
                svc,
                _ip_addresses(addresses),
                tuple(p for p in ports if p is not None),
                f"EndpointSlice {ns}/{meta.get('name')}",
            )
        )
    sliced = {(g.namespace, g.service) for g in out}
    for obj, loc, _ in endpoints:
        meta = obj.get("metadata") or {}
        ns = str(meta.get("namespace") or "default")
        name = str(meta.get("name"))
        if (ns, name) in sliced:
            continue
        where = where_fn(loc, "Endpoints", obj)
        for i, subset in enumerate(_list(obj, "subsets")):
            ports = [
                _endpoint_port(where, f"subsets[{i}].ports[{j}]", p)
                for j, p in enumerate(subset.get("ports") or [])
            ]
            addresses = [
                a.get("ip")
                for key in ("addresses", "notReadyAddresses")
                for a in subset.get(key) or []
            ]
            out.append(
                EndpointGroup(
                    ns,
                    name,
                    _ip_addresses(addresses),
                    tuple(p for p in ports if p is not None),
                    f"Endpoints {ns}/{name}",
                )
            )
    return sorted(out, key=lambda g: (g.namespace, g.service, g.origin))


def _list(obj: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return [x for x in obj.get(key) or [] if isinstance(x, Mapping)]
