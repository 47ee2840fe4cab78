"""Prometheus text parsed by prometheus_client's parser; DOT parsed by pydot and drawn by dot."""

from __future__ import annotations

import shutil
import subprocess

import pydot
import pytest
from prometheus_client.parser import text_string_to_metric_families

from posture.report.formats import Format, render
from posture.report.model import Report

FORBIDDEN_LABELS = {"pod", "ip", "run", "instance_id", "node_ip", "pod_ip"}


def test_prometheus_parses_with_low_cardinality_labels(report: Report) -> None:
    families = {
        f.name: f for f in text_string_to_metric_families(render(report, Format.PROMETHEUS))
    }
    for name in (
        "posture_findings",
        "posture_paths_unrestricted_to_nodes",
        "posture_paths_unencrypted",
        "posture_check_coverage_ratio",
        "posture_last_success_timestamp_seconds",
    ):
        assert name in families, name
        assert families[name].type == "gauge"
    total = sum(s.value for s in families["posture_findings"].samples)
    assert total == len(report.findings)
    (ratio,) = families["posture_check_coverage_ratio"].samples
    assert ratio.value == pytest.approx(report.coverage.ratio(), abs=1e-4)
    (ts,) = families["posture_last_success_timestamp_seconds"].samples
    assert ts.value > 1.6e9
    assert sum(s.value for s in families["posture_paths_unrestricted_to_nodes"].samples) > 0
    for family in families.values():
        for sample in family.samples:
            assert not set(sample.labels) & FORBIDDEN_LABELS, sample


def test_dot_parses_and_names_namespaces_and_nodes(report: Report) -> None:
    text = render(report, Format.DOT)
    graphs = pydot.graph_from_dot_data(text)
    assert graphs is not None
    (graph,) = graphs
    names = {n.get_name().strip('"') for n in graph.get_nodes()}
    assert {"ns:shop", "ns:payments"} <= names
    assert any(n.startswith("node ") for n in names)
    assert graph.get_edges()


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz not installed")
def test_dot_draws_with_graphviz(report: Report) -> None:
    svg = subprocess.run(
        ["dot", "-Tsvg"],
        input=render(report, Format.DOT),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "<svg" in svg
    assert "shop" in svg
