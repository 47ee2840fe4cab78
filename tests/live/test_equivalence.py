"""The same objects give the same snapshot and the same report, whether read from the live
API server or from manifest files — for both Calico API groups."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from posture.model.coverage import Coverage
from posture.model.snapshot import Snapshot
from posture.pipeline import CheckOptions, check
from posture.report.json_render import report_dict
from posture.sources import offline_source
from posture.sources.cluster import ClusterSource
from posture.sources.convert import build_snapshot
from posture.sources.discovery import CALICO_V1, CALICO_V3

from .conftest import LiveCluster
from .test_cluster_source import populate

pytestmark = pytest.mark.live

NOW = CheckOptions(now=lambda: datetime(2026, 11, 27, tzinfo=UTC))


def as_manifests(created: list[dict[str, Any]], path: Path) -> Path:
    """The objects as an operator would keep them in files: what was applied, plus the pod
    status the server holds (patched through the status subresource by ``populate``)."""
    objs = copy.deepcopy(created)
    for i, pod in enumerate(o for o in objs if o["kind"] == "Pod"):
        pod["status"] = {
            "podIP": f"10.244.0.{i + 1}",
            "podIPs": [{"ip": f"10.244.0.{i + 1}"}],
            "hostIP": "10.0.0.10",
            "phase": "Running",
        }
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": objs}))
    return path


@pytest.fixture(params=[CALICO_V1, CALICO_V3])
def flavour(request: pytest.FixtureRequest) -> tuple[LiveCluster, str, list[dict[str, Any]]]:
    """A server of each Calico flavour holding the test objects."""
    api: str = request.param
    name = "calico_v1_cluster" if api == CALICO_V1 else "calico_v3_cluster"
    cluster: LiveCluster = request.getfixturevalue(name)
    return cluster, api, populate(cluster, api)


def identity(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj["metadata"]
    return (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])


def where_from_is_blank(s: Snapshot) -> Snapshot:
    """Provenance and coverage differ by nature (a file vs a server); the model must not."""
    services = tuple(dataclasses.replace(svc, cluster_ips=()) for svc in s.services)
    return dataclasses.replace(
        s,
        coverage=Coverage(),
        source="",
        cluster="",
        context="",
        generated_at="",
        services=services,
    )


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    return {k: report[k] for k in ("findings", "checklist", "reach")}


def test_live_and_manifests_agree(
    flavour: tuple[LiveCluster, str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    cluster, calico_api, created = flavour
    inv = ClusterSource(kubeconfig=str(cluster.admin_kubeconfig), context=None).read_inventory()
    # The server also holds its own objects (system namespaces, the kubernetes Service):
    # compare the same objects, as they come back from the server.
    mine = {identity(o) for o in created}
    kept = [
        (o, loc) for o, loc in zip(inv.objects, inv.locations, strict=True) if identity(o) in mine
    ]
    assert len(kept) == len(mine)  # every DaemonSet too: Felix runs under other names
    inv.objects = [o for o, _ in kept]
    inv.locations = [loc for _, loc in kept]
    live = build_snapshot(inv)
    offline = offline_source([as_manifests(created, tmp_path / "cluster.yaml")]).load()
    assert live.policies, "the comparison must cover policies"
    assert where_from_is_blank(live) == where_from_is_blank(offline)

    a = report_dict(check(where_from_is_blank(live), NOW))
    b = report_dict(check(where_from_is_blank(offline), NOW))
    assert json.dumps(comparable(a), sort_keys=True) == json.dumps(comparable(b), sort_keys=True)
    assert a["findings"], f"{calico_api}: the report should have findings to compare"
