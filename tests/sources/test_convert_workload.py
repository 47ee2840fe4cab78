"""Pods of one workload share one effective-labels value, never across namespaces or service
accounts (calico-semantics §3.3: the labels inherited from the ``kns.*`` and ``ksa.*``
profiles differ there)."""

from __future__ import annotations

from typing import Any

from posture.model.meta import Labels, SourceLocation
from posture.sources.convert_policy import Where
from posture.sources.convert_workload import pods


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
