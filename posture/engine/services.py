"""Service addresses: policy sees traffic after DNAT (calico-semantics §2.1, §4.8).

A connection to a Service's ClusterIP (or external IP) on a service port reaches one of the
backend pods on the target port; it is that backend and port that policy decides on.
"""

from __future__ import annotations

from dataclasses import dataclass

from posture.engine.flows import Flows
from posture.engine.index import Index
from posture.model.endpoints import Pod, Service
from posture.model.net import PortSet, protocol_name


@dataclass(frozen=True, slots=True)
class Backend:
    pod: Pod
    flows: Flows  # the (protocol, target port) space the service ports map to on this pod
    ports: str  # "80/TCP → 8080" for explanations


def service_at(index: Index, address: str) -> Service | None:
    for svc in index.snap.services:
        if address in svc.cluster_ips or address in svc.external_ips:
            return svc
    return None


def backends(index: Index, svc: Service, space: Flows) -> list[Backend]:
    """The backend pods of ``svc`` and, per pod, the part of ``space`` (service ports) that
    DNAT turns into target ports; pods the selector matches that have no such port are left
    out, as an EndpointSlice would leave them out."""
    if svc.selector is None:
        return []
    out = []
    for pod in index.wep_pods:
        if pod.namespace != svc.namespace:
            continue
        if any(pod.labels.get(k) != v for k, v in svc.selector.items()):
            continue
        flows = Flows()
        mapped = []
        for sp in svc.ports:
            key = index.universe.key(sp.protocol)
            if sp.port not in space.ports(key):
                continue
            target = _target_port(pod, sp.protocol, sp.target_port)
            if target is None:
                continue
            flows = flows | Flows.single(key, PortSet.of(target))
            mapped.append(f"{sp.port}/{protocol_name(sp.protocol)} → {target}")
        if flows:
            out.append(Backend(pod, flows, ", ".join(mapped)))
    return out


def _target_port(pod: Pod, protocol: int, target: str) -> int | None:
    if target.isdigit():
        return int(target)
    for cp in pod.ports:
        if cp.name == target and cp.protocol == protocol:
            return cp.port
    return None
