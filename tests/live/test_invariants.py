"""Invariants on a cluster read from the real API server give the same results as on the same
objects as manifest files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from posture.cli import main
from posture.sources.discovery import CALICO_V3

from .conftest import LiveCluster
from .test_cluster_source import populate
from .test_equivalence import as_manifests

pytestmark = pytest.mark.live

INVARIANTS = """\
apiVersion: posture.dev/v1alpha1
kind: Invariants
spec:
  rules:
  - name: web-never-reaches-outside
    reason: The web tier has no business on the internet
    deny:
      from: [{pods: {selector: "app == 'web'"}}]
      to: [{nets: [0.0.0.0/0]}]
  - name: web-serves-web
    reason: The web tier talks to itself on port 80
    allow:
      from: [{pods: {selector: {matchLabels: {app: web}}}}]
      to: [{pods: {selector: {matchLabels: {app: web}}}}]
      flows: [80/TCP]
"""


def _invariants(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, Any]]:
    rc = main(["check", *argv, "-o", "json", "--exit-zero", "--allow-incomplete", "-q"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    result: list[dict[str, Any]] = json.loads(out)["invariants"]
    return result


def test_live_and_manifests_give_the_same_invariant_results(
    calico_v3_cluster: LiveCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    created = populate(calico_v3_cluster, CALICO_V3)
    inv = tmp_path / "inv.yaml"
    inv.write_text(INVARIANTS)
    live = _invariants(
        capsys, "--kubeconfig", str(calico_v3_cluster.admin_kubeconfig), "--invariants", str(inv)
    )
    offline = _invariants(
        capsys, "--from", str(as_manifests(created, tmp_path / "c.yaml")), "--invariants", str(inv)
    )
    assert live == offline
    assert [r["name"] for r in live] == ["web-never-reaches-outside", "web-serves-web"]
    # One holds and one is broken, so the comparison covers both outcomes.
    assert [r["holds"] for r in live] == [True, False]
    assert live[1]["violations"] > 0
