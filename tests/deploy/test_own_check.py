"""The deployment passes its own check: posture's pod is no finding of posture's report.

The cluster is the smallest that shows it: one node, kube-dns, one application pod, no policy
of its own; plus deploy/ as kustomize renders it and the pod the CronJob's Job would start
(its template, on the node, with an address). Without deploy/networkpolicy.yaml the same
cluster names posture's pod in default-deny and lateral-movement findings, so the test can fail.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import run

from .conftest import find

CLUSTER: list[dict[str, Any]] = [
    {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-1", "labels": {"node-role.kubernetes.io/control-plane": ""}},
        "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.10"}]},
    },
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}},
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "app", "labels": {"app": "web"}},
        "spec": {
            "nodeName": "node-1",
            "containers": [{"name": "web", "image": "web:1", "ports": [{"containerPort": 8080}]}],
        },
        "status": {"phase": "Running", "podIP": "10.244.1.10"},
    },
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "coredns-1",
            "namespace": "kube-system",
            "labels": {"k8s-app": "kube-dns"},
        },
        "spec": {
            "nodeName": "node-1",
            "containers": [
                {
                    "name": "coredns",
                    "image": "coredns:1",
                    "ports": [{"containerPort": 53, "protocol": "UDP"}],
                }
            ],
        },
        "status": {"phase": "Running", "podIP": "10.244.1.2"},
    },
]


def job_pod(rendered: list[dict[str, Any]]) -> dict[str, Any]:
    """The pod a Job of the CronJob runs: its template, scheduled on node-1 with an address."""
    template = find(rendered, "CronJob", "posture")["spec"]["jobTemplate"]["spec"]["template"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            **copy.deepcopy(template["metadata"]),
            "name": "posture-29000000-abcde",
            "namespace": "posture",
        },
        "spec": {**copy.deepcopy(template["spec"]), "nodeName": "node-1"},
        "status": {"phase": "Running", "podIP": "10.244.1.77"},
    }


def about_posture(finding: dict[str, Any]) -> bool:
    """A finding names posture's pod or namespace (as a subject or among its namespaces)."""
    if any(s.get("namespace") == "posture" for s in finding["subjects"]):
        return True
    text = json.dumps([finding["message"], finding.get("path", {})])
    return "namespaces posture" in text or ", posture" in text or "posture/" in text


def check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, objects: list[dict[str, Any]]
) -> dict[str, Any]:
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    rc, out, err = run(capsys, "check", "--from", str(path), "-o", "json")
    assert rc == 1, err  # the rest of this cluster has findings of its own
    report: dict[str, Any] = json.loads(out)
    assert report["summary"]["stats"]["pods"] == 3
    return report


def test_deploy_manifests_yield_no_finding_about_posture(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rendered: list[dict[str, Any]]
) -> None:
    report = check(capsys, tmp_path, [*CLUSTER, *rendered, job_pod(rendered)])
    assert [f["id"] for f in report["findings"] if about_posture(f)] == []
    # The other pods are flagged by the same checks, so they did run on this cluster.
    assert {"PST-DENY-001", "PST-LAT-001"} <= {f["checkId"] for f in report["findings"]}
    # The one accepted risk is reading the API server, with its reason, on this pod only.
    accepted = [f for f in report["suppressed"] if about_posture(f)]
    assert [f["checkId"] for f in accepted] == ["PST-NODE-001"]
    assert "API server" in accepted[0]["message"]


def test_without_its_network_policy_posture_flags_its_own_pod(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rendered: list[dict[str, Any]]
) -> None:
    without = [o for o in rendered if o["kind"] != "NetworkPolicy"]
    report = check(capsys, tmp_path, [*CLUSTER, *without, job_pod(without)])
    flagged = {f["checkId"] for f in report["findings"] if about_posture(f)}
    assert {"PST-DENY-001"} <= flagged


def test_network_policy_allows_only_dns_and_the_api_server(
    rendered: list[dict[str, Any]],
) -> None:
    policy = find(rendered, "NetworkPolicy", "posture")
    spec = policy["spec"]
    assert policy["metadata"]["namespace"] == "posture"
    assert spec["podSelector"] == {}
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["ingress"] == []
    ports = [sorted((p["protocol"], p["port"]) for p in rule["ports"]) for rule in spec["egress"]]
    assert ports == [[("TCP", 53), ("UDP", 53)], [("TCP", 443), ("TCP", 6443)]]
