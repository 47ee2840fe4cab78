"""Lateral movement: namespaces open to every other namespace, pods that can talk to (or be
reached from) everything, workloads open to the outside world."""

from __future__ import annotations

from collections.abc import Iterable

from posture.engine.flows import Flows
from posture.engine.peers import PeerKind
from posture.findings.base import (
    Analysis,
    Finding,
    PathInfo,
    Registry,
    RuleInfo,
    Severity,
    steps_text,
)
from posture.findings.rules.common import evidence, namespace_subjects, pods_phrase
from posture.model.net import PortSet
from posture.reachability.classes import EndpointClass
from posture.reachability.matrix import Cell

MEASURE = "lateral-movement-contained"

NAMESPACE_OPEN = RuleInfo(
    "PST-LAT-001",
    Severity.MEDIUM,
    "Namespace reachable from every other namespace",
    MEASURE,
    "Give the namespace an ingress policy that admits only the namespaces and workloads that "
    "need it (a Kubernetes NetworkPolicy with namespaceSelector peers, or a Calico policy).",
)
UNRESTRICTED_PODS = RuleInfo(
    "PST-LAT-002",
    Severity.MEDIUM,
    "Pods with unrestricted egress or ingress",
    MEASURE,
    "Select these pods with policies for both directions that allow only what they need; a "
    "cluster-wide default-deny makes every unlisted path closed.",
)
WORLD_OPEN = RuleInfo(
    "PST-LAT-003",
    Severity.HIGH,
    "Workloads reachable from outside the cluster on any port",
    MEASURE,
    "Restrict ingress from outside the cluster to the ports the workload serves (ipBlock or "
    "nets rules with ports), or deny it.",
)


def _dns(universe_flows: Flows, a: Analysis) -> Flows:
    u = a.index.universe
    return Flows({u.key(17): PortSet.of(53), u.key(6): PortSet.of(53)}) & universe_flows


def _pod_cells(a: Analysis) -> list[Cell]:
    return [
        c
        for c in a.matrix.cells
        if c.src.kind is PeerKind.POD and c.dst.kind is PeerKind.POD and c.allowed
    ]


def namespace_open(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    namespaces = sorted({c.namespace for c in a.matrix.classes if c.kind is PeerKind.POD})
    if len(namespaces) < 3:
        return
    reached_from: dict[str, set[str]] = {ns: set() for ns in namespaces}
    sample: dict[str, Cell] = {}
    for cell in _pod_cells(a):
        if cell.src.namespace == cell.dst.namespace:
            continue
        # DNS to kube-dns is meant to be open to everyone.
        if not (cell.allowed - _dns(cell.allowed, a)):
            continue
        reached_from[cell.dst.namespace].add(cell.src.namespace)
        sample.setdefault(cell.dst.namespace, cell)
    for ns in namespaces:
        others = set(namespaces) - {ns}
        if others and reached_from[ns] >= others:
            cell = sample[ns]
            yield Finding(
                check_id=info.id,
                severity=info.severity,
                title=f"{info.title}: {ns}",
                message=f"Pods in every other namespace ({len(others)}) can open connections to "
                f"pods in {ns}, on more than DNS.",
                subjects=namespace_subjects([ns]),
                path=PathInfo("every other namespace", ns, cell.allowed.describe(), ""),
                because=steps_text(evidence(cell, cell.allowed)),
                remediation=info.remediation,
                count=len(others),
                key_extra=ns,
            )


def unrestricted_pods(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    full = a.index.universe.full()
    pods = [c for c in a.matrix.classes if c.kind is PeerKind.POD]
    world = [c for c in a.matrix.classes if c.kind is PeerKind.EXTERNAL]
    if len(pods) < 2:
        return
    out_full: dict[int, set[int]] = {}
    in_full: dict[int, set[int]] = {}
    for cell in a.matrix.cells:
        if cell.allowed != full:
            continue
        out_full.setdefault(id(cell.src), set()).add(id(cell.dst))
        in_full.setdefault(id(cell.dst), set()).add(id(cell.src))
    targets = {id(c) for c in pods + world}
    for label, table in (("egress", out_full), ("ingress", in_full)):
        hit: list[EndpointClass] = []
        for c in pods:
            others = targets - {id(c)} if c.size == 1 else targets
            if others and table.get(id(c), set()) >= others:
                hit.append(c)
        if not hit:
            continue
        phrase, count = pods_phrase(hit)
        direction = (
            "to every pod group and the outside world"
            if label == "egress"
            else ("from every pod group and the outside world")
        )
        yield Finding(
            check_id=info.id,
            severity=info.severity,
            title=f"{info.title} ({label})",
            message=f"{phrase} have unrestricted {label}: all traffic {direction} is allowed.",
            subjects=namespace_subjects(c.namespace for c in hit),
            remediation=info.remediation,
            count=count,
            key_extra=label,
        )


def world_open(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    full = a.index.universe.full()
    hit: list[Cell] = []
    for cell in a.matrix.cells:
        if cell.src.kind is PeerKind.EXTERNAL and cell.dst.kind is PeerKind.POD:
            if cell.src.rep.owners:  # a named network set, not the open internet
                continue
            if cell.allowed == full:
                hit.append(cell)
    if not hit:
        return
    dsts = {id(c.dst): c.dst for c in hit}
    phrase, count = pods_phrase(dsts.values())
    yield Finding(
        check_id=info.id,
        severity=info.severity,
        title=info.title,
        message=f"{phrase} accept any connection from addresses outside the cluster "
        f"(e.g. {hit[0].src.name}).",
        subjects=namespace_subjects(c.namespace for c in dsts.values()),
        path=PathInfo(hit[0].src.name, hit[0].dst.name, "all traffic", "-"),
        because=steps_text(evidence(hit[0], full)),
        encrypted="false",
        remediation=info.remediation,
        count=count,
    )


def register(registry: Registry) -> None:
    registry.add(NAMESPACE_OPEN, namespace_open)
    registry.add(UNRESTRICTED_PODS, unrestricted_pods)
    registry.add(WORLD_OPEN, world_open)
