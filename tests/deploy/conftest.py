"""Fixtures for the deploy/ tests: the live API server of tests/live, the rendered manifests.

The server factory is the suite's (``tests/conftest.py``, from :mod:`tests.support.live`; it
skips without binaries and fails under ``POSTURE_LIVE_REQUIRED=1``). This directory starts its
own servers rather than sharing tests/live's: what it creates (a Namespace, cluster-wide RBAC)
must not change what those tests read, and vice versa.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.live import CRDS, LiveCluster

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def _kubectl_minor(kubectl: str) -> int:
    out = subprocess.run(
        [kubectl, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=60
    )
    minor = json.loads(out.stdout)["clientVersion"]["minor"]
    return int("".join(ch for ch in minor if ch.isdigit()))


def kustomize(path: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize path``: what ``kubectl apply -k`` would send, with kustomize itself.

    deploy/ uses kustomize components, which kubectl's built-in kustomize reads from kubectl
    1.21 on (kustomize v4); an older kubectl cannot render deploy/ at all, so the test cannot
    say anything with it."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with its built-in kustomize) is not installed")
    if _kubectl_minor(kubectl) < 21:
        pytest.skip("kubectl older than 1.21: its kustomize has no components")
    out = subprocess.run(
        [kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def find(objs: list[dict[str, Any]], kind: str, name: str = "") -> dict[str, Any]:
    matches = [o for o in objs if o["kind"] == kind and (not name or o["metadata"]["name"] == name)]
    assert len(matches) == 1, [f"{o['kind']}/{o['metadata']['name']}" for o in objs]
    return matches[0]


@pytest.fixture(scope="session")
def rendered() -> list[dict[str, Any]]:
    """deploy/ as kustomize renders it (no optional components)."""
    return kustomize(DEPLOY)


def add_workload(cluster: LiveCluster) -> None:
    """One node and one running pod on it: without them a check has nothing to judge and
    exits 3 (input incomplete), as it should on an empty cluster."""
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}}
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "app", "labels": {"app": "web"}},
        "spec": {"nodeName": "node-1", "containers": [{"name": "web", "image": "nginx"}]},
    }
    cluster.kube.create_all([node, namespace, pod])
    cluster.kube.patch_status(node, {"addresses": [{"type": "InternalIP", "address": "10.0.0.10"}]})
    cluster.kube.patch_status(
        pod,
        {"podIP": "10.244.0.2", "podIPs": [{"ip": "10.244.0.2"}], "phase": "Running"},
    )


@pytest.fixture(scope="session")
def deploy_v1_cluster(start_live_cluster: Callable[[str], LiveCluster]) -> LiveCluster:
    """A server with Calico's crd.projectcalico.org/v1 CRDs and the operator's Installation."""
    cluster = start_live_cluster("deploy-v1")
    cluster.kube.install_crds(CRDS / "crd.projectcalico.org")
    cluster.kube.install_crds(CRDS / "operator.tigera.io")
    add_workload(cluster)
    return cluster


@pytest.fixture(scope="session")
def deploy_v3_cluster(start_live_cluster: Callable[[str], LiveCluster]) -> LiveCluster:
    """A server with Calico's native projectcalico.org/v3 CRDs."""
    cluster = start_live_cluster("deploy-v3")
    cluster.kube.install_crds(CRDS / "projectcalico.org")
    add_workload(cluster)
    return cluster
