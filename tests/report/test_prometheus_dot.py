"""Prometheus text parsed by prometheus_client's parser; DOT parsed by pydot and drawn by dot."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

import pydot
import pytest
from prometheus_client.parser import text_string_to_metric_families

from posture.report.formats import Format, RenderOptions, render
from posture.report.model import Report
from tests.support import EXAMPLE, run

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


def _graph(text: str) -> pydot.Dot:
    graphs = pydot.graph_from_dot_data(text)
    assert graphs is not None
    (graph,) = graphs
    return graph


def _is_node(group: str) -> bool:
    return not group.startswith(("ns:", "ext:"))


def _ends(edge: pydot.Edge) -> tuple[str, str]:
    return str(edge.get_source()).strip('"'), str(edge.get_destination()).strip('"')


def test_dot_has_one_outside_node_whose_edges_are_not_an_encryption_problem(
    report: Report,
) -> None:
    graph = _graph(render(report, Format.DOT))
    outside = [n.get_name().strip('"') for n in graph.get_nodes() if '"ext:' in n.get_name()]
    assert outside == ["ext:outside the cluster"]
    edges = [e for e in graph.get_edges() if "ext:outside the cluster" in _ends(e)]
    assert edges
    for e in edges:
        assert e.get("color") == '"#737373"'
        assert "unencrypted" not in e.get("label")
    # Unencrypted traffic between nodes is still red.
    assert any(e.get("color") == '"#d7301f"' for e in graph.get_edges())


@pytest.mark.parametrize(
    ("scope", "keep"),
    [
        (
            "nodes",
            lambda s, d: not s.startswith(("ns:", "ext:")) or not d.startswith(("ns:", "ext:")),
        ),
        ("namespaces", lambda s, d: s.startswith("ns:") and d.startswith("ns:")),
        ("namespace=shop", lambda s, d: "ns:shop" in (s, d)),
    ],
)
def test_dot_scope_draws_part_of_the_graph(
    report: Report, scope: str, keep: Callable[[str, str], bool]
) -> None:
    full = [_ends(e) for e in _graph(render(report, Format.DOT)).get_edges()]
    scoped = [
        _ends(e)
        for e in _graph(render(report, Format.DOT, RenderOptions(dot_scope=scope))).get_edges()
    ]
    assert scoped
    assert scoped == [pair for pair in full if keep(*pair)]
    assert len(scoped) < len(full)


def test_dot_scope_typo_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "check", "--from", EXAMPLE, "-o", "dot", "--dot-scope", "nodez")
    assert rc == 2
    assert "--dot-scope: expected all, nodes, namespaces, namespace=NAME, got 'nodez'" in err
