"""`check --publish-policyreport`: the report lands in the cluster as the ClusterPolicyReport
`posture`, created on the first run and replaced on the next, validated by the real CRD
(wgpolicyk8s.io/v1alpha2, vendored under tests/data/crds/reports)."""

from __future__ import annotations

import json

import pytest

from posture.cli import main

from .conftest import CRDS, LiveCluster

pytestmark = pytest.mark.live

PATH = "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports"


def test_report_is_created_then_replaced(
    bare_cluster: LiveCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    bare_cluster.kube.install_crds(CRDS / "reports")
    argv = [
        "check",
        "--kubeconfig",
        str(bare_cluster.admin_kubeconfig),
        "-o",
        "json",
        "--exit-zero",
        "--allow-incomplete",  # the bare server runs no pod: an incomplete input (exit 3)
        "--publish-policyreport",
    ]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "created ClusterPolicyReport posture" in err
    findings = json.loads(out)["findings"]
    stored = bare_cluster.kube.request("GET", f"{PATH}/posture")
    assert stored["kind"] == "ClusterPolicyReport"
    fails = [r for r in stored["results"] if r["result"] == "fail"]
    assert len(fails) == len(findings)
    # Someone edits the stored report; the next run replaces it with posture's own.
    stored["summary"]["fail"] = 12345
    bare_cluster.kube.request("PUT", f"{PATH}/posture", stored)

    assert main(argv) == 0
    _, err = capsys.readouterr()
    assert "replaced ClusterPolicyReport posture" in err
    again = bare_cluster.kube.request("GET", f"{PATH}/posture")
    assert again["summary"]["fail"] == len(findings)


def test_not_with_offline_input(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    rc = main(["check", "--from", "examples/cluster", "--publish-policyreport"])
    _, err = capsys.readouterr()
    assert rc == 2
    assert "--publish-policyreport writes to the cluster read: not with --from" in err
