"""No Calico, expired continue tokens (real etcd compaction), throttling, failures, deadline."""

from __future__ import annotations

import base64
import time
import types
from collections.abc import Sequence
from typing import Any

import pytest
import requests
from kubernetes.client import ApiException

from posture.errors import SourceError
from posture.model.coverage import ReadStatus
from posture.sources import cluster as cluster_mod
from posture.sources.cluster import ClusterSource
from posture.sources.discovery import CALICO_KINDS

from .conftest import LiveCluster

pytestmark = pytest.mark.live


def _source(cluster: LiveCluster, **kw: Any) -> ClusterSource:
    return ClusterSource(kubeconfig=str(cluster.admin_kubeconfig), context=None, **kw)


def test_calico_not_installed(bare_cluster: LiveCluster) -> None:
    inv = _source(bare_cluster).read_inventory()
    assert inv.provenance.calico_api == ""
    calico = [k for k in inv.coverage.kinds if k.api_group == "projectcalico.org"]
    assert sorted(k.kind for k in calico) == sorted(k for k, _, _ in CALICO_KINDS)
    for cov in calico:
        assert cov.status is ReadStatus.ABSENT
        assert cov.reason.startswith("Calico not installed")
    assert inv.coverage.complete  # absent is complete knowledge


@pytest.fixture(scope="module")
def twelve_pods(bare_cluster: LiveCluster) -> LiveCluster:
    kube = bare_cluster.kube
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "expiry"}})
    for i in range(12):
        kube.create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"p{i}", "namespace": "expiry"},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            }
        )
    return bare_cluster


def _compact_etcd(cluster: LiveCluster) -> None:
    """Advance etcd's revision and compact everything before it, as the API server does
    every few minutes: continue tokens issued earlier then get 410 Gone."""
    cluster.kube.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"bump-{id(cluster)}", "namespace": "expiry"},
        }
    )
    http = requests.Session()
    http.trust_env = False
    key = base64.b64encode(b"/").decode()
    rev = http.post(f"{cluster.etcd_url}/v3/kv/range", json={"key": key}, timeout=10).json()
    resp = http.post(
        f"{cluster.etcd_url}/v3/kv/compaction",
        json={"revision": rev["header"]["revision"], "physical": True},
        timeout=10,
    )
    assert resp.ok, resp.text


def test_expired_continue_token_restarts_the_list(
    twelve_pods: LiveCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = cluster_mod._Api.get_raw
    compacted: list[bool] = []

    def get_raw(
        self: Any, path: str, query: Sequence[tuple[str, str]] = (), *, doing: str
    ) -> bytes:
        data: bytes = original(self, path, query, doing=doing)
        if path == "/api/v1/pods" and not compacted:
            compacted.append(True)
            _compact_etcd(twelve_pods)
        return data

    monkeypatch.setattr(cluster_mod._Api, "get_raw", get_raw)
    lines: list[str] = []
    inv = _source(twelve_pods, chunk_size=5, progress=lines.append).read_inventory()
    assert "pods: list expired after 1 pages; restarting" in lines
    pods = [o for o in inv.objects if o["kind"] == "Pod"]
    assert len(pods) == len({o["metadata"]["name"] for o in pods}) == 12
    assert "pods: 12 in 3 pages" in lines


def _failing_send(status: int, path: str, times: int, headers: dict[str, str]) -> Any:
    """Wrap ``_Api._exchange`` so that ``times`` requests for ``path`` fail with ``status``."""
    original = cluster_mod._Api._exchange
    left = [times]

    def send(self: Any, method: str, p: str, query: Any, body: Any, timeout: float) -> Any:
        if p == path and left[0] > 0:
            left[0] -= 1
            exc = ApiException(status=status, reason="injected")
            exc.body = '{"kind":"Status","message":"injected failure"}'
            exc.headers = headers
            raise exc
        return original(self, method, p, query, body, timeout)

    return send


def test_throttled_request_is_retried_after_retry_after(
    bare_cluster: LiveCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    fake_time = types.SimpleNamespace(monotonic=time.monotonic, sleep=sleeps.append)
    monkeypatch.setattr(cluster_mod, "time", fake_time)
    send = _failing_send(429, "/api/v1/nodes", 2, {"Retry-After": "3"})
    monkeypatch.setattr(cluster_mod._Api, "_exchange", send)
    inv = _source(bare_cluster).read_inventory()
    assert sleeps == [3.0, 3.0]
    assert inv.coverage.complete


def test_server_errors_after_retries_fail_only_that_kind(
    bare_cluster: LiveCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    fake_time = types.SimpleNamespace(monotonic=time.monotonic, sleep=sleeps.append)
    monkeypatch.setattr(cluster_mod, "time", fake_time)
    monkeypatch.setattr(
        cluster_mod._Api, "_exchange", _failing_send(503, "/api/v1/services", 99, {})
    )
    inv = _source(bare_cluster).read_inventory()
    failed = [k for k in inv.coverage.kinds if k.status is ReadStatus.FAILED]
    assert [k.kind for k in failed] == ["Service"]
    assert failed[0].reason.startswith("HTTP 503 while listing services (page 1): injected")
    assert len(sleeps) == cluster_mod.MAX_ATTEMPTS - 1
    assert sleeps == sorted(sleeps)  # exponential back-off
    assert [k.kind for k in inv.coverage.unknown] == ["Service"]


def test_overall_deadline_names_the_kind(
    bare_cluster: LiveCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = ClusterSource._discover

    def discover_then_expire(self: ClusterSource, api: Any) -> Any:
        result = original(self, api)
        api.deadline = time.monotonic()  # the time budget is spent
        return result

    monkeypatch.setattr(ClusterSource, "_discover", discover_then_expire)
    with pytest.raises(SourceError) as info:
        _source(bare_cluster, timeout=42).read_inventory()
    message = str(info.value)
    assert message.startswith("gave up after the overall timeout of 42s while listing namespaces")
    assert "\n" not in message


def test_calico_discovery_failure_fails_calico_kinds(
    calico_v1_cluster: LiveCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unavailable Calico API (e.g. its aggregated API server down: 503 on discovery) makes
    the Calico kinds unknown, not absent."""
    fake_time = types.SimpleNamespace(monotonic=time.monotonic, sleep=lambda _s: None)
    monkeypatch.setattr(cluster_mod, "time", fake_time)
    send = _failing_send(503, "/apis/crd.projectcalico.org/v1", 99, {})
    monkeypatch.setattr(cluster_mod._Api, "_exchange", send)
    inv = _source(calico_v1_cluster).read_inventory()
    calico = [k for k in inv.coverage.kinds if k.api_group == "crd.projectcalico.org"]
    assert {k.status for k in calico} == {ReadStatus.FAILED}
    assert calico[0].reason.startswith("discovery of crd.projectcalico.org/v1 failed: HTTP 503")
    assert {k.status for k in inv.coverage.kinds if k not in calico} <= {
        ReadStatus.READ,
        ReadStatus.ABSENT,
    }


def test_in_cluster_service_account(
    bare_cluster: LiveCluster, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Auto-detected in-cluster mode: no kubeconfig anywhere, a service-account token mounted."""
    from kubernetes.config import incluster_config

    token = tmp_path / "token"
    token.write_text(bare_cluster.tokens["admin"])
    monkeypatch.setattr(cluster_mod, "SERVICE_ACCOUNT_TOKEN", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(bare_cluster.ca_file))
    host, port = bare_cluster.server.removeprefix("https://").split(":")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    inv = ClusterSource(kubeconfig=None, context=None).read_inventory()
    assert inv.provenance.cluster == "in-cluster"
    assert inv.provenance.source == bare_cluster.server
    assert inv.coverage.complete
