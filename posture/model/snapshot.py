"""The Snapshot: everything the analysis sees, where it came from, and what is missing.

A Snapshot is produced by exactly one converter (``posture.sources.convert``) from the raw
objects any source gathered, so a manifest directory, a snapshot file and a live cluster
holding the same objects give equal Snapshots.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from posture.model.coverage import Coverage
from posture.model.endpoints import (
    EndpointGroup,
    HostEndpoint,
    IPPool,
    Namespace,
    NetworkSet,
    Node,
    Pod,
    Service,
    ServiceAccount,
)
from posture.model.meta import ObjectRef, SourceLocation
from posture.model.policy import Policy, Profile, Tier


class EndpointToHostAction(enum.Enum):
    """What Felix does with pod → own-host traffic after the pod's egress policy (§5.6)."""

    ACCEPT = "ACCEPT"
    DROP = "DROP"
    RETURN = "RETURN"


@dataclass(frozen=True, slots=True, order=True)
class Failsafe:
    """One failsafe entry: packets with this protocol and destination port bypass host-endpoint
    policy (§5.5). ``net`` optionally limits the peer address."""

    protocol: int
    port: int
    net: str = ""


@dataclass(frozen=True, slots=True)
class Setting:
    """A setting's effective value's provenance, for explanations."""

    name: str
    value: str
    origin: str  # e.g. "calico-node env FELIX_WIREGUARDENABLED", "FelixConfiguration default"


@dataclass(frozen=True, slots=True)
class FelixSettings:
    """Effective Felix settings for one node (env > node.<name> > default > built-in)."""

    endpoint_to_host: EndpointToHostAction
    failsafe_inbound: tuple[Failsafe, ...]
    failsafe_outbound: tuple[Failsafe, ...]
    wireguard_v4: bool = False
    wireguard_v6: bool = False
    wireguard_host: bool = False
    bpf: bool = False
    nat_outgoing_exclude_hosts: bool = False  # natOutgoingExclusions == IPPoolsAndHostIPs
    origins: tuple[Setting, ...] = ()

    def origin_of(self, name: str) -> str:
        for s in self.origins:
            if s.name == name:
                return s.origin
        return "built-in default"


# Annotations under this prefix are posture's own (``posture.dev/ignore`` and friends); the
# converter keeps them, and nothing else of an object's annotations, for the suppressions.
POSTURE_ANNOTATION_PREFIX = "posture.dev/"

# (kind, namespace, name) -> posture.dev/* annotations; namespaces are ("Namespace", "", name).
AnnotationIndex = Mapping[tuple[str, str, str], Mapping[str, str]]


@dataclass(frozen=True)
class Snapshot:
    """Everything posture analyses. Tuples are in a stable order (by name)."""

    namespaces: tuple[Namespace, ...] = ()
    pods: tuple[Pod, ...] = ()
    nodes: tuple[Node, ...] = ()
    services: tuple[Service, ...] = ()
    # EndpointSlices, or Endpoints of services that have no slice (§4.6), by name.
    service_endpoints: tuple[EndpointGroup, ...] = ()
    service_accounts: tuple[ServiceAccount, ...] = ()
    policies: tuple[Policy, ...] = ()  # enforced (Calico + converted Kubernetes)
    staged_policies: tuple[Policy, ...] = ()  # reported, never enforced
    tiers: tuple[Tier, ...] = ()
    profiles: tuple[Profile, ...] = ()
    network_sets: tuple[NetworkSet, ...] = ()
    host_endpoints: tuple[HostEndpoint, ...] = ()
    ip_pools: tuple[IPPool, ...] = ()
    felix: FelixSettings = field(
        default_factory=lambda: FelixSettings(EndpointToHostAction.ACCEPT, (), ())
    )
    felix_by_node: Mapping[str, FelixSettings] = field(default_factory=lambda: MappingProxyType({}))
    auto_host_endpoints: bool = False
    calico_present: bool = True
    coverage: Coverage = field(default_factory=Coverage)
    # Controllers in the input (kind, count): their pods are not made up from the template.
    # Said only when no pod was read; a live read lists only the controllers it needs
    # (DaemonSets), so this describes the input rather than the cluster and takes no part in
    # equality.
    controllers: tuple[tuple[str, int], ...] = field(default=(), compare=False)
    # What the converter assumed or skipped about the input (objects of API groups posture does
    # not read, namespaced objects without a namespace): one line each, shown on stderr.
    warnings: tuple[str, ...] = field(default=(), compare=False)
    source: str = ""
    cluster: str = ""
    context: str = ""
    generated_at: str = ""
    # Objects carrying posture.dev/* annotations (accepted risks), with only those annotations.
    posture_annotations: AnnotationIndex = field(default_factory=lambda: MappingProxyType({}))
    locations: Mapping[ObjectRef, SourceLocation] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )

    def felix_for(self, node: str) -> FelixSettings:
        return self.felix_by_node.get(node, self.felix)

    def wireguard_encrypts(self, node: Node, family: int, *, host_path: bool = False) -> bool:
        """Does WireGuard carry ``node``'s traffic of this address family (docs/semantics.md
        §5): enabled in its Felix settings and a public key published; traffic to host
        addresses only with host encryption on. The one definition engine and matrix share."""
        felix = self.felix_for(node.name)
        enabled = felix.wireguard_v4 if family == 4 else felix.wireguard_v6
        key = node.wireguard.key_v4 if family == 4 else node.wireguard.key_v6
        return bool(enabled and key and (felix.wireguard_host or not host_path))

    def location_of(self, ref: ObjectRef) -> SourceLocation | None:
        return self.locations.get(ref)

    def tier(self, name: str) -> Tier | None:
        for t in self.tiers:
            if t.name == name:
                return t
        return None
