"""Smoke test: ``scripts/bench --size tiny`` generates a cluster and measures every stage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "scripts" / "bench"


def test_bench_tiny_runs_and_reports_every_stage(tmp_path: Path) -> None:
    keep = tmp_path / "tiny.json"
    out = subprocess.run(
        [sys.executable, str(BENCH), "--size", "tiny", "--json", "--keep", str(keep)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(out.stdout)
    stages = [row["stage"] for row in result["stages"]]
    assert stages == ["load", "model", "classes", "reachability", "findings", "summary", "render"]
    assert result["generated"]["pods"] == 200
    assert result["peakMB"] > 0
    assert result["explain"]["seconds"] > 0
    assert result["explain"]["src"] != result["explain"]["dst"]
    assert isinstance(result["explain"]["allowed"], bool)
    assert keep.is_file()
    assert json.loads(keep.read_text())["kind"] == "Snapshot"


@pytest.mark.parametrize("shape", ["open", "partial"])
def test_bench_shapes_generate_their_policy_shape(shape: str, tmp_path: Path) -> None:
    keep = tmp_path / f"{shape}.json"
    args = ["--size", "tiny", "--shape", shape, "--json", "--keep", str(keep)]
    out = subprocess.run(
        [sys.executable, str(BENCH), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(out.stdout)
    assert result["shape"] == shape
    kinds = [o["kind"] for o in json.loads(keep.read_text())["objects"]]
    policies = sum(k.endswith("NetworkPolicy") for k in kinds)
    if shape == "open":
        assert policies == 0
        assert "HostEndpoint" not in kinds
        assert result["generated"]["policies"] == 0
    else:
        assert kinds.count("HostEndpoint") == 2  # every other one of the 4 nodes
        assert policies == result["generated"]["policies"] == 20
    assert result["stats"]["reachabilityBlocks"] > 0
    assert result["totalCpuSeconds"] > 0
    assert all("cpuSeconds" in row for row in result["stages"])
    if shape == "open":  # every pod reaches every other pod on some flow
        assert result["allowedPodPairs"] == 1.0
    assert result["reportBytes"] > 0
