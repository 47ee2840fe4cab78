"""TypedDicts of the raw API bodies posture reads. Raw dicts stay at this boundary: only the
``convert*`` modules look inside them; everything else works on ``posture.model``."""

from __future__ import annotations

from typing import Any, TypedDict


class RawMeta(TypedDict, total=False):
    name: str
    namespace: str
    labels: dict[str, str]
    annotations: dict[str, str]
    uid: str
    resourceVersion: str


class RawResource(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: RawMeta
    spec: dict[str, Any]
    status: dict[str, Any]


class RawEntityRule(TypedDict, total=False):
    nets: list[str]
    notNets: list[str]
    selector: str
    notSelector: str
    namespaceSelector: str
    ports: list[int | str]
    notPorts: list[int | str]
    serviceAccounts: dict[str, Any]
    services: dict[str, str]


class RawRule(TypedDict, total=False):
    action: str
    protocol: int | str
    notProtocol: int | str
    icmp: dict[str, int]
    notICMP: dict[str, int]
    ipVersion: int
    source: RawEntityRule
    destination: RawEntityRule
    http: dict[str, Any]
    metadata: dict[str, Any]


RULE_FIELDS = frozenset(RawRule.__annotations__)
ENTITY_FIELDS = frozenset(RawEntityRule.__annotations__)

# Spec fields of Calico's policy kinds (S-API, calico-semantics §1.6). Anything else is an error.
GNP_SPEC_FIELDS = frozenset(
    {
        "tier",
        "order",
        "selector",
        "namespaceSelector",
        "serviceAccountSelector",
        "types",
        "ingress",
        "egress",
        "doNotTrack",
        "preDNAT",
        "applyOnForward",
        "performanceHints",
        "stagedAction",
    }
)
NP_SPEC_FIELDS = frozenset(
    {
        "tier",
        "order",
        "selector",
        "serviceAccountSelector",
        "types",
        "ingress",
        "egress",
        "performanceHints",
        "stagedAction",
    }
)
