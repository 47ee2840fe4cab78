"""`posture explain` to a Service address: policy decides after DNAT, on each backend pod and
its target port (calico-semantics §2.1, §4.8)."""

from __future__ import annotations

import json

import pytest

from posture.cli import main
from tests.support import EXAMPLE


def explain(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["explain", *argv, "--from", EXAMPLE])
    out, err = capsys.readouterr()
    return rc, out, err


def test_cluster_ip_is_decided_per_backend_after_dnat(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = explain(
        capsys, "ingress/ingress-nginx-controller-0", "10.96.0.10", "--port", "53/UDP", "-o", "json"
    )
    assert rc == 0
    doc = json.loads(out)
    assert doc["kind"] == "ServiceExplanation"
    assert doc["service"] == "kube-system/kube-dns"
    backends = {b["dst"]: b for b in doc["backends"]}
    assert set(backends) == {
        "pod kube-system/coredns-5d78c9869d-ax0",
        "pod kube-system/coredns-5d78c9869d-bx1",
    }
    for b in backends.values():
        assert b["ports"] == "53/UDP → 53"
        (verdict,) = b["verdicts"]
        assert verdict["flows"] == "UDP 53"
        assert verdict["allowed"] is True


def test_named_target_port_maps_to_the_container_port(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Service shop/frontend: port 80 → targetPort http → containerPort 8080 on each pod."""
    rc, out, _ = explain(
        capsys, "ingress/ingress-nginx-controller-0", "10.96.12.34", "--port", "80/TCP"
    )
    assert rc == 0
    assert out.count("via Service shop/frontend (10.96.12.34, port 80/TCP → 8080)") == 2
    # Decided on the backend's port 8080: the order-500 default-deny's final Deny.
    assert "DENIED: TCP 8080" in out
    assert "GlobalNetworkPolicy default-deny rule 2 → Deny" in out


def test_denied_backend_names_the_deciding_policy(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = explain(capsys, "shop/frontend-7f9c8d-0", "10.96.0.10", "--port", "53/UDP")
    assert rc == 0
    assert out.count("via Service kube-system/kube-dns (10.96.0.10, port 53/UDP → 53)") == 2
    assert "GlobalNetworkPolicy app-egress-deny rule 2 → Deny" in out


def test_a_port_the_service_does_not_have(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = explain(capsys, "shop/frontend-7f9c8d-0", "10.96.0.10", "--port", "80/TCP")
    assert rc == 2
    assert out == ""
    assert "Service kube-system/kube-dns has no endpoint for that port" in err
