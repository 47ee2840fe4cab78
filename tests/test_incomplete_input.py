"""Nothing read is nothing passed: input without the pods or nodes the measures judge exits 3
and names what is missing; --allow-incomplete gives the report with those measures not
evaluated (never PASS)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from posture.cli import main
from posture.model.endpoints import Pod
from posture.model.inputs import dropped_reason, input_gaps
from posture.model.meta import Labels, ObjectRef

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "docs" / "schema" / "posture-report-v1alpha3.json"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
"""
POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""
UNSCHEDULED_PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: shop}
spec: {nodeName: n1, containers: [{name: c, image: nginx}]}
"""


def _inputs(tmp_path: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """Each case: the path given to --from and what the message must name."""
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    empty_file = tmp_path / "empty.yaml"
    empty_file.write_text("")
    deployments = tmp_path / "deployments"
    deployments.mkdir()
    (deployments / "web.yaml").write_text(DEPLOYMENT)
    (deployments / "policy.yaml").write_text(POLICY)
    pods = tmp_path / "pods.yaml"
    pods.write_text(UNSCHEDULED_PODS)
    return {
        "empty directory": (empty_dir, ("no Pod was read", "no Node was read")),
        "empty file": (empty_file, ("no Pod was read", "no Node was read")),
        "deployments only": (
            deployments,
            ("no Pod was read", "no Node was read", "1 Deployment", "kubectl get pods,nodes"),
        ),
        "pods without nodes": (
            pods,
            (
                "no pod is a workload endpoint",
                "2 pods read",
                "1 not scheduled (no spec.nodeName)",
                "1 no IP (status.podIP)",
                "no Node was read",
            ),
        ),
    }


CASES = ["empty directory", "empty file", "deployments only", "pods without nodes"]


@pytest.mark.parametrize("case", CASES)
def test_exit_3_naming_what_is_missing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, named = _inputs(tmp_path)[case]
    assert main(["check", "--from", str(path)]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    for text in named:
        assert text in err, (text, err)
    assert "--allow-incomplete" in err


@pytest.mark.parametrize("case", CASES)
def test_allow_incomplete_gives_the_report_with_measures_not_evaluated(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, named = _inputs(tmp_path)[case]
    assert main(["check", "--from", str(path), "--allow-incomplete", "-o", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(doc)
    statuses = {m["id"]: (m["status"], m["reason"]) for m in doc["checklist"]}
    for status, reason in statuses.values():
        assert status == "unknown"
        assert reason.startswith("not evaluated: no pods with a node and an IP")
    assert "no nodes" in statuses["encryption-everywhere"][1]
    gaps = " ".join(doc["summary"]["inputGaps"])
    for text in named:
        assert text in gaps


def test_table_marks_measures_not_evaluated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = _inputs(tmp_path)["deployments only"]
    assert main(["check", "--from", str(path), "--allow-incomplete"]) == 0
    out = capsys.readouterr().out
    assert "INPUT INCOMPLETE" in out
    assert "[PASS]" not in out
    assert out.count("[----]") == 4
    assert "Findings: none (input incomplete" in out


def test_nodes_without_pods_leave_only_pod_measures_unevaluated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "n.yaml").write_text(
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
        "status: {addresses: [{type: InternalIP, address: 10.0.0.1}]}\n"
    )
    argv = ["check", "--from", str(tmp_path), "--allow-incomplete", "--exit-zero", "-o", "json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    reasons = {m["id"]: m["reason"] for m in doc["checklist"] if m["status"] == "unknown"}
    assert "no nodes" not in " ".join(reasons.values())
    assert doc["summary"]["inputGaps"][0] == "no Pod was read"


def test_complete_input_has_no_gaps(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--from", str(REPO / "examples" / "cluster"), "-o", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["inputGaps"] == []
    assert not [m for m in doc["checklist"] if m["reason"].startswith("not evaluated")]


def _pod(node: str = "n1", ips: tuple[str, ...] = ("10.0.0.5",), phase: str = "Running") -> Pod:
    return Pod(
        ObjectRef("Pod", "ns", "p", "v1"),
        "ns",
        "p",
        Labels({}),
        node,
        ips,
        False,
        "default",
        phase=phase,
    )


@pytest.mark.parametrize(
    ("pod", "reason"),
    [
        (_pod(), ""),
        (_pod(node=""), "not scheduled (no spec.nodeName)"),
        (_pod(ips=()), "no IP (status.podIP)"),
        (_pod(phase="Succeeded"), "finished (Succeeded)"),
    ],
)
def test_dropped_reasons(pod: Pod, reason: str) -> None:
    """Calico's IsValidCalicoWorkloadEndpoint: scheduled, an IP, not finished (§1.3)."""
    assert dropped_reason(pod) == reason


def test_one_workload_endpoint_and_one_node_is_enough() -> None:
    gaps = input_gaps([_pod(), _pod(node="")], node_count=1)
    assert gaps.missing == ()
    assert gaps.lines() == ()


def test_dropped_pods_are_counted_with_their_reasons_on_complete_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "c.yaml").write_text(
        (REPO / "tests" / "data" / "recommended" / "cluster.yaml").read_text()
    )
    (tmp_path / "more.yaml").write_text(UNSCHEDULED_PODS)
    main(["check", "--from", str(tmp_path), "--exit-zero", "-o", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["inputGaps"] == []
    assert doc["summary"]["droppedPods"] == {
        "no IP (status.podIP)": 1,
        "not scheduled (no spec.nodeName)": 1,
    }
    main(["check", "--from", str(tmp_path), "--exit-zero"])
    out = capsys.readouterr().out
    assert "2 pods not analysed: 1 no IP (status.podIP), 1 not scheduled (no spec.nodeName)" in out
