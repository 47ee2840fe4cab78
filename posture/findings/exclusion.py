"""The system namespaces a default-deny leaves out on purpose.

Calico's own guidance for a cluster-wide default deny keeps its scope to non-system pods: the
example GlobalNetworkPolicy selects ``projectcalico.org/namespace not in {'kube-system',
'calico-system', 'tigera-operator'}`` and allows DNS ("Enable a default deny policy for
Kubernetes pods", docs.tigera.io/calico/latest/network-policy/get-started/kubernetes-default-deny;
"Best practice #2: keep the scope to non-system pods",
docs.tigera.io/calico-cloud/network-policy/default-deny). A cluster built that way is not
"without a default-deny": every other pod is denied by default, and the system namespaces are
a deliberate choice, reported once at low severity with what they can still reach, while real
exposure of their pods (open to the outside) stays reported by the checks that find it.
"""

from __future__ import annotations

from dataclasses import dataclass

from posture.engine.peers import PeerKind
from posture.findings.registry import Analysis
from posture.model.policy import Direction, Policy, PolicyKind
from posture.reachability.classes import EndpointClass

# The namespaces Calico's example excludes, plus calico-apiserver, where the Calico API server
# runs when installed by the operator.
SYSTEM_NAMESPACES = frozenset(
    {"kube-system", "calico-system", "tigera-operator", "calico-apiserver"}
)


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Pods left out of the default-deny in one direction, on purpose."""

    direction: Direction
    classes: tuple[EndpointClass, ...]  # the system-namespace pod groups that fall through
    policies: tuple[Policy, ...]  # the global policies that deny everyone else by default

    @property
    def namespaces(self) -> tuple[str, ...]:
        return tuple(sorted({c.namespace for c in self.classes}))


def _deny_by_default(
    a: Analysis, direction: Direction, others: list[EndpointClass]
) -> list[Policy]:
    """Global policies of ``direction`` that select every non-system pod group and no
    system one that falls through: the default-deny that was written with the exclusion."""
    out = []
    for p in a.index.policies:
        if p.kind is not PolicyKind.GLOBAL or direction not in p.types:
            continue
        if all(p.selector.matches(c.pods[0].labels) for c in others):
            out.append(p)
    return out


def exclusion(a: Analysis, direction: Direction) -> Exclusion | None:
    """The exclusion in ``direction``, when it is exactly the documented one: every pod
    outside the system namespaces is denied by default, only system-namespace pods fall
    through to their profile, and a global policy selecting all the others (and none of
    them) exists. None otherwise (then the default-deny checks report as usual)."""
    open_classes = a.default_open[direction]
    if not open_classes or any(c.namespace not in SYSTEM_NAMESPACES for c in open_classes):
        return None
    others = [
        c
        for c in a.matrix.classes
        if c.kind is PeerKind.POD and c.pods and c.namespace not in SYSTEM_NAMESPACES
    ]
    if not others:
        return None
    policies = [
        p
        for p in _deny_by_default(a, direction, others)
        if not any(p.selector.matches(c.pods[0].labels) for c in open_classes)
    ]
    if not policies:
        return None
    return Exclusion(direction, tuple(open_classes), tuple(policies))


def excluded_ids(a: Analysis, direction: Direction) -> frozenset[int]:
    """``id()`` of the pod groups excluded by design in ``direction`` (empty when none)."""
    found = exclusion(a, direction)
    return frozenset(id(c) for c in found.classes) if found else frozenset()


def still_open(a: Analysis, direction: Direction) -> list[EndpointClass]:
    """The pod groups whose unmentioned traffic falls through, minus those excluded by design."""
    skip = excluded_ids(a, direction)
    return [c for c in a.default_open[direction] if id(c) not in skip]
