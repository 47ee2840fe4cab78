"""Who a Service is, to policy and to kube-proxy: its endpoint addresses and ports.

Calico's ``services`` rule match (calico-semantics §4.6) is an IP set built from the Service's
EndpointSlices, found by their ``kubernetes.io/service-name`` label (felix/serviceindex/
serviceindex.go ``membersFromEndpointSlice``): a destination match is an (address, protocol,
port) member, a source match is an address on any port. Neither the Service object nor its
selector is consulted, so a Service without a selector (``kubernetes``, an external database
with hand-written endpoints) and a slice without a Service both work.

When the input holds no slice or Endpoints for a Service that has a selector (manifests rarely
carry them), the members are what the EndpointSlice controller would write: the selected pods
of the Service's namespace, with each service port's target port resolved on the pod.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from posture.model.endpoints import EndpointGroup, Pod, Service
from posture.model.net import PortSet

ServiceKey = tuple[str, str]  # (namespace, name)


@dataclass(frozen=True, slots=True)
class Members:
    """The members of one Service: per address, per protocol, the endpoint ports."""

    ports: Mapping[str, Mapping[int, PortSet]]
    origin: str  # where the members come from, for explanations

    def has(self, address: str) -> bool:
        return address in self.ports

    def ports_of(self, address: str, protocol: int) -> PortSet:
        return self.ports.get(address, {}).get(protocol, PortSet.EMPTY)


def build_members(
    services: Iterable[Service], groups: Iterable[EndpointGroup], pods: Iterable[Pod]
) -> dict[ServiceKey, Members]:
    """Members of every Service that has endpoints (read or derived from its selector)."""
    read: dict[ServiceKey, dict[str, dict[int, PortSet]]] = {}
    origins: dict[ServiceKey, list[str]] = {}
    for g in groups:
        key = (g.namespace, g.service)
        by_addr = read.setdefault(key, {})
        origins.setdefault(key, []).append(g.origin)
        for address in g.addresses:
            by_proto = by_addr.setdefault(address, {})
            for p in g.ports:
                by_proto[p.protocol] = by_proto.get(p.protocol, PortSet.EMPTY) | PortSet.of(p.port)
    out = {k: Members(v, ", ".join(origins[k])) for k, v in read.items()}
    # A selector picks pods of its own namespace only: looking there alone keeps this
    # proportional to pods, not to Services x pods.
    by_namespace: dict[str, list[Pod]] = {}
    for pod in pods:
        by_namespace.setdefault(pod.namespace, []).append(pod)
    for svc in services:
        key = (svc.namespace, svc.name)
        if key in out or svc.selector is None:
            continue
        derived: dict[str, dict[int, PortSet]] = {}
        for pod in selected_pods(svc, by_namespace.get(svc.namespace, ())):
            served: dict[int, PortSet] = {}
            for sp in svc.ports:
                target = target_port(pod, sp.protocol, sp.target_port)
                if target is not None:
                    served[sp.protocol] = served.get(sp.protocol, PortSet.EMPTY) | PortSet.of(
                        target
                    )
            for ip in pod.ips:
                derived[ip] = served
        out[key] = Members(derived, f"selector of Service {svc.namespace}/{svc.name}")
    return out


def selected_pods(svc: Service, pods: Iterable[Pod]) -> list[Pod]:
    """Workload pods the Service's selector picks in its namespace."""
    if svc.selector is None:
        return []
    sel = svc.selector
    return [
        p
        for p in pods
        if p.namespace == svc.namespace and all(p.labels.get(k) == v for k, v in sel.items())
    ]


def target_port(pod: Pod, protocol: int, target: str) -> int | None:
    """A numeric targetPort, or the pod's container port of that name and protocol."""
    if target.isdigit():
        return int(target)
    for cp in pod.ports:
        if cp.name == target and cp.protocol == protocol:
            return cp.port
    return None
