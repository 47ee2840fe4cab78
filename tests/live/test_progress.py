"""Progress while reading a live cluster: a line per kind with counts and pages, and on a
terminal a bar rewritten in place after every page; nothing but the report on stdout."""

from __future__ import annotations

import io
import sys

import pytest

from posture.cli import main
from posture.sources.cluster import ClusterSource
from posture.sources.discovery import CALICO_V1

from .conftest import LiveCluster
from .test_cluster_source import PAY_PODS, SHOP_PODS, populate

pytestmark = pytest.mark.live


def test_tick_after_every_page_but_the_last(calico_v1_cluster: LiveCluster) -> None:
    populate(calico_v1_cluster, CALICO_V1)
    ticks: list[str] = []
    ClusterSource(
        kubeconfig=str(calico_v1_cluster.admin_kubeconfig),
        context=None,
        chunk_size=5,
        tick=ticks.append,
    ).read_inventory()
    pods = [t for t in ticks if t.startswith("pods:")]
    assert pods[:2] == ["pods: 5 so far, page 1", "pods: 10 so far, page 2"]
    assert len(pods) == (SHOP_PODS + PAY_PODS - 1) // 5


def test_cli_draws_the_bar_on_a_terminal_only(
    calico_v1_cluster: LiveCluster,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    populate(calico_v1_cluster, CALICO_V1)
    argv = [
        "check",
        "--kubeconfig",
        str(calico_v1_cluster.admin_kubeconfig),
        "--chunk-size",
        "5",
        "-o",
        "json",
        "--exit-zero",
        "--allow-incomplete",
    ]
    terminal = io.StringIO()
    monkeypatch.setattr(terminal, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.lstrip().startswith("{")  # only the report on stdout
    shown = terminal.getvalue()
    assert "\r\033[K" in shown
    assert "pods: 5 so far, page 1" in shown
    assert f"pods: {SHOP_PODS + PAY_PODS} in" in shown
    plain = io.StringIO()  # not a terminal: nothing at all
    monkeypatch.setattr(sys, "stderr", plain)
    assert main(argv) == 0
    assert plain.getvalue() == ""
