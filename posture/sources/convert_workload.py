"""Workloads → :class:`~posture.model.endpoints.Pod`: Kubernetes Pods, and Calico
WorkloadEndpoint objects for workloads no Pod carries (etcd-datastore clusters, ``calicoctl get
workloadendpoints -o yaml`` exports).

Both give the same Pod value for the same workload: the effective labels Calico computes
(calico-semantics §3.3), the addresses, the node, the service account and the named ports.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, NamedTuple

from posture.model.endpoints import ContainerPort, Pod
from posture.model.meta import Labels, ObjectRef, SourceLocation
from posture.model.net import parse_protocol
from posture.sources.convert_policy import Where

Items = Iterable[tuple[Mapping[str, Any], SourceLocation, bool]]
WhereFn = Callable[[SourceLocation, str, Mapping[str, Any]], Where]

# Labels Calico adds to every Kubernetes workload endpoint
# (libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go: LabelNamespace,
# LabelOrchestrator, LabelServiceAccount); an exported WorkloadEndpoint carries them already.
_CALICO_WEP_LABELS = frozenset(
    {
        "projectcalico.org/namespace",
        "projectcalico.org/orchestrator",
        "projectcalico.org/serviceaccount",
    }
)


def workload_labels(
    own: Mapping[str, str],
    ns: str,
    sa: str,
    ns_labels: Mapping[str, str],
    sa_labels: Mapping[str, str],
) -> Labels:
    """Effective WEP labels (§3.3): inherited profile labels, then own labels win."""
    out: dict[str, str] = {}
    # ksa profile is listed after kns, and the first profile wins on conflicts.
    out.update({f"pcsa.{k}": v for k, v in sa_labels.items()})
    out["pcsa.projectcalico.org/name"] = sa
    out.update({f"pcns.{k}": v for k, v in ns_labels.items()})
    out["pcns.projectcalico.org/name"] = ns
    out.update(own)
    out["projectcalico.org/namespace"] = ns
    out["projectcalico.org/orchestrator"] = "k8s"
    if len(sa) < 63:
        out["projectcalico.org/serviceaccount"] = sa
    return Labels(out)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata") or {}
    return meta if isinstance(meta, dict) else {}


def _own_labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (_meta(obj).get("labels") or {}).items()}


class PodFacts(NamedTuple):
    """What one Pod object says by itself: the model's Pod but for its effective labels, which
    also need its namespace's and service account's (read as other kinds)."""

    namespace: str
    name: str
    service_account: str
    own_labels: dict[str, str]
    node: str
    ips: tuple[str, ...]
    host_network: bool
    ports: tuple[ContainerPort, ...]
    phase: str


# Facts worked out ahead (the live source does so page by page, while the next page is on its
# way), by the id of the object they came from; the object itself is kept beside them, so an
# entry is used for that very object only.
Prepared = Mapping[int, tuple[Mapping[str, Any], PodFacts]]


def pod_facts(obj: Mapping[str, Any], where: Callable[[], Where]) -> PodFacts:
    """A Pod's own facts; ``where`` names it in the error a malformed port raises."""
    meta = _meta(obj)
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    ips = [str(p.get("ip")) for p in status.get("podIPs") or [] if p.get("ip")]
    if not ips and status.get("podIP"):
        ips = [str(status["podIP"])]
    if not ips:
        ann = meta.get("annotations") or {}
        raw = ann.get("cni.projectcalico.org/podIPs") or ann.get("cni.projectcalico.org/podIP")
        if raw:
            ips = [x.strip().split("/")[0] for x in str(raw).split(",") if x.strip()]
    ports = _container_ports(where, spec)  # before the labels: the first error, as ever
    return PodFacts(
        namespace=str(meta.get("namespace") or "default"),
        name=str(meta["name"]),
        service_account=str(
            spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        ),
        own_labels=_own_labels(obj),
        node=str(spec.get("nodeName") or ""),
        ips=tuple(ips),
        host_network=bool(spec.get("hostNetwork", False)),
        ports=ports,
        phase=str(status.get("phase") or ""),
    )


def pods(
    items: Items,
    where_fn: WhereFn,
    ns_labels: Mapping[str, Labels],
    sa_labels: Mapping[tuple[str, str], Labels],
    prepared: Prepared | None = None,
) -> list[tuple[Pod, SourceLocation]]:
    """Kubernetes Pods, each with where it was read; facts found in ``prepared`` for the same
    object are not worked out again.

    Pods of one workload share their labels, so the effective labels are built once per
    (namespace, service account, own labels) and the one immutable value shared: a tenth of
    the work and memory on clusters of many replicas."""
    out = []
    shared: dict[tuple[str, str, tuple[tuple[str, str], ...]], Labels] = {}
    for obj, loc, _ in items:
        entry = prepared.get(id(obj)) if prepared else None
        if entry is not None and entry[0] is obj:
            facts = entry[1]
        else:
            facts = pod_facts(obj, partial(where_fn, loc, "Pod", obj))
        ns, sa, own = facts.namespace, facts.service_account, facts.own_labels
        key = (ns, sa, tuple(own.items()))
        labels = shared.get(key)
        if labels is None:
            labels = shared[key] = workload_labels(
                own,
                ns,
                sa,
                ns_labels.get(ns, Labels()),
                sa_labels.get((ns, sa), Labels()),
            )
        pod = Pod(
            ref=ObjectRef("Pod", ns, facts.name, "v1"),
            namespace=ns,
            name=facts.name,
            labels=labels,
            node=facts.node,
            ips=facts.ips,
            host_network=facts.host_network,
            service_account=sa,
            ports=facts.ports,
            phase=facts.phase,
        )
        out.append((pod, loc))
    return out


def _container_ports(
    where: Callable[[], Where], spec: Mapping[str, Any]
) -> tuple[ContainerPort, ...]:
    """Named or hostPort ports of containers and initContainers (§1.3); for hostNetwork pods
    every container port (they are node listeners). ``where`` is built only on failure: this
    runs once per pod."""
    out = []
    for group in ("initContainers", "containers"):
        for ci, c in enumerate(spec.get(group) or []):
            for pi, p in enumerate(c.get("ports") or []):
                try:
                    proto = parse_protocol(p.get("protocol") or "TCP")
                    port = int(p["containerPort"])
                except (ValueError, KeyError, TypeError):
                    where().fail(
                        f"spec.{group}[{ci}].ports[{pi}]",
                        "needs containerPort and a valid protocol",
                    )
                out.append(
                    ContainerPort(
                        protocol=proto,
                        port=port,
                        name=str(p.get("name") or ""),
                        host_port=int(p.get("hostPort") or 0),
                        host_ip=str(p.get("hostIP") or ""),
                    )
                )
    return tuple(sorted(set(out)))


def workload_endpoint_pods(
    items: Items,
    where_fn: WhereFn,
    ns_labels: Mapping[str, Labels],
    sa_labels: Mapping[tuple[str, str], Labels],
    known: set[tuple[str, str]],
    profile_labels: Mapping[str, Labels],
) -> list[tuple[Pod, SourceLocation]]:
    """WorkloadEndpoints of workloads no Pod in ``known`` (namespace, name) carries.

    A Kubernetes WorkloadEndpoint is what Calico makes of a Pod
    (libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go): the pod's labels
    plus Calico's own, ``ipNetworks`` from the pod IPs, ``node``, ``serviceAccountName``,
    profiles ``kns.<ns>`` and ``ksa.<ns>.<sa>``, and ``ports`` from the named container
    ports. The reverse gives the Pod posture would have read. Its fields are checked as
    Calico's validator does (libcalico-go/lib/validator/v3: ``ipNetworks`` dive,net;
    ``ports`` port gt=0).

    A WorkloadEndpoint of another orchestrator (``spec.orchestrator`` not ``k8s``: OpenStack,
    a plain CNI workload in an etcd-datastore cluster), or one listing other profiles than
    Kubernetes' pair, keeps its own profiles in order, and its effective labels are its own
    over those its profiles apply, first profile first (§3.3), with the namespace and
    orchestrator labels Calico stores on every endpoint (libcalico-go/lib/clientv3/
    workloadendpoint.go ``updateLabelsForStorage``); no ``pcns.``/``pcsa.`` labels."""
    out = []
    for obj, loc, _ in items:
        meta = _meta(obj)
        spec = obj.get("spec") or {}
        where = where_fn(loc, "WorkloadEndpoint", obj)
        ns = str(meta.get("namespace") or "default")
        name = str(spec.get("pod") or spec.get("workload") or meta["name"])
        if (ns, name) in known:
            continue  # the Pod is the source of truth; its WorkloadEndpoint adds nothing
        known.add((ns, name))
        sa = str(spec.get("serviceAccountName") or "default")
        orchestrator = str(spec.get("orchestrator") or "k8s")
        profiles = _profiles(where, spec.get("profiles"), ns, sa, orchestrator)
        if orchestrator == "k8s":
            own = {k: v for k, v in _own_labels(obj).items() if k not in _CALICO_WEP_LABELS}
            labels = workload_labels(
                own, ns, sa, ns_labels.get(ns, Labels()), sa_labels.get((ns, sa), Labels())
            )
        else:
            labels = _other_labels(obj, ns, orchestrator, profiles or (), profile_labels)
        pod = Pod(
            ref=ObjectRef("Pod", ns, name, "v1"),
            namespace=ns,
            name=name,
            labels=labels,
            node=str(spec.get("node") or ""),
            ips=_addresses(where, spec.get("ipNetworks")),
            host_network=False,
            service_account=sa,
            ports=_endpoint_ports(where, spec.get("ports")),
            phase="Running",  # Calico keeps endpoints only for live workloads (§1.3)
            profiles=profiles,
        )
        out.append((pod, loc))
    return out


def _profiles(
    where: Where, raw: Any, ns: str, sa: str, orchestrator: str
) -> tuple[str, ...] | None:
    """``spec.profiles`` when they are not what Kubernetes gives every pod (None then)."""
    if raw is None:
        return None if orchestrator == "k8s" else ()
    if not isinstance(raw, list) or not all(isinstance(p, str) and p for p in raw):
        where.fail("spec.profiles", "must be a list of profile names")
    names = tuple(str(p) for p in raw)
    if orchestrator == "k8s" and names == (f"kns.{ns}", f"ksa.{ns}.{sa}"):
        return None
    return names


def _other_labels(
    obj: Mapping[str, Any],
    ns: str,
    orchestrator: str,
    profiles: tuple[str, ...],
    profile_labels: Mapping[str, Labels],
) -> Labels:
    """Effective labels of a non-Kubernetes endpoint (§3.3): inherited from its profiles (the
    first profile wins), its own win over them; namespace and orchestrator as stored."""
    out: dict[str, str] = {}
    for name in reversed(profiles):
        out.update(profile_labels.get(name, Labels()))
    out.update(_own_labels(obj))
    out["projectcalico.org/namespace"] = ns
    out["projectcalico.org/orchestrator"] = orchestrator
    return Labels(out)


def _addresses(where: Where, raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        where.fail("spec.ipNetworks", "must be a list of CIDRs")
    out = []
    for i, text in enumerate(raw):
        try:
            net = ipaddress.ip_network(str(text), strict=False)
        except ValueError:
            where.fail(f"spec.ipNetworks[{i}]", f"{text!r} is not an IP network")
        out.append(str(net.network_address))
    return tuple(dict.fromkeys(out))


def _endpoint_ports(where: Where, raw: Any) -> tuple[ContainerPort, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        where.fail("spec.ports", "must be a list of {name, protocol, port}")
    out = []
    for i, p in enumerate(raw):
        port = None
        with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
            port = ContainerPort(
                protocol=parse_protocol(p.get("protocol") or "TCP"),
                port=int(p["port"]),
                name=str(p.get("name") or ""),
                host_port=int(p.get("hostPort") or 0),
                host_ip=str(p.get("hostIP") or ""),
            )
        if port is None or not 0 < port.port <= 65535:
            where.fail(f"spec.ports[{i}]", "needs a port 1-65535 and a valid protocol")
        out.append(port)
    return tuple(sorted(set(out)))
