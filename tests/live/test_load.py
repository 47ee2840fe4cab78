"""ClusterSource.load(): the live inventory goes through the shared converter."""

from __future__ import annotations

import pytest

from posture.sources.cluster import ClusterSource
from posture.sources.discovery import CALICO_V1

from .conftest import LiveCluster
from .test_cluster_source import PAY_PODS, SHOP_PODS, populate

pytestmark = pytest.mark.live


def test_load_builds_a_snapshot(calico_v1_cluster: LiveCluster) -> None:
    populate(calico_v1_cluster, CALICO_V1)
    snapshot = ClusterSource(
        kubeconfig=str(calico_v1_cluster.admin_kubeconfig), context=None
    ).load()
    assert len([p for p in snapshot.pods if p.namespace in ("shop", "pay")]) == SHOP_PODS + PAY_PODS
    assert {p.name for p in snapshot.ip_pools} == {"default-ipv4-ippool"}
    assert snapshot.calico_present
    assert snapshot.source == calico_v1_cluster.server
    assert snapshot.coverage.complete
