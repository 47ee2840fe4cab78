"""The report's ``reach`` section is bounded by groups, not by endpoint classes or their pairs.

An open cluster (no policy: everything reaches everything) of many namespaces, each with pods
that Services tell apart (so that they form separate endpoint classes): a class-level matrix
would have one allowed cell per ordered class pair and relation; the model holds a block per
relation whatever the number of classes, and the report's summary one row per ordered
namespace pair and relation (plus nodes and the outside), with the same pair tallies.
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
    assert len(pod_rows) == 2 * NAMESPACES * NAMESPACES
    assert all(r.allowed == "all traffic" for r in pod_rows)
    # Nothing lost: the summary counts every pair the blocks count.
    assert sum(r.pairs for r in report.reach) == sum(b.pairs for b in blocks)
    # 4 pods in each namespace, 2 per node: 8 pairs on the same node, 8 across nodes.
    rows = {(r.src, r.dst, r.relation): r for r in pod_rows}
    assert rows[("team-00", "team-01", "same-node")].pairs == 8
    assert rows[("team-00", "team-01", "other-node")].pairs == 8
    assert rows[("team-00", "team-00", "same-node")].pairs == 4  # own pod excluded

    text = render_json(report)
    # A per-pair report needs at least one ~200-byte row per allowed cell; the summary stays
    # under a bound of 400 bytes per (namespace pair, relation) plus the fixed sections.
    per_pair_floor = 200 * class_cells
    bound = 400 * 2 * (NAMESPACES + 2) ** 2 + 100_000
    assert len(text.encode()) < bound < per_pair_floor
    assert len(json.loads(text)["reach"]) == len(report.reach)
