"""Helpers shared by rules: grouping cells, evidence, subject lists."""

from __future__ import annotations

from collections.abc import Iterable

from posture.engine.flows import Flows
from posture.engine.index import Index
from posture.engine.peers import Peer
from posture.engine.verdict import Step
from posture.findings.base import Subject
from posture.model.net import IPSet
from posture.reachability.classes import Atoms, EndpointClass, rule_address_sets
from posture.reachability.matrix import Cell

MAX_SUBJECTS = 50


def anonymous_peer(index: Index) -> Peer:
    """An outside address that no rule, network set or cluster address covers."""
    sets = rule_address_sets(index)
    cluster = (
        IPSet.from_cidrs(p.cidr for p in index.snap.ip_pools)
        | IPSet.from_cidrs(a for n in index.snap.nodes for a in n.all_addresses)
        | IPSet.from_cidrs(ip for p in index.wep_pods for ip in p.ips)
    )
    for region in Atoms(sets).regions(4):
        free = region - cluster
        if free and not any(not free.isdisjoint(s) for s in sets):
            return index.external_peer(free, "traffic no rule mentions", 4)
    # Every IPv4 atom is mentioned somewhere; fall back to an atom outside the cluster.
    return index.external_peer(IPSet.from_cidrs(["198.51.100.77"]), "traffic no rule mentions")


def evidence(cell: Cell, flows: Flows) -> tuple[Step, ...]:
    """The steps of the allowed part of ``cell`` that overlaps ``flows`` most specifically."""
    for part, verdict in cell.parts:
        if verdict.allowed and part & flows:
            return verdict.steps
    return ()


def node_subjects(cls: EndpointClass) -> tuple[Subject, ...]:
    return tuple(Subject("Node", n, api_version="v1") for n in cls.members[:MAX_SUBJECTS])


def namespace_subjects(namespaces: Iterable[str]) -> tuple[Subject, ...]:
    return tuple(
        Subject("Namespace", ns, api_version="v1") for ns in sorted(set(namespaces))[:MAX_SUBJECTS]
    )


def source_subjects(classes: Iterable[EndpointClass]) -> tuple[Subject, ...]:
    """Who a finding's path starts from: the pods themselves when few enough to list, else
    their namespaces, so that suppressions by namespace, by name and namespace annotations
    can accept it ("monitoring scrapes the kubelets")."""
    cl = list(classes)
    pods = [p for c in cl for p in c.pods]
    if pods and len(pods) <= MAX_SUBJECTS:
        return tuple(sorted({Subject("Pod", p.name, p.namespace, "v1") for p in pods}, key=str))
    return namespace_subjects(c.namespace for c in cl)


def pods_phrase(classes: Iterable[EndpointClass]) -> tuple[str, int]:
    cl = list(classes)
    pods = sum(c.size for c in cl)
    namespaces = sorted({c.namespace for c in cl})
    ns_text = ", ".join(namespaces[:5]) + (
        f" and {len(namespaces) - 5} more" if len(namespaces) > 5 else ""
    )
    pod_s = "s" if pods != 1 else ""
    group_s = "s" if len(cl) != 1 else ""
    return f"{pods} pod{pod_s} in {len(cl)} group{group_s} (namespaces {ns_text})", pods
