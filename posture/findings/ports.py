"""Node-level services worth naming, with the severity of a pod reaching them: ports where
traffic terminates on the node itself.

Port numbers: calico-semantics §5.12 (Felix config defaults, Kubernetes component defaults).
"""

from __future__ import annotations

from dataclasses import dataclass

from posture.engine.flows import Flows, Universe
from posture.findings.model import Severity
from posture.model.net import PortSet

TCP, UDP = 6, 17


@dataclass(frozen=True, slots=True)
class NodeService:
    name: str
    protocol: int
    ports: PortSet
    severity: Severity
    why: str

    def flows(self, universe: Universe) -> Flows:
        return Flows.single(universe.key(self.protocol), self.ports)


NODE_SERVICES: tuple[NodeService, ...] = (
    NodeService(
        "kubelet API",
        TCP,
        PortSet.of(10250),
        Severity.CRITICAL,
        "exec, logs, port-forward and metrics of every pod on the node",
    ),
    NodeService(
        "etcd",
        TCP,
        PortSet.range(2379, 2380),
        Severity.CRITICAL,
        "the cluster's whole state, secrets included",
    ),
    NodeService(
        "kube-proxy",
        TCP,
        PortSet.of(10249, 10256),
        Severity.HIGH,
        "metrics and health endpoints reveal service topology",
    ),
    NodeService(
        "Calico Typha", TCP, PortSet.of(5473), Severity.HIGH, "the datastore fan-out Felix trusts"
    ),
    NodeService("BGP (BIRD)", TCP, PortSet.of(179), Severity.HIGH, "route injection between nodes"),
    NodeService("SSH", TCP, PortSet.of(22), Severity.HIGH, "node login"),
    NodeService(
        "Calico/Felix metrics and health",
        TCP,
        PortSet.of(9091, 9093, 9094, 9099),
        Severity.MEDIUM,
        "component metrics and health",
    ),
    NodeService(
        "legacy etcd",
        TCP,
        PortSet.range(6666, 6667),
        Severity.HIGH,
        "self-hosted etcd of older installs",
    ),
    NodeService(
        "VXLAN",
        UDP,
        PortSet.of(4789),
        Severity.MEDIUM,
        "overlay encapsulation: injecting packets into the pod network",
    ),
    # IP protocol 4 has no ports: the whole protocol (§5.11, §5.12).
    NodeService(
        "IPIP",
        4,
        PortSet.FULL,
        Severity.MEDIUM,
        "overlay encapsulation: injecting packets into the pod network",
    ),
    NodeService(
        "WireGuard", UDP, PortSet.range(51820, 51821), Severity.LOW, "encrypted tunnel endpoint"
    ),
    NodeService(
        "Kubernetes API server",
        TCP,
        PortSet.of(6443),
        Severity.INFO,
        "meant to be reached by pods (authenticated)",
    ),
)

# The NodePort range (kube-apiserver --service-node-port-range default) is no service of the
# node itself: kube-proxy translates a NodePort to the Service's backends, whose policy decides
# (calico-semantics §5.10; PST-NODE-007 reports Services exposed that way). It stays a name
# invariants can use ("these pods must not reach NodePorts").
NODE_PORT_RANGE: tuple[NodeService, ...] = (
    NodeService(
        "NodePort range",
        TCP,
        PortSet.range(30000, 32767),
        Severity.MEDIUM,
        "service NodePorts, translated to the Service's backends",
    ),
    NodeService(
        "NodePort range (UDP)",
        UDP,
        PortSet.range(30000, 32767),
        Severity.MEDIUM,
        "service NodePorts, translated to the Service's backends",
    ),
)

# Short names invariants use for node services (``to: [{service: kubelet}]``).
SERVICE_KEYS: dict[str, tuple[str, ...]] = {
    "kubelet": ("kubelet API",),
    "etcd": ("etcd",),
    "apiserver": ("Kubernetes API server",),
    "kube-proxy": ("kube-proxy",),
    "typha": ("Calico Typha",),
    "bgp": ("BGP (BIRD)",),
    "ssh": ("SSH",),
    "calico-metrics": ("Calico/Felix metrics and health",),
    "legacy-etcd": ("legacy etcd",),
    "nodeports": ("NodePort range", "NodePort range (UDP)"),
    "vxlan": ("VXLAN",),
    "ipip": ("IPIP",),
    "wireguard": ("WireGuard",),
}


def service_flows(key: str, universe: Universe) -> Flows:
    """The flows of a node service by its short name (KeyError for an unknown name)."""
    names = SERVICE_KEYS[key]
    out = Flows()
    for svc in (*NODE_SERVICES, *NODE_PORT_RANGE):
        if svc.name in names:
            out = out | svc.flows(universe)
    return out
