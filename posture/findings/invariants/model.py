"""Invariants as values: what a rule selects, what it demands, where it was written.

Parsing and validation of the file format live in :mod:`posture.sources.invariants`; this
module holds only the typed result, so evaluation never sees raw YAML.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from posture.findings.model import Severity
from posture.model.net import IPSet
from posture.selectors import Selector

API_VERSION = "posture.dev/v1alpha1"
KIND = "Invariants"


class Demand(enum.Enum):
    """What a rule asks of the traffic it selects."""

    DENY = "deny"  # nothing selected may be allowed
    ALLOW = "allow"  # everything selected must be allowed, for every pair
    ENCRYPTED = "encrypted"  # everything allowed must be encrypted or stay on its node


@dataclass(frozen=True, slots=True)
class PodSelection:
    namespaces: tuple[str, ...] = ()  # exact names; empty = every namespace
    namespace_selector: Selector | None = None  # over the Namespace object's labels
    selector: Selector | None = None  # over the pod's effective labels


@dataclass(frozen=True, slots=True)
class NodeSelection:
    names: tuple[str, ...] = ()  # empty = every node
    selector: Selector | None = None  # over the Node object's labels


@dataclass(frozen=True, slots=True)
class Endpoints:
    """One entry of ``from``/``to``/``except``: pods, nodes, outside ranges, or a node service
    (on the selected nodes, or every node). ``where`` is its path in the file, for errors."""

    where: str
    pods: PodSelection | None = None
    nodes: NodeSelection | None = None
    nets: IPSet | None = None
    service: str = ""  # key of posture.findings.ports.SERVICE_KEYS

    def describe(self) -> str:
        if self.pods is not None:
            p = self.pods
            parts = []
            if p.namespaces:
                parts.append("namespace " + ", ".join(p.namespaces))
            if p.namespace_selector is not None:
                parts.append(f"namespaces {p.namespace_selector}")
            if p.selector is not None:
                parts.append(str(p.selector))
            return "pods" + (f" ({'; '.join(parts)})" if parts else "")
        if self.nets is not None:
            return "outside " + ", ".join(self.nets.to_cidrs())
        nodes = "every node"
        if self.nodes is not None and (self.nodes.names or self.nodes.selector is not None):
            parts = list(self.nodes.names)
            if self.nodes.selector is not None:
                parts.append(str(self.nodes.selector))
            nodes = "nodes " + ", ".join(parts)
        return f"{self.service} on {nodes}" if self.service else nodes


@dataclass(frozen=True, slots=True)
class Exception_:
    """Pairs left out of a rule: sources in ``src`` to destinations in ``dst`` (empty = any)."""

    where: str
    src: tuple[Endpoints, ...] = ()
    dst: tuple[Endpoints, ...] = ()


@dataclass(frozen=True, slots=True)
class Invariant:
    name: str
    reason: str
    severity: Severity
    demand: Demand
    src: tuple[Endpoints, ...]
    dst: tuple[Endpoints, ...]
    flows: tuple[str, ...] = ()  # '443/TCP', 'UDP', …; empty = every protocol and port
    exceptions: tuple[Exception_, ...] = ()
    origin: str = ""  # the file (and document) it came from

    @property
    def where(self) -> str:
        return f"{self.origin}: invariant {self.name!r}"


@dataclass(frozen=True, slots=True)
class InvariantResult:
    """One rule's outcome, for dashboards: offending endpoint pairs (0 = holds)."""

    name: str
    demand: Demand
    severity: Severity
    violations: int
