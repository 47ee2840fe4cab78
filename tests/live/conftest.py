"""The servers tests/live reads: started on first use and shared by the session, one per Calico
flavour (a CRD group can only be served in one form per server) and one without Calico.

The machinery (binaries, PKI, etcd + kube-apiserver, the small client) lives in
:mod:`tests.support.live`; its names stay importable from here for scripts that start a server.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.live import (
    CRDS,
    REPO,
    Kube,
    LiveCluster,
    dump,
    find_binaries,
    start_cluster,
    write_kubeconfig,
)

__all__ = [
    "CRDS",
    "REPO",
    "Kube",
    "LiveCluster",
    "dump",
    "find_binaries",
    "start_cluster",
    "write_kubeconfig",
]


@pytest.fixture(scope="session")
def bare_cluster(start_live_cluster: Callable[[str], LiveCluster]) -> LiveCluster:
    """An API server without any Calico API."""
    return start_live_cluster("bare")


@pytest.fixture(scope="session")
def calico_v1_cluster(start_live_cluster: Callable[[str], LiveCluster]) -> LiveCluster:
    """An API server with Calico's crd.projectcalico.org/v1 CRDs and the Installation CRD."""
    cluster = start_live_cluster("calico-v1")
    cluster.kube.install_crds(CRDS / "crd.projectcalico.org")
    cluster.kube.install_crds(CRDS / "operator.tigera.io")
    return cluster


@pytest.fixture(scope="session")
def calico_v3_cluster(start_live_cluster: Callable[[str], LiveCluster]) -> LiveCluster:
    """An API server with Calico's native projectcalico.org/v3 CRDs."""
    cluster = start_live_cluster("calico-v3")
    cluster.kube.install_crds(CRDS / "projectcalico.org")
    return cluster
