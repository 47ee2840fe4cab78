"""The two ends of a flow, as policy sees them.

A :class:`Peer` is an address (or an address region, for the outside world) together with every
label set that claims it — a workload's labels, the labels of host endpoints whose
``expectedIPs`` contain it, network sets whose nets cover it — because Calico renders rule
selectors as IP sets of exactly those members (calico-semantics §4.5).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from posture.model.endpoints import ContainerPort, Node, Pod
from posture.model.meta import Labels
from posture.model.net import IPSet


class PeerKind(enum.Enum):
    POD = "pod"  # a workload endpoint
    HOST = "host"  # a node address: host processes and hostNetwork pods
    EXTERNAL = "external"  # anything else (network sets, the internet)


@dataclass(frozen=True, slots=True)
class Peer:
    kind: PeerKind
    region: IPSet  # the addresses this peer stands for (one address for pods and hosts)
    family: int
    owners: tuple[Labels, ...]  # label sets that claim these addresses
    named_ports: tuple[tuple[int, ContainerPort], ...] = ()  # (owner index, port)
    node: str = ""  # pods and hosts: the node
    pod: Pod | None = None
    node_obj: Node | None = None
    address: str = ""
    name: str = ""  # display

    def __str__(self) -> str:
        return self.name
