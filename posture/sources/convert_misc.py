"""Raw Service, IPPool and KubeControllersConfiguration objects, and posture's own
annotations → model values."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from posture.model.endpoints import EncapMode, IPPool, Service, ServicePort, ServiceType
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
            )
        )
    return sorted(out, key=lambda s: (s.namespace, s.name))


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
