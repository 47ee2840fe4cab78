"""Service addresses: policy sees traffic after DNAT (calico-semantics §2.1, §4.8, §5.10).

A connection to a Service's ClusterIP, external IP or load-balancer address on a service
port, or to any node address on a NodePort, is translated by kube-proxy to one of the
Service's endpoints on the endpoint port of the same name (kubernetes pkg/proxy/
endpointslicecache.go: a ServicePortName is the service port's name, matched against the
EndpointSlice ports' names). It is that endpoint address and port that policy decides on. The
endpoints are the Service's EndpointSlices or Endpoints; a Service with a selector and no such
object in the input gets the pods its selector picks, with the target port resolved on each.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from posture.engine.flows import Flows
from posture.engine.index import Index
from posture.engine.members import selected_pods, target_port
from posture.model.endpoints import Service, ServicePort, ServiceType
from posture.model.net import PortSet, protocol_name


class Front(enum.Enum):
    """Which address of a Service the client used."""

    CLUSTER_IP = "cluster IP"
    EXTERNAL_IP = "external IP"
    LOAD_BALANCER = "load-balancer address"
    NODE_PORT = "NodePort"


@dataclass(frozen=True, slots=True)
class Backend:
    address: str  # the endpoint address DNAT picks: a pod, a node address, anything
    flows: Flows  # the (protocol, endpoint port) space the service ports map to
    front: Flows  # the (protocol, port) space the client asked for that maps here
    ports: str  # "80/TCP → 8080" for explanations
    pairs: tuple[tuple[Flows, Flows, str], ...] = ()  # (front, back, "80/TCP → 8080") each


def service_at(index: Index, address: str) -> tuple[Service, Front] | None:
    """The Service that owns ``address`` as a cluster, external or load-balancer address."""
    for svc in index.snap.services:
        if address in svc.cluster_ips:
            return svc, Front.CLUSTER_IP
        if address in svc.external_ips:
            return svc, Front.EXTERNAL_IP
        if address in svc.load_balancer_ips:
            return svc, Front.LOAD_BALANCER
    return None


def node_port_services(index: Index, space: Flows) -> list[Service]:
    """Services with a NodePort in ``space`` (kube-proxy opens it on every node address)."""
    out = []
    for svc in index.snap.services:
        if svc.type not in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
            continue
        for sp in svc.ports:
            if sp.node_port and sp.node_port in space.ports(index.universe.key(sp.protocol)):
                out.append(svc)
                break
    return out


def backends(index: Index, svc: Service, space: Flows, front: Front) -> list[Backend]:
    """The endpoints of ``svc`` and, per endpoint, the part of ``space`` (service ports, or
    NodePorts when ``front`` is NODE_PORT) that DNAT turns into endpoint ports; endpoints
    without such a port are left out."""
    found: dict[str, list[tuple[Flows, Flows, str]]] = {}
    for sp in svc.ports:
        key = index.universe.key(sp.protocol)
        asked = sp.node_port if front is Front.NODE_PORT else sp.port
        if not asked or asked not in space.ports(key):
            continue
        for address, port in _endpoints(index, svc, sp):
            pair = (
                Flows.single(key, PortSet.of(asked)),
                Flows.single(key, PortSet.of(port)),
                f"{asked}/{protocol_name(sp.protocol)} → {port}",
            )
            pairs = found.setdefault(address, [])
            if pair not in pairs:
                pairs.append(pair)
    out = []
    for address, pairs in found.items():
        flows, fronts = Flows(), Flows()
        for f, b, _ in pairs:
            fronts, flows = fronts | f, flows | b
        out.append(Backend(address, flows, fronts, ", ".join(t for _, _, t in pairs), tuple(pairs)))
    return out


def _endpoints(index: Index, svc: Service, sp: ServicePort) -> list[tuple[str, int]]:
    """(address, port) pairs kube-proxy sends service port ``sp`` to."""
    groups = index.endpoint_groups(svc.namespace, svc.name)
    if groups:
        return [
            (address, ep.port)
            for g in groups
            for ep in g.ports
            if ep.name == sp.name and ep.protocol == sp.protocol
            for address in g.addresses
        ]
    out = []
    for pod in selected_pods(svc, index.wep_pods_in(svc.namespace)):
        port = target_port(pod, sp.protocol, sp.target_port)
        if port is not None:
            out.append((pod.ips[0], port))
    return out
