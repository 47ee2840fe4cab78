"""The report's ``reach`` section is bounded by groups, not by endpoint classes or their pairs.

An open cluster (no policy: everything reaches everything) of many namespaces, each with pods
that Services tell apart (so that they form separate endpoint classes): a class-level matrix
would have one allowed cell per ordered class pair and relation, a summary by pairs of
namespaces one row per ordered namespace pair; the model holds a block per relation whatever
the number of classes, and the report one row per block naming the namespaces on each end,
with the same pair tallies and pairs per namespace.
"""

from __future__ import annotations

import json

from posture.pipeline import analyse, report_from
from posture.report.json_render import render_json
from tests.support.builders import namespace, node, pod
from tests.support.snapshots import Obj, snapshot_of

NAMESPACES = 20
APPS = ("web", "api")
NODES = ("n1", "n2")


def _open_cluster() -> list[Obj]:
    objs: list[Obj] = [node(n, f"10.0.0.{i + 1}") for i, n in enumerate(NODES)]
    k = 0
    for i in range(NAMESPACES):
        ns = f"team-{i:02d}"
        objs.append(namespace(ns))
        for app in APPS:
            objs.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": app, "namespace": ns},
                    "spec": {"selector": {"app": app}, "ports": [{"port": 80}]},
                }
            )
            for r in range(2):  # one replica on each node: same-node and other-node pairs
                k += 1
                objs.append(
                    pod(ns, f"{app}-{r}", NODES[r], f"10.244.{r}.{k}", {"app": app}),
                )
    return objs


def test_open_cluster_report_stays_bounded_by_namespaces() -> None:
    analysis = analyse(snapshot_of(_open_cluster()))
    report = report_from(analysis)
    blocks = analysis.matrix.blocks
    pod_classes = sum(1 for c in analysis.matrix.classes if c.kind.value == "pod")
    assert pod_classes == NAMESPACES * len(APPS)
    # Class level: every ordered pair of pod classes in both relations, but a class to itself
    # only across nodes (its two pods are on different nodes)...
    class_cells = 2 * pod_classes * (pod_classes - 1) + pod_classes
    # ... held as one block per relation: everything is decided alike.
    pod_blocks = [b for b in blocks if b.src_kind.value == "pod" and b.dst_kind.value == "pod"]
    assert len(pod_blocks) == 2
    pods = 4 * NAMESPACES
    assert sum(b.pairs for b in pod_blocks) == pods * (pods - 1)

    pod_rows = [r for r in report.reach if r.src_kind == "pod" and r.dst_kind == "pod"]
    namespaces = tuple(f"team-{i:02d}" for i in range(NAMESPACES))
    assert len(pod_rows) == 2  # one per relation, every namespace on both ends
    rows = {r.relation: r for r in pod_rows}
    for r in pod_rows:
        assert r.src == r.dst == namespaces
        assert r.allowed == "all traffic"
        assert r.src_pairs == r.dst_pairs == ()  # per namespace pair counts are not kept
    per_node = 2 * NAMESPACES  # pods on each node
    assert rows["same-node"].pairs == len(NODES) * per_node * (per_node - 1)
    # Nothing lost: the summary counts every pair the blocks count.
    assert sum(r.pairs for r in report.reach) == sum(b.pairs for b in blocks)
    # Paths to nodes keep pairs per namespace: 4 pods of each namespace to each of 2 nodes.
    to_nodes = [r for r in report.reach if r.src_kind == "pod" and r.dst_kind == "host"]
    assert to_nodes
    for r in to_nodes:
        assert sum(r.src_pairs) == sum(r.dst_pairs) == r.pairs
    assert sum(n for r in to_nodes for n in r.src_pairs[:1]) == 4 * len(NODES)

    text = render_json(report)
    # A report by class pairs needs at least one ~200-byte row per allowed cell, one by pairs
    # of namespaces one per (namespace pair, relation); this one stays under a bound linear
    # in the namespaces.
    per_pair_floor = 200 * class_cells
    per_namespace_pair = 200 * 2 * NAMESPACES**2
    bound = 100 * 2 * 4 * (NAMESPACES + 2) + 100_000
    assert len(text.encode()) < bound < min(per_pair_floor, per_namespace_pair)
    assert len(json.loads(text)["reach"]) == len(report.reach)
