"""Endpoints and the objects that describe them: namespaces, pods, nodes, host endpoints,
network sets, services, IP pools.

Pods carry the *effective* label set Calico evaluates selectors against (§3.3): own labels plus
``projectcalico.org/*`` labels and the ``pcns.*``/``pcsa.*`` labels inherited from their
namespace and service-account profiles.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from posture.model.meta import Labels, ObjectRef
from posture.model.net import IPSet


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Labels


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    namespace: str
    name: str
    labels: Labels


@dataclass(frozen=True, slots=True, order=True)
class ContainerPort:
    """A container port: named (usable by named-port rules) and/or a hostPort mapping."""

    protocol: int
    port: int
    name: str = ""
    host_port: int = 0
    host_ip: str = ""


@dataclass(frozen=True, slots=True)
class Pod:
    ref: ObjectRef
    namespace: str
    name: str
    labels: Labels  # effective labels (§3.3)
    node: str
    ips: tuple[str, ...]
    host_network: bool
    service_account: str
    ports: tuple[ContainerPort, ...] = ()
    phase: str = ""
    # The endpoint's profiles in order when they are not Kubernetes' own pair (``kns.<ns>``,
    # ``ksa.<ns>.<sa>``): a WorkloadEndpoint of another orchestrator (§1.3, §2.6).
    profiles: tuple[str, ...] | None = None

    @property
    def profile_names(self) -> tuple[str, ...]:
        """The profiles consulted, in order, when no tier decides (§2.6)."""
        if self.profiles is not None:
            return self.profiles
        return (f"kns.{self.namespace}", f"ksa.{self.namespace}.{self.service_account}")

    @property
    def is_workload_endpoint(self) -> bool:
        """Calico makes a WorkloadEndpoint only for scheduled, non-hostNetwork pods with an IP
        that have not finished (§1.3, IsValidCalicoWorkloadEndpoint)."""
        return (
            bool(self.node)
            and not self.host_network
            and bool(self.ips)
            and self.phase not in ("Succeeded", "Failed")
        )

    @property
    def named_ports(self) -> tuple[ContainerPort, ...]:
        return tuple(p for p in self.ports if p.name)


@dataclass(frozen=True, slots=True)
class WireguardState:
    """What a node publishes about WireGuard (§6.2): keys present per family."""

    key_v4: bool = False
    key_v6: bool = False


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    labels: Labels
    addresses: tuple[str, ...]  # InternalIP first, then ExternalIP
    tunnel_addresses: tuple[str, ...] = ()  # IPIP / VXLAN / WireGuard interface addresses
    wireguard: WireguardState = field(default_factory=WireguardState)
    container_runtime: str = ""  # e.g. "containerd://1.7.2"
    kubelet_version: str = ""
    pod_cidrs: tuple[str, ...] = ()
    external_addresses: tuple[str, ...] = ()

    @property
    def all_addresses(self) -> tuple[str, ...]:
        return self.addresses + tuple(a for a in self.tunnel_addresses if a not in self.addresses)


@dataclass(frozen=True, slots=True)
class HostEndpoint:
    name: str
    node: str
    interface: str  # "*", a name, or "" (resolved by expectedIPs)
    expected_ips: tuple[str, ...]
    labels: Labels
    profiles: tuple[str, ...] = ()
    ports: tuple[ContainerPort, ...] = ()
    automatic: bool = False  # synthesised from KubeControllersConfiguration autoCreate

    @property
    def wildcard(self) -> bool:
        return self.interface == "*"


@dataclass(frozen=True, slots=True)
class NetworkSet:
    ref: ObjectRef
    namespace: str  # '' for GlobalNetworkSet
    nets: IPSet
    labels: Labels  # effective (namespaced sets get projectcalico.org/namespace + pcns.*)


class ServiceType(enum.Enum):
    CLUSTER_IP = "ClusterIP"
    NODE_PORT = "NodePort"
    LOAD_BALANCER = "LoadBalancer"
    EXTERNAL_NAME = "ExternalName"


@dataclass(frozen=True, slots=True)
class ServicePort:
    protocol: int
    port: int
    target_port: str  # number as text, or a port name
    node_port: int = 0
    name: str = ""  # kube-proxy pairs it with the endpoint port of the same name


@dataclass(frozen=True, slots=True)
class Service:
    ref: ObjectRef
    namespace: str
    name: str
    type: ServiceType
    selector: Labels | None
    ports: tuple[ServicePort, ...] = ()
    cluster_ips: tuple[str, ...] = ()
    external_ips: tuple[str, ...] = ()
    load_balancer_ips: tuple[str, ...] = ()  # status.loadBalancer.ingress[].ip
    external_local: bool = False  # externalTrafficPolicy: Local (client address kept)


@dataclass(frozen=True, slots=True)
class EndpointPort:
    """A port of an EndpointSlice (or Endpoints subset): the backend port a service port with
    the same name is translated to."""

    protocol: int
    port: int
    name: str = ""


@dataclass(frozen=True, slots=True)
class EndpointGroup:
    """One EndpointSlice, or one subset of an Endpoints object: every address serves every
    port. ``service`` is the owning Service's name (label ``kubernetes.io/service-name``); the
    Service object itself need not exist (calico-semantics §4.6)."""

    namespace: str
    service: str
    addresses: tuple[str, ...]
    ports: tuple[EndpointPort, ...]
    origin: str  # "EndpointSlice ns/name" or "Endpoints ns/name", for explanations


class EncapMode(enum.Enum):
    NEVER = "Never"
    ALWAYS = "Always"
    CROSS_SUBNET = "CrossSubnet"


@dataclass(frozen=True, slots=True)
class IPPool:
    name: str
    cidr: str
    ipip: EncapMode = EncapMode.NEVER
    vxlan: EncapMode = EncapMode.NEVER
    nat_outgoing: bool = False
    disabled: bool = False
