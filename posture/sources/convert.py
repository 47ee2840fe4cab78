"""Raw inventory → Snapshot. The only module family that spells Kubernetes/Calico field names.

Objects are dispatched on (API group, kind). Calico objects are accepted from both
``projectcalico.org/v3`` and ``crd.projectcalico.org/v1``; the latter are normalised as
calico-semantics §1.4 describes (labels from the ``projectcalico.org/metadata`` annotation,
tier from the stored name). Things Calico synthesises (workload-endpoint labels, ``kns.*`` /
``ksa.*`` profiles, auto host endpoints) are synthesised here the same way (§1.3, §3.3, §5.3).
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from posture.errors import InputError
from posture.model.coverage import Coverage, KindCoverage, ReadStatus
from posture.model.endpoints import (
    ContainerPort,
    HostEndpoint,
    Namespace,
    NetworkSet,
    Node,
    Pod,
    ServiceAccount,
    WireguardState,
)
from posture.model.inputs import CONTROLLER_KINDS
from posture.model.meta import Labels, ObjectRef, SourceLocation
from posture.model.net import IPSet, parse_protocol
from posture.model.policy import Action, Policy, PolicyKind, Profile, Rule, Tier
from posture.model.snapshot import Snapshot
from posture.sources import convert_felix, convert_misc, convert_validate, convert_workload
from posture.sources.base import RawInventory
from posture.sources.convert_anp import BUILTIN_TIERS, admin_policy
from posture.sources.convert_policy import (
    METADATA_ANNOTATION,
    V1_GROUP,
    Where,
    calico_policy,
    k8s_policy,
    rules,
)
from posture.sources.discovery import CALICO_KINDS

CALICO_GROUPS = ("projectcalico.org", V1_GROUP)

# Kinds posture reads (the live source's table, sources/discovery.py), plus WorkloadEndpoint:
# exports from etcd-datastore clusters carry them; the live source reads Pods instead (in the
# Kubernetes datastore Calico derives endpoints from Pods). Other well-known kinds are ignored;
# anything else of Calico's groups is an input error.
_CALICO_KINDS = frozenset(kind for kind, _plural, _namespaced in CALICO_KINDS) | {
    "WorkloadEndpoint"
}
_IGNORED_KINDS = {
    "ConfigMap",
    "Secret",
    "Event",
    "LimitRange",
    "ResourceQuota",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ReplicationController",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "Job",
    "CronJob",
    "Ingress",
    "IngressClass",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "PriorityClass",
    "StorageClass",
    "APIService",
    "Lease",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ControllerRevision",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "RuntimeClass",
    "BGPConfiguration",
    "BGPPeer",
    "BGPFilter",
    "IPReservation",
    "ClusterInformation",
    "CalicoNodeStatus",
    "IPAMBlock",
    "IPAMHandle",
    "BlockAffinity",
    "IPAMConfig",
    "IPAMConfiguration",
    "APIServer",
    "Kustomization",
    "PodSecurityPolicy",
}


# Non-Calico kinds posture reads: (API group, kind) -> key.
_READ = {
    ("", "Namespace"): "Namespace",
    ("", "Pod"): "Pod",
    ("", "Node"): "Node",
    ("", "Service"): "Service",
    ("", "Endpoints"): "Endpoints",
    ("discovery.k8s.io", "EndpointSlice"): "EndpointSlice",
    ("", "ServiceAccount"): "ServiceAccount",
    ("apps", "DaemonSet"): "DaemonSet",
    ("operator.tigera.io", "Installation"): "Installation",
    ("networking.k8s.io", "NetworkPolicy"): "NetworkPolicy",
    ("policy.networking.k8s.io", "AdminNetworkPolicy"): "AdminNetworkPolicy",
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"): "BaselineAdminNetworkPolicy",
    ("policy.networking.k8s.io", "ClusterNetworkPolicy"): "ClusterNetworkPolicy",
}
_IGNORED_GROUPS = frozenset(
    {"apps", "batch", "policy", "autoscaling", "operator.tigera.io", "discovery.k8s.io"}
)


@dataclass(frozen=True, slots=True)
class ConvertOptions:
    """Analysis-time overrides applied while converting."""

    endpoint_to_host: str | None = None  # ACCEPT / DROP / RETURN
    # The namespace of namespaced objects that name none (``-n``, as kubectl apply); None:
    # ``default``, with a warning.
    namespace: str | None = None


# Kinds (converter keys) that live in a namespace; the others are cluster-scoped.
_NAMESPACED = frozenset(
    {
        "Pod",
        "Service",
        "ServiceAccount",
        "NetworkPolicy",
        "CalicoNetworkPolicy",
        "StagedNetworkPolicy",
        "StagedKubernetesNetworkPolicy",
        "NetworkSet",
        "WorkloadEndpoint",
        "DaemonSet",
    }
)
_LISTED = 5  # objects named in one warning before "and N more"


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata") or {}
    return meta if isinstance(meta, dict) else {}


def _labels(obj: Mapping[str, Any], *, v1: bool = False) -> Labels:
    meta = _meta(obj)
    labels = dict(meta.get("labels") or {})
    if v1:
        ann = (meta.get("annotations") or {}).get(METADATA_ANNOTATION)
        if ann:
            with contextlib.suppress(ValueError, AttributeError):
                labels.update(json.loads(ann).get("labels") or {})
    return Labels({str(k): str(v) for k, v in labels.items()})


class _Builder:
    """Collects converted objects; one instance per conversion, nothing global."""

    def __init__(self, inv: RawInventory, options: ConvertOptions) -> None:
        self.inv = inv
        self.options = options
        self.by_kind: dict[str, list[tuple[Mapping[str, Any], SourceLocation, bool]]] = {}
        self.locations: dict[ObjectRef, SourceLocation] = {}
        self.skipped: Counter[str] = Counter()
        self.unplaced: list[str] = []

    def warnings(self) -> tuple[str, ...]:
        """One line per kind of assumption or omission made while classifying."""
        out = []
        if self.skipped:
            kinds = ", ".join(f"{k} ({n})" for k, n in sorted(self.skipped.items()))
            total = sum(self.skipped.values())
            out.append(
                f"skipped {total} object{'s' if total != 1 else ''} of API groups posture does "
                f"not read: {kinds}"
            )
        if self.unplaced:
            shown = ", ".join(self.unplaced[:_LISTED])
            more = len(self.unplaced) - _LISTED
            shown += f" and {more} more" if more > 0 else ""
            n = len(self.unplaced)
            out.append(
                f"{n} namespaced object{'s' if n != 1 else ''} without metadata.namespace "
                f"assumed in namespace default (give -n/--namespace as for kubectl): {shown}"
            )
        return tuple(out)

    def _place(self, obj: dict[str, Any], key: str, loc: SourceLocation) -> dict[str, Any]:
        """A namespaced object without a namespace goes where ``kubectl apply`` would put it:
        the ``-n`` namespace, else ``default`` (said in a warning)."""
        meta = _meta(obj)
        if key not in _NAMESPACED or meta.get("namespace"):
            return obj
        ns = self.options.namespace
        if ns is None:
            ns = "default"
            self.unplaced.append(f"{obj.get('kind')} {meta.get('name')} ({loc})")
        return {**obj, "metadata": {**meta, "namespace": ns}}

    def classify(self) -> None:
        for obj, loc in zip(self.inv.objects, self.inv.locations, strict=True):
            if not isinstance(obj, dict):
                raise InputError(f"{loc}: not a Kubernetes object (expected a mapping)")
            api_version = str(obj.get("apiVersion") or "")
            kind = str(obj.get("kind") or "")
            if not kind or not api_version:
                raise InputError(f"{loc}: object without apiVersion/kind")
            name = _meta(obj).get("name")
            if not name:
                raise InputError(f"{loc}: {kind}: metadata.name is required")
            group = _group(api_version)
            key = kind
            v1 = group == V1_GROUP
            if group in CALICO_GROUPS:
                if kind not in _CALICO_KINDS:
                    if kind in _IGNORED_KINDS:
                        continue
                    raise InputError(f"{loc}: unknown Calico kind {kind!r} ({api_version})")
                if kind == "NetworkPolicy":
                    key = "CalicoNetworkPolicy"
            elif (group, kind) in _READ:
                key = _READ[(group, kind)]
            elif kind in _IGNORED_KINDS or group in _IGNORED_GROUPS or group.endswith(".k8s.io"):
                continue
            elif group:
                # Istio, OpenShift, Multus, KubeVirt, any CRD: not policy posture reads.
                self.skipped[f"{kind}.{group}"] += 1
                continue
            else:
                raise InputError(f"{loc}: unknown kind {kind!r} ({api_version})")
            self.by_kind.setdefault(key, []).append((self._place(obj, key, loc), loc, v1))

    def items(self, key: str) -> list[tuple[Mapping[str, Any], SourceLocation, bool]]:
        return self.by_kind.get(key, [])

    def where(self, loc: SourceLocation, kind: str, obj: Mapping[str, Any]) -> Where:
        meta = _meta(obj)
        ns = meta.get("namespace")
        name = f"{ns}/{meta.get('name')}" if ns else str(meta.get("name"))
        return Where(f"{loc}: {kind} {name}")

    def remember(self, ref: ObjectRef, loc: SourceLocation) -> None:
        self.locations[ref] = loc


def build_snapshot(inv: RawInventory, options: ConvertOptions | None = None) -> Snapshot:
    """Convert everything a source read into one Snapshot; raise InputError on bad input."""
    b = _Builder(inv, options or ConvertOptions())
    b.classify()

    namespaces = _namespaces(b)
    sas = _service_accounts(b)
    ns_labels = {n.name: n.labels for n in namespaces}
    sa_labels = {(s.namespace, s.name): s.labels for s in sas}
    # Profiles before workloads: a WorkloadEndpoint inherits labels from the profiles it lists.
    profiles = _profiles(b, namespaces, sas)
    profile_labels = {p.name: p.labels_to_apply for p in profiles}
    pods = tuple(
        sorted(
            _workloads(b, ns_labels, sa_labels, profile_labels),
            key=lambda p: (p.namespace, p.name),
        )
    )
    nodes = tuple(sorted(_nodes(b), key=lambda n: n.name))

    policies: list[Policy] = []
    staged: list[Policy] = []
    kinds = {
        "GlobalNetworkPolicy": PolicyKind.GLOBAL,
        "CalicoNetworkPolicy": PolicyKind.NAMESPACED,
        "StagedGlobalNetworkPolicy": PolicyKind.STAGED_GLOBAL,
        "StagedNetworkPolicy": PolicyKind.STAGED_NAMESPACED,
    }
    for key, pkind in kinds.items():
        for obj, loc, v1 in b.items(key):
            pol = calico_policy(obj, pkind, b.where(loc, pkind.value, obj), v1=v1)
            (staged if pol.staged else policies).append(pol)
            b.remember(pol.ref, loc)
    for obj, loc, _ in b.items("NetworkPolicy"):
        pol = k8s_policy(obj, b.where(loc, "NetworkPolicy", obj))
        policies.append(pol)
        b.remember(pol.ref, loc)
    for obj, loc, _ in b.items("StagedKubernetesNetworkPolicy"):
        pol = k8s_policy(obj, b.where(loc, "StagedKubernetesNetworkPolicy", obj), staged=True)
        staged.append(pol)
        b.remember(pol.ref, loc)

    for key in ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"):
        for obj, loc, _ in b.items(key):
            pol = admin_policy(obj, key, b.where(loc, key, obj))
            policies.append(pol)
            b.remember(pol.ref, loc)

    tiers = _tiers(b, policies)
    network_sets = _network_sets(b, ns_labels)
    felix_inputs = _felix_inputs(b)
    auto_hep = convert_misc.auto_host_endpoints_enabled(b.items("KubeControllersConfiguration"))
    heps = _host_endpoints(b, nodes, auto_hep)

    return Snapshot(
        namespaces=namespaces,
        pods=pods,
        nodes=nodes,
        services=tuple(convert_misc.services(b.items("Service"), b.where)),
        service_endpoints=tuple(
            convert_misc.service_endpoints(b.items("EndpointSlice"), b.items("Endpoints"), b.where)
        ),
        service_accounts=sas,
        policies=tuple(sorted(policies, key=lambda p: (p.tier, p.order_key()))),
        staged_policies=tuple(sorted(staged, key=lambda p: (p.tier, p.order_key()))),
        tiers=tiers,
        profiles=profiles,
        network_sets=network_sets,
        host_endpoints=heps,
        ip_pools=tuple(convert_misc.ip_pools(b.items("IPPool"), b.where)),
        felix=convert_felix.settings_for(felix_inputs, None),
        felix_by_node=MappingProxyType(
            convert_felix.per_node(felix_inputs, (n.name for n in nodes))
        ),
        auto_host_endpoints=auto_hep,
        calico_present=_calico_present(b, inv),
        coverage=_coverage(b, inv),
        controllers=_controllers(inv),
        source=inv.provenance.source,
        cluster=inv.provenance.cluster,
        context=inv.provenance.context,
        generated_at=inv.provenance.generated_at,
        posture_annotations=MappingProxyType(convert_misc.posture_annotations(inv.objects)),
        locations=MappingProxyType(b.locations),
        warnings=b.warnings(),
    )


def _controllers(inv: RawInventory) -> tuple[tuple[str, int], ...]:
    """Controllers given as input, by kind: named when no pod is there to analyse."""
    found = Counter(
        str(o.get("kind"))
        for o in inv.objects
        if isinstance(o, dict) and o.get("kind") in CONTROLLER_KINDS
    )
    return tuple(sorted(found.items()))


def _coverage(b: _Builder, inv: RawInventory) -> Coverage:
    """A DaemonSet running Felix with no Calico API means the etcd datastore: Calico's policies
    exist but cannot be read through the Kubernetes API, so they are unknown, not absent."""
    daemonset = convert_felix.felix_env(o for o, _, _ in b.items("DaemonSet")) is not None
    if not daemonset or inv.provenance.calico_api:
        return inv.coverage
    kinds = []
    for k in inv.coverage.kinds:
        if k.status is ReadStatus.ABSENT and k.api_group in CALICO_GROUPS:
            k = KindCoverage(
                k.kind,
                k.api_group,
                ReadStatus.FAILED,
                reason="calico-node runs but no Calico "
                "API is served: Calico probably uses the etcd datastore, which posture cannot "
                "read; export the resources with calicoctl and use --from",
            )
        kinds.append(k)
    return Coverage(tuple(kinds))


def _calico_present(b: _Builder, inv: RawInventory) -> bool:
    if inv.provenance.calico_api:
        return True
    if any(b.items(k) for k in ("GlobalNetworkPolicy", "FelixConfiguration", "IPPool", "Tier")):
        return True
    # Coverage from a live source says whether the Calico API is served at all.
    return (
        not any(
            k.status is ReadStatus.ABSENT and k.api_group in CALICO_GROUPS
            for k in inv.coverage.kinds
        )
        or not inv.coverage.kinds
    )


def _namespaces(b: _Builder) -> tuple[Namespace, ...]:
    out = {}
    for obj, loc, _ in b.items("Namespace"):
        name = str(_meta(obj)["name"])
        # The API server always sets kubernetes.io/metadata.name (GA in 1.22).
        labels = _labels(obj).merged({"kubernetes.io/metadata.name": name})
        out[name] = Namespace(name, labels)
        b.remember(ObjectRef("Namespace", "", name, "v1"), loc)
    # Namespaces referenced by objects but not listed still exist in a real cluster.
    for key in (
        "Pod",
        "WorkloadEndpoint",
        "NetworkPolicy",
        "CalicoNetworkPolicy",
        "ServiceAccount",
        "NetworkSet",
    ):
        for obj, _, _ in b.items(key):
            ns = str(_meta(obj).get("namespace") or "default")
            if ns not in out:
                out[ns] = Namespace(ns, Labels({"kubernetes.io/metadata.name": ns}))
    return tuple(out[k] for k in sorted(out))


def _service_accounts(b: _Builder) -> tuple[ServiceAccount, ...]:
    out = []
    for obj, _, _ in b.items("ServiceAccount"):
        meta = _meta(obj)
        out.append(
            ServiceAccount(str(meta.get("namespace") or "default"), str(meta["name"]), _labels(obj))
        )
    return tuple(sorted(out, key=lambda s: (s.namespace, s.name)))


def _workloads(
    b: _Builder,
    ns_labels: Mapping[str, Labels],
    sa_labels: Mapping[tuple[str, str], Labels],
    profile_labels: Mapping[str, Labels],
) -> list[Pod]:
    """Pods, then WorkloadEndpoints of workloads no Pod carries (etcd-datastore exports)."""
    found = convert_workload.pods(b.items("Pod"), b.where, ns_labels, sa_labels, b.inv.prepared)
    known = {(p.namespace, p.name) for p, _ in found}
    found += convert_workload.workload_endpoint_pods(
        b.items("WorkloadEndpoint"), b.where, ns_labels, sa_labels, known, profile_labels
    )
    for pod, loc in found:
        b.remember(pod.ref, loc)
    return [p for p, _ in found]


def _nodes(b: _Builder) -> list[Node]:
    out = []
    for obj, loc, _ in b.items("Node"):
        meta = _meta(obj)
        status = obj.get("status") or {}
        ann = meta.get("annotations") or {}
        internal = [
            a["address"] for a in status.get("addresses") or [] if a.get("type") == "InternalIP"
        ]
        external = [
            a["address"] for a in status.get("addresses") or [] if a.get("type") == "ExternalIP"
        ]
        bgp = [
            str(ann[k]).split("/")[0]
            for k in ("projectcalico.org/IPv4Address", "projectcalico.org/IPv6Address")
            if ann.get(k)
        ]
        addresses = list(dict.fromkeys(internal + bgp + external))
        tunnels = [
            str(ann[k])
            for k in (
                "projectcalico.org/IPv4IPIPTunnelAddr",
                "projectcalico.org/IPv4VXLANTunnelAddr",
                "projectcalico.org/IPv6VXLANTunnelAddr",
                "projectcalico.org/IPv4WireguardInterfaceAddr",
                "projectcalico.org/IPv6WireguardInterfaceAddr",
            )
            if ann.get(k)
        ]
        info = status.get("nodeInfo") or {}
        spec = obj.get("spec") or {}
        name = str(meta["name"])
        b.remember(ObjectRef("Node", "", name, "v1"), loc)
        out.append(
            Node(
                name=name,
                labels=_labels(obj),
                addresses=tuple(addresses),
                tunnel_addresses=tuple(dict.fromkeys(tunnels)),
                wireguard=WireguardState(
                    key_v4=bool(ann.get("projectcalico.org/WireguardPublicKey")),
                    key_v6=bool(ann.get("projectcalico.org/WireguardPublicKeyV6")),
                ),
                container_runtime=str(info.get("containerRuntimeVersion") or ""),
                kubelet_version=str(info.get("kubeletVersion") or ""),
                pod_cidrs=tuple(
                    spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else [])
                ),
                external_addresses=tuple(external),
            )
        )
    return out


def _tiers(b: _Builder, policies: list[Policy]) -> tuple[Tier, ...]:
    tiers: dict[str, Tier] = {}
    for obj, loc, _ in b.items("Tier"):
        spec = obj.get("spec") or {}
        name = str(_meta(obj)["name"])
        where = b.where(loc, "Tier", obj)
        default = str(spec.get("defaultAction") or "Deny")
        if default not in ("Deny", "Pass"):
            where.fail("spec.defaultAction", f"must be Deny or Pass, not {default!r}")
        order = spec.get("order")
        tiers[name] = Tier(name, float(order) if order is not None else None, Action(default))
        b.remember(ObjectRef("Tier", "", name), loc)
    # The default tier always exists (order 1,000,000, Deny; §2.3; ≤3.28: implicit).
    tiers.setdefault("default", Tier("default", 1_000_000.0, Action.DENY))
    for p in policies:
        if p.tier not in tiers and p.tier in BUILTIN_TIERS:
            # Built-in tiers are created by Calico when missing (§2.3).
            tiers[p.tier] = BUILTIN_TIERS[p.tier]
        if p.tier not in tiers:
            # Policy in a tier with no Tier object: still enforced, sorts last, denies (§2.3).
            tiers[p.tier] = Tier(p.tier, None, Action.DENY, exists=False)
    return tuple(sorted(tiers.values(), key=Tier.order_key))


_ALLOW_ALL = (Rule(action=Action.ALLOW),)


def _profiles(
    b: _Builder, namespaces: tuple[Namespace, ...], sas: tuple[ServiceAccount, ...]
) -> tuple[Profile, ...]:
    """Synthesised profiles (§1.3) plus any stored ones (etcd-mode clusters, v3 API reads)."""
    out: dict[str, Profile] = {
        "projectcalico-default-allow": Profile(
            "projectcalico-default-allow", _ALLOW_ALL, _ALLOW_ALL
        )
    }
    for ns in namespaces:
        labels = {f"pcns.{k}": v for k, v in ns.labels.items()}
        labels["pcns.projectcalico.org/name"] = ns.name
        out[f"kns.{ns.name}"] = Profile(f"kns.{ns.name}", _ALLOW_ALL, _ALLOW_ALL, Labels(labels))
    for sa in sas:
        labels = {f"pcsa.{k}": v for k, v in sa.labels.items()}
        labels["pcsa.projectcalico.org/name"] = sa.name
        name = f"ksa.{sa.namespace}.{sa.name}"
        out[name] = Profile(name, labels_to_apply=Labels(labels))
    for obj, loc, _ in b.items("Profile"):
        name = str(_meta(obj)["name"])
        if name in out or name.startswith(("kns.", "ksa.")):
            continue
        where = b.where(loc, "Profile", obj)
        spec = obj.get("spec") or {}
        out[name] = Profile(
            name,
            rules(where, "spec.ingress", spec.get("ingress"), ""),
            rules(where, "spec.egress", spec.get("egress"), ""),
            Labels(spec.get("labelsToApply") or {}),
        )
    return tuple(out[k] for k in sorted(out))


def _network_sets(b: _Builder, ns_labels: Mapping[str, Labels]) -> tuple[NetworkSet, ...]:
    out = []
    for key, kind in (("GlobalNetworkSet", "GlobalNetworkSet"), ("NetworkSet", "NetworkSet")):
        for obj, loc, v1 in b.items(key):
            meta = _meta(obj)
            where = b.where(loc, kind, obj)
            ns = str(meta.get("namespace") or ("default" if kind == "NetworkSet" else ""))
            nets_raw = (obj.get("spec") or {}).get("nets") or []
            try:
                nets = IPSet.from_cidrs(str(x) for x in nets_raw)
            except ValueError as e:
                where.fail("spec.nets", str(e))
            labels = _labels(obj, v1=v1)
            if ns:
                inherited = {f"pcns.{k}": v for k, v in ns_labels.get(ns, Labels()).items()}
                inherited["pcns.projectcalico.org/name"] = ns
                labels = Labels({**inherited, **labels, "projectcalico.org/namespace": ns})
            ref = ObjectRef(kind, ns, str(meta["name"]))
            b.remember(ref, loc)
            out.append(NetworkSet(ref, ns, nets, labels))
    return tuple(sorted(out, key=lambda s: (s.namespace, s.ref.name)))


def _felix_inputs(b: _Builder) -> convert_felix.FelixInputs:
    configs: dict[str, Mapping[str, Any]] = {}
    for obj, _, _ in b.items("FelixConfiguration"):
        configs[str(_meta(obj)["name"])] = obj.get("spec") or {}
    env = convert_felix.felix_env(o for o, _, _ in b.items("DaemonSet"))
    if env is None and b.inv.provenance.felix_env:
        env = dict(b.inv.provenance.felix_env)
    return convert_felix.FelixInputs(
        configs=configs,
        env=env,
        operator_installed=bool(b.items("Installation")) and env is None,
        installation_dataplane=_installation_dataplane(b),
        endpoint_to_host_override=b.options.endpoint_to_host,
    )


def _installation_dataplane(b: _Builder) -> str:
    for obj, _, _ in b.items("Installation"):
        if _meta(obj).get("name") != "default":
            continue
        for part in ("status", "spec"):
            section = obj.get(part) or {}
            if part == "status":
                section = section.get("computed") or {}
            dataplane = (section.get("calicoNetwork") or {}).get("linuxDataplane")
            if dataplane:
                return str(dataplane)
    return ""


def _host_endpoints(b: _Builder, nodes: tuple[Node, ...], auto: bool) -> tuple[HostEndpoint, ...]:
    out: dict[str, HostEndpoint] = {}
    for obj, loc, v1 in b.items("HostEndpoint"):
        meta = _meta(obj)
        spec = obj.get("spec") or {}
        where = b.where(loc, "HostEndpoint", obj)
        convert_validate.host_endpoint(spec, where)
        if not spec.get("node"):
            where.fail("spec.node", "required")
        iface = str(spec.get("interfaceName") or "")
        expected = tuple(str(x) for x in spec.get("expectedIPs") or [])
        if not iface and not expected:
            where.fail("spec", "needs interfaceName or expectedIPs")
        name = str(meta["name"])
        ports = []
        for i, p in enumerate(spec.get("ports") or []):
            try:
                ports.append(
                    ContainerPort(
                        parse_protocol(p.get("protocol") or "TCP"),
                        int(p["port"]),
                        str(p.get("name") or ""),
                    )
                )
            except (ValueError, KeyError, TypeError):
                where.fail(f"spec.ports[{i}]", "needs name, port and a valid protocol")
        b.remember(ObjectRef("HostEndpoint", "", name), loc)
        out[name] = HostEndpoint(
            name=name,
            node=str(spec["node"]),
            interface=iface,
            expected_ips=expected,
            labels=_labels(obj, v1=v1),
            profiles=tuple(str(p) for p in spec.get("profiles") or []),
            ports=tuple(ports),
        )
    if auto:
        # kube-controllers creates <node>-auto-hep for every node (§5.3).
        for n in nodes:
            name = f"{n.name}-auto-hep"
            if name in out:
                continue
            out[name] = HostEndpoint(
                name=name,
                node=n.name,
                interface="*",
                expected_ips=n.all_addresses,
                labels=n.labels.merged({"projectcalico.org/created-by": "calico-kube-controllers"}),
                profiles=("projectcalico-default-allow",),
                automatic=True,
            )
    return tuple(out[k] for k in sorted(out))


def manifest_coverage(inv: RawInventory) -> Coverage:
    """Offline sources: every kind counts as read (the files are the whole truth)."""
    counts: dict[tuple[str, str], int] = {}
    for obj in inv.objects:
        key = (str(obj.get("kind")), _group(str(obj.get("apiVersion") or "")))
        counts[key] = counts.get(key, 0) + 1
    return Coverage(
        tuple(
            KindCoverage(kind, group, ReadStatus.READ, count)
            for (kind, group), count in sorted(counts.items())
        )
    )
