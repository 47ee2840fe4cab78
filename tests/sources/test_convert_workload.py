"""Pods of one workload share one effective-labels value, never across namespaces or service
accounts (calico-semantics §3.3: the labels inherited from the ``kns.*`` and ``ksa.*``
profiles differ there)."""

from __future__ import annotations

from typing import Any

from posture.model.meta import Labels, SourceLocation
from posture.sources.convert_policy import Where
from posture.sources.convert_workload import pod_facts, pods


def _pod(name: str, ns: str, sa: str, labels: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"serviceAccountName": sa, "containers": [{"name": "c"}]},
        "status": {"podIP": "10.0.0.1"},
    }


def test_replicas_share_labels_and_nothing_leaks_across_namespace_or_account() -> None:
    web = {"app": "web", "pod-template-hash": "7d4f"}
    objs = [
        _pod("web-1", "shop", "web", web),
        _pod("web-2", "shop", "web", dict(web)),
        _pod("web-3", "shop", "admin", web),  # another service account
        _pod("web-4", "pay", "web", web),  # another namespace
        _pod("web-5", "shop", "web", {**web, "extra": "1"}),
    ]
    items = [(o, SourceLocation(f"pods/{o['metadata']['name']}"), False) for o in objs]
    ns_labels = {"shop": Labels({"team": "a"}), "pay": Labels({"team": "b"})}
    sa_labels = {("shop", "admin"): Labels({"role": "admin"})}
    out = {p.name: p for p, _ in pods(items, lambda *_a: Where("x"), ns_labels, sa_labels)}

    assert out["web-1"].labels is out["web-2"].labels
    assert out["web-1"].labels["pcns.team"] == "a"
    assert out["web-1"].labels["projectcalico.org/serviceaccount"] == "web"
    assert "pcsa.role" not in out["web-1"].labels
    assert out["web-3"].labels["pcsa.role"] == "admin"
    assert out["web-3"].labels["projectcalico.org/serviceaccount"] == "admin"
    assert out["web-4"].labels["pcns.team"] == "b"
    assert out["web-4"].labels["projectcalico.org/namespace"] == "pay"
    assert out["web-5"].labels["extra"] == "1"
    assert "extra" not in out["web-1"].labels


def test_facts_worked_out_ahead_give_the_same_pods_and_only_for_their_object() -> None:
    """The live source converts pods as pages arrive (``pod_facts``); the converter takes those
    facts for the very object they came from and works out any other pod itself."""
    objs = [
        _pod("a", "shop", "web", {"app": "a"}),
        _pod("b", "shop", "web", {"app": "b"}),
        {
            **_pod("c", "shop", "web", {"app": "c"}),
            "spec": {
                "containers": [{"name": "c", "ports": [{"containerPort": 80, "name": "http"}]}]
            },
        },
    ]
    items = [(o, SourceLocation(f"pods/{o['metadata']['name']}"), False) for o in objs]

    def where(*_a: Any) -> Where:
        return Where("x")

    plain = pods(items, where, {}, {})
    facts = {id(o): (o, pod_facts(o, lambda: Where("x"))) for o in objs}
    assert pods(items, where, {}, {}, facts) == plain
    assert plain[2][0].ports[0].name == "http"

    # An entry stored under an object's id but made of another object is not used.
    stale = {id(objs[0]): (objs[1], pod_facts(objs[1], lambda: Where("x")))}
    assert pods(items, where, {}, {}, stale) == plain
