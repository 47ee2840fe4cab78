"""What the input lacks for a verdict: nothing read must never read as nothing wrong.

A measure is judged over a set of subjects (pods that are Calico workload endpoints, nodes).
When that set is empty the measure has nothing to pass: it is *not evaluated*, and the run says
what was missing and how to get it. Pods that are not workload endpoints are counted by why,
and controllers (Deployments, …) are named, because posture does not expand their templates
into pods: only the pods the cluster really runs have addresses and nodes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from posture.model.endpoints import Pod

# Objects whose pods posture does not create from the template (they have no node or address).
CONTROLLER_KINDS = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
)

HOW_TO_READ = (
    "read a running cluster (posture check with a kubeconfig), or export one: "
    "`kubectl get pods,nodes -A -o yaml > cluster.yaml` next to the policies, or "
    "`posture snapshot -o snapshot.json`"
)


def dropped_reason(pod: Pod) -> str:
    """Why a pod is no workload endpoint, in the words of Calico's own test (§1.3); '' when
    it is one or runs on the host network (node traffic, counted elsewhere)."""
    if pod.is_workload_endpoint or (pod.host_network and pod.node):
        return ""
    if not pod.node:
        return "not scheduled (no spec.nodeName)"
    if pod.phase in ("Succeeded", "Failed"):
        return f"finished ({pod.phase})"
    return "no IP (status.podIP)"


@dataclass(frozen=True, slots=True)
class InputGaps:
    """What the measures lack. Empty ``missing`` means every measure has subjects."""

    missing: tuple[str, ...] = ()
    dropped: tuple[tuple[str, int], ...] = ()  # (reason, pods)
    controllers: tuple[tuple[str, int], ...] = ()  # (kind, objects) not expanded into pods
    no_pods: bool = False
    no_nodes: bool = False

    def lines(self) -> tuple[str, ...]:
        """One line each: what is missing, what was dropped and why, how to get the rest."""
        if not self.missing:
            return ()
        out = list(self.missing)
        if self.dropped:
            out.append(
                "pods read but not analysed: "
                + ", ".join(f"{n} {reason}" for reason, n in self.dropped)
            )
        if self.controllers:
            out.append(
                "not expanded into pods (posture analyses the pods a cluster runs, not "
                "templates): " + ", ".join(f"{n} {kind}" for kind, n in self.controllers)
            )
        out.append(f"to get them: {HOW_TO_READ}")
        return tuple(out)


def input_gaps(
    pods: Iterable[Pod], node_count: int, controllers: Iterable[tuple[str, int]] = ()
) -> InputGaps:
    pods = list(pods)
    endpoints = sum(1 for p in pods if p.is_workload_endpoint)
    dropped = Counter(r for p in pods if (r := dropped_reason(p)))
    missing = []
    if not endpoints:
        missing.append(
            "no Pod was read"
            if not pods
            else f"no pod is a workload endpoint (scheduled, with an IP): {len(pods)} "
            f"pod{'s' if len(pods) != 1 else ''} read"
        )
    if not node_count:
        missing.append("no Node was read")
    return InputGaps(
        missing=tuple(missing),
        dropped=tuple(sorted(dropped.items())),
        controllers=tuple(sorted(controllers)),
        no_pods=not endpoints,
        no_nodes=not node_count,
    )
