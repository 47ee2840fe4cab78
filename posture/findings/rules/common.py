"""Helpers shared by rules: grouping cells, evidence, subject lists, early denies."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet

from posture.engine.flows import Flows
from posture.engine.verdict import Step
from posture.findings.model import Subject
from posture.findings.registry import Analysis
from posture.model.policy import PolicyKind
from posture.reachability.classes import EndpointClass
from posture.reachability.matrix import Block, Cell, Relation
from posture.reachability.usage import RuleKey, RuleUsage

MAX_SUBJECTS = 50


def evidence(cell: Cell, flows: Flows) -> tuple[Step, ...]:
    """The steps of the allowed part of ``cell`` that overlaps ``flows`` most specifically."""
    for part, verdict in cell.parts:
        if verdict.allowed and part & flows:
            return verdict.steps
    return ()


def _has_pair(
    a: EndpointClass,
    b: EndpointClass,
    a_nodes: AbstractSet[str],
    b_nodes: AbstractSet[str],
    relation: Relation,
) -> bool:
    if relation is Relation.NONE:
        return True
    if relation is Relation.OTHER_NODE:
        return len(a_nodes) > 1 or len(b_nodes) > 1 or a_nodes != b_nodes
    if a is b:  # an endpoint and itself are no pair
        return len(a_nodes) < a.size
    return not a_nodes.isdisjoint(b_nodes)


def has_pair(a: EndpointClass, b: EndpointClass, relation: Relation) -> bool:
    """Whether classes a and b hold an endpoint pair in ``relation``."""
    return _has_pair(a, b, set(a.member_nodes), set(b.member_nodes), relation)


def class_pairs(block: Block) -> Iterator[tuple[EndpointClass, EndpointClass]]:
    """The class pairs of a block that hold endpoint pairs in its relation. Only for rules
    whose one side is a node group or an outside range (pod groups × node groups: bounded by
    the report's own summary), never for pod → pod blocks."""
    nodes = {id(c): frozenset(c.member_nodes) for c in (*block.srcs, *block.dsts)}
    for src in block.srcs:
        src_nodes = nodes[id(src)]
        for dst in block.dsts:
            if _has_pair(src, dst, src_nodes, nodes[id(dst)], block.relation):
                yield src, dst


def sample(a: Analysis, src: EndpointClass, dst: EndpointClass, relation: Relation) -> Cell:
    """The cell of one class pair, decided for its own endpoints (a finding's evidence)."""
    cell = a.matrix.decide(src, dst, relation)
    assert cell is not None, "the pair was taken from a block holding it"
    return cell


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
    """Who, in the operator's terms: the pods by name when a few, else how many in which
    namespaces (internal endpoint groups are not something the operator can see)."""
    cl = list(classes)
    pods = sum(c.size for c in cl)
    names = sorted({f"{p.namespace}/{p.name}" for c in cl for p in c.pods})
    if names and len(names) == pods and pods <= 3:
        return ("pod " if pods == 1 else "pods ") + ", ".join(names), pods
    namespaces = sorted({c.namespace for c in cl})
    ns_text = ", ".join(namespaces[:5]) + (
        f" and {len(namespaces) - 5} more" if len(namespaces) > 5 else ""
    )
    pod_s = "s" if pods != 1 else ""
    ns_s = "s" if len(namespaces) != 1 else ""
    return f"{pods} pod{pod_s} in namespace{ns_s} {ns_text}", pods


def early_denies(a: Analysis, usage: RuleUsage, key: RuleKey) -> list[str]:
    """Policies of the same tier and lower order whose Deny decides first what a Kubernetes
    NetworkPolicy rule would allow (the order-500 default-deny pitfall, §8.3)."""
    pol = usage.policies[key[0]]
    if pol.kind is not PolicyKind.KUBERNETES:
        return []
    out = []
    for step in usage.shadowers.get(key, []):
        if step.policy is None or not step.action.denies:
            continue
        shadower = a.index.policy_by_name.get(str(step.policy))
        if shadower is None or shadower.tier != pol.tier:
            continue
        if (shadower.order if shadower.order is not None else float("inf")) < (
            pol.order if pol.order is not None else float("inf")
        ) and str(step.policy) not in out:
            out.append(str(step.policy))
    return out
