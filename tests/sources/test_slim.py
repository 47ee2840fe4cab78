"""What the live source keeps of each listed object (sanitise.slim): the same Snapshot as the
full objects, without what a served object carries besides (managedFields, owner references,
uid, timestamps, env values, annotations nobody reads)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from posture.sources import offline_source
from posture.sources.base import RawInventory
from posture.sources.convert import build_snapshot
from posture.sources.sanitise import sanitise, slim
from tests.support import EXAMPLE

NOISE_ANNOTATION = "deployment.kubernetes.io/revision"


def _served(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as an API server serves it: bookkeeping metadata and annotations added."""
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    meta.update(
        {
            "uid": "0b5c3a7e-1111-2222-3333-444455556666",
            "resourceVersion": "4711",
            "creationTimestamp": "2025-01-01T00:00:00Z",
            "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs"}],
        }
    )
    meta.setdefault("annotations", {})[NOISE_ANNOTATION] = "7"
    if out.get("kind") == "Pod":
        for c in out.get("spec", {}).get("containers", []):
            c["env"] = [*c.get("env", []), {"name": "PASSWORD", "value": "s3cr3t"}]
            c["resources"] = {"limits": {"memory": "1Gi"}}
    return out


def _inventory() -> RawInventory:
    inv = offline_source([Path(EXAMPLE)]).read_inventory()
    inv.objects = [_served(o) for o in inv.objects]
    return inv


def test_slimmed_objects_give_the_same_snapshot() -> None:
    full = _inventory()
    slimmed = _inventory()
    slimmed.objects = [s for s in (slim(o) for o in slimmed.objects) if s is not None]
    assert len(slimmed.objects) == len(full.objects)  # the example has no Secret or ConfigMap
    a, b = build_snapshot(full), build_snapshot(slimmed)
    assert a == b


def test_slim_drops_what_posture_never_reads() -> None:
    kept = [slim(o) for o in _inventory().objects]
    text = json.dumps(kept)
    for absent in ("managedFields", "ownerReferences", "uid", "resourceVersion", "s3cr3t"):
        assert absent not in text, absent
    assert NOISE_ANNOTATION not in text
    assert '"resources"' not in text
    # What the converter reads stays: labels, pod IPs, Calico node annotations, FELIX_* env.
    for present in ("podIP", "projectcalico.org/IPv4Address", "FELIX_", '"labels"'):
        assert present in text, present


def test_posture_and_calico_annotations_stay() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "annotations": {
                "posture.dev/ignore": "PST-NODE-001",
                "posture.dev/ignore-reason": "why",
                "cni.projectcalico.org/podIP": "10.0.0.1/32",
                NOISE_ANNOTATION: "3",
            },
        },
    }
    kept = slim(obj)
    assert kept is not None
    assert kept["metadata"]["annotations"] == {
        "posture.dev/ignore": "PST-NODE-001",
        "posture.dev/ignore-reason": "why",
        "cni.projectcalico.org/podIP": "10.0.0.1/32",
    }


_KEPT_METADATA = ("name", "namespace", "labels", "annotations")


def _two_pass(obj: Any) -> Any:
    """slim's definition: what sanitise keeps, then only the metadata the converter reads
    (name, namespace, labels and the Calico and posture annotations)."""
    out = sanitise(obj)
    if not isinstance(out, dict) or not isinstance(out.get("metadata"), dict):
        return out
    meta = {k: out["metadata"][k] for k in _KEPT_METADATA if k in out["metadata"]}
    if isinstance(meta.get("annotations"), dict):
        meta["annotations"] = {
            k: v
            for k, v in meta["annotations"].items()
            if "projectcalico.org/" in k or k.startswith("posture.dev/")
        }
        if not meta["annotations"]:
            del meta["annotations"]
    return {**out, "metadata": meta}


_ODD_SHAPES: list[Any] = [
    {"apiVersion": "v1", "kind": "Pod"},  # no metadata, no spec
    {"apiVersion": "v1", "kind": "Pod", "metadata": None, "spec": None, "status": None},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": None}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": {"a/b": "c"}}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "dg=="}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": None},
    {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {}},
    "not an object",
    None,
]


def test_one_pass_slim_keeps_what_sanitise_then_metadata_keeps() -> None:
    """The one-pass slim equals its two-pass definition on served objects of every kind the
    example has, on controllers and on malformed shapes (those are reported by the converter,
    so slim must hand them over unchanged in kind)."""
    objects = [*_inventory().objects, *_ODD_SHAPES]
    controller = _served(
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "calico-node", "namespace": "kube-system"},
            "spec": {
                "selector": {"matchLabels": {"k8s-app": "calico-node"}},
                "template": {
                    "metadata": {"labels": {"k8s-app": "calico-node"}, "managedFields": []},
                    "spec": {
                        "containers": [{"name": "n", "env": [{"name": "FELIX_X", "value": "1"}]}]
                    },
                },
            },
            "status": {"numberReady": 3},
        }
    )
    objects.append(controller)
    for obj in objects:
        assert slim(copy.deepcopy(obj)) == _two_pass(copy.deepcopy(obj)), obj
