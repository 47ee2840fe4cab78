"""Which kinds posture reads from a live cluster, and which of them the server serves.

Kept apart from :mod:`posture.sources.cluster` so that the decisions (which Calico API to use,
which kinds are absent and why) are plain functions over discovery documents, with no I/O and
no dependency on the ``kubernetes`` package.

Calico is served in one of two shapes: ``projectcalico.org/v3`` (Calico's aggregated API server,
or the native v3 CRDs of Calico >= 3.32) or the older backing CRDs ``crd.projectcalico.org/v1``.
The v3 API is preferred when present because it is the user-facing one (defaulted fields,
``Profile`` objects); the v1 CRDs are read otherwise. A kind whose resource is not served in the
chosen group cannot exist there, which is complete knowledge (ABSENT), not a gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CALICO_V3 = "projectcalico.org/v3"
CALICO_V1 = "crd.projectcalico.org/v1"
CALICO_NOT_INSTALLED = (
    f"Calico not installed: neither {CALICO_V3} nor {CALICO_V1} is served by this cluster"
)


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One resource kind posture lists cluster-wide.

    ``optional`` kinds are expected to be missing on many clusters (the Tigera operator's
    Installation), so their absence is not worth a warning. ``field_selector`` narrows the list
    server-side.
    """

    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    namespaced: bool
    optional: bool = False
    field_selector: str = ""

    @property
    def api_version(self) -> str:
        """The ``apiVersion`` objects of this kind carry."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def label(self) -> str:
        """kubectl's ``resource.group`` name: unambiguous (two kinds are called NetworkPolicy)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def collection_path(self) -> str:
        """URL path listing every object of this kind in all namespaces."""
        return f"{group_version_path(self.api_version)}/{self.plural}"

    def object_path(self, namespace: str, name: str) -> str:
        """URL path of one object: used as the object's source location."""
        base = group_version_path(self.api_version)
        if self.namespaced and namespace:
            return f"{base}/namespaces/{namespace}/{self.plural}/{name}"
        return f"{base}/{self.plural}/{name}"


def group_version_path(api_version: str) -> str:
    """``v1`` -> ``/api/v1``; ``apps/v1`` -> ``/apis/apps/v1``."""
    return f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"


KUBERNETES_KINDS: tuple[KindSpec, ...] = (
    KindSpec("Namespace", "", "v1", "namespaces", namespaced=False),
    KindSpec("Node", "", "v1", "nodes", namespaced=False),
    KindSpec("Pod", "", "v1", "pods", namespaced=True),
    KindSpec("Service", "", "v1", "services", namespaced=True),
    KindSpec("ServiceAccount", "", "v1", "serviceaccounts", namespaced=True),
    # Members of services rules and DNAT backends (§4.6): EndpointSlices (served as v1 since
    # Kubernetes 1.21), and Endpoints for services without a slice.
    KindSpec("Endpoints", "", "v1", "endpoints", namespaced=True),
    KindSpec(
        "EndpointSlice",
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        namespaced=True,
        optional=True,
    ),
    KindSpec("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies", namespaced=True),
    # Felix reads FELIX_* environment variables, which override FelixConfiguration. Every
    # DaemonSet is listed (a few per cluster): Felix runs in calico-node, in Canal's ``canal``
    # and under custom names; convert_felix.felix_env finds the one running it.
    KindSpec("DaemonSet", "apps", "v1", "daemonsets", namespaced=True),
    KindSpec(
        "Installation",
        "operator.tigera.io",
        "v1",
        "installations",
        namespaced=False,
        optional=True,
    ),
    # Enforced by Calico 3.29–3.31 (ANP/BANP) and 3.32+ (ClusterNetworkPolicy), §2.10.
    KindSpec(
        "AdminNetworkPolicy",
        "policy.networking.k8s.io",
        "v1alpha1",
        "adminnetworkpolicies",
        namespaced=False,
        optional=True,
    ),
    KindSpec(
        "BaselineAdminNetworkPolicy",
        "policy.networking.k8s.io",
        "v1alpha1",
        "baselineadminnetworkpolicies",
        namespaced=False,
        optional=True,
    ),
    KindSpec(
        "ClusterNetworkPolicy",
        "policy.networking.k8s.io",
        "v1alpha2",
        "clusternetworkpolicies",
        namespaced=False,
        optional=True,
    ),
)

# (kind, plural, namespaced) of every Calico kind posture reads, in either Calico API.
CALICO_KINDS: tuple[tuple[str, str, bool], ...] = (
    ("Tier", "tiers", False),
    ("GlobalNetworkPolicy", "globalnetworkpolicies", False),
    ("NetworkPolicy", "networkpolicies", True),
    ("StagedGlobalNetworkPolicy", "stagedglobalnetworkpolicies", False),
    ("StagedNetworkPolicy", "stagednetworkpolicies", True),
    ("StagedKubernetesNetworkPolicy", "stagedkubernetesnetworkpolicies", True),
    ("GlobalNetworkSet", "globalnetworksets", False),
    ("NetworkSet", "networksets", True),
    ("HostEndpoint", "hostendpoints", False),
    ("FelixConfiguration", "felixconfigurations", False),
    ("IPPool", "ippools", False),
    ("KubeControllersConfiguration", "kubecontrollersconfigurations", False),
    ("Profile", "profiles", False),  # served only by the v3 API
)


def calico_specs(calico_api: str) -> tuple[KindSpec, ...]:
    """The Calico kinds in the chosen API (``CALICO_V3`` or ``CALICO_V1``); in the v3 group
    when Calico is not installed, so that coverage still names every kind."""
    group, version = (calico_api or CALICO_V3).split("/")
    return tuple(KindSpec(k, group, version, p, namespaced=n) for k, p, n in CALICO_KINDS)


@dataclass(frozen=True, slots=True)
class ServedResource:
    """One entry of an ``APIResourceList``: what the server says about a resource."""

    kind: str
    namespaced: bool


def parse_group_list(body: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """``/apis`` (an ``APIGroupList``) -> group name -> served versions."""
    groups: dict[str, tuple[str, ...]] = {}
    for group in body.get("groups") or ():
        versions = tuple(str(v.get("version", "")) for v in group.get("versions") or ())
        groups[str(group.get("name", ""))] = versions
    return groups


def parse_resource_list(body: Mapping[str, Any]) -> dict[str, ServedResource]:
    """An ``APIResourceList`` -> plural -> served resource, without subresources
    (``pods/status``): only top-level collections can be listed."""
    served: dict[str, ServedResource] = {}
    for res in body.get("resources") or ():
        name = str(res.get("name", ""))
        if name and "/" not in name:
            served[name] = ServedResource(str(res.get("kind", "")), bool(res.get("namespaced")))
    return served


def choose_calico_api(groups: Mapping[str, tuple[str, ...]]) -> str:
    """``CALICO_V3`` if served, else ``CALICO_V1`` if served, else "" (Calico not installed)."""
    for api in (CALICO_V3, CALICO_V1):
        group, version = api.split("/")
        if version in groups.get(group, ()):
            return api
    return ""


def absent_reason(spec: KindSpec, calico_api: str, groups: Mapping[str, tuple[str, ...]]) -> str:
    """Why ``spec`` is not served here: one line for the coverage record."""
    if spec.group in ("projectcalico.org", "crd.projectcalico.org"):
        if not calico_api:
            return CALICO_NOT_INSTALLED
        if spec.kind == "Profile" and calico_api == CALICO_V1:
            return f"Profile is served only by {CALICO_V3} (Calico API server); {CALICO_V1} in use"
        return f"{spec.plural} is not served in {calico_api} (its CRD is not installed)"
    if spec.group == "operator.tigera.io" and spec.version not in groups.get(spec.group, ()):
        return f"{spec.api_version} is not served (Calico not installed by the Tigera operator)"
    return f"{spec.plural} is not served in {spec.api_version}"
