"""Container runtime inventory: PST-RT-001, PST-RT-002.

End-of-life is judged on the run date; the scenarios run on 2026-11-27 (``conftest.TODAY``)
unless they pass their own ``today``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from posture.findings.model import Severity
from tests.findings.conftest import CheckFn, of, one, subjects
from tests.support.builders import N1, N2, node


def runtimes(first: str, second: str, kubelet: str = "v1.33.2") -> list[dict[str, object]]:
    return [
        node("n1", N1, runtime=first, kubelet=kubelet),
        node("n2", N2, runtime=second, kubelet=kubelet),
    ]


# --- PST-RT-001: mixed runtimes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("second", "what"),
    [
        (
            "cri-o://1.33.1",
            "runtimes: containerd://2.1.4 on 1 node(s); cri-o://1.33.1 on 1 node(s)",
        ),
        (
            "containerd://2.1.5",
            "versions of containerd: containerd://2.1.4 on 1 node(s); containerd://2.1.5 on 1 "
            "node(s)",
        ),
    ],
    ids=["two-runtimes", "two-versions"],
)
def test_rt_001_nodes_run_different_runtimes(check: CheckFn, second: str, what: str) -> None:
    f = one(check(runtimes("containerd://2.1.4", second)), "PST-RT-001")
    assert f.severity is Severity.INFO
    assert f.message == f"Nodes run different {what}."
    assert subjects(f) == {"Node n1", "Node n2"}
    assert f.count == 2


def test_rt_001_not_when_every_node_runs_the_same(check: CheckFn) -> None:
    assert not of(check(), "PST-RT-001")


# --- PST-RT-002: end of life -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("runtime", "kubelet", "why"),
    [
        ("containerd://1.7.13", "v1.33.2", "containerd 1.7 reached end of life on 2026-03-10"),
        ("containerd://2.0.4", "v1.33.2", "containerd 2.0 reached end of life on 2025-11-07"),
        ("containerd://1.6.20", "v1.29.0", "containerd 1.6 reached end of life on 2025-07-23"),
        ("containerd://1.4.3", "v1.22.0", "containerd 1.4 reached end of life"),
        (
            "cri-o://1.24.1",
            "v1.29.4",
            "CRI-O 1.24 on a kubelet v1.29.4: CRI-O's minor must match the Kubernetes minor it "
            "runs",
        ),
        (
            "docker://24.0.7",
            "v1.23.1",
            "the Docker runtime (dockershim) was removed in Kubernetes 1.24",
        ),
    ],
    ids=["containerd-1.7", "containerd-2.0", "containerd-1.6", "containerd-1.4", "cri-o", "docker"],
)
def test_rt_002_runtime_out_of_support(
    check: CheckFn, runtime: str, kubelet: str, why: str
) -> None:
    f = one(check(runtimes(runtime, runtime, kubelet)), "PST-RT-002")
    assert f.severity is Severity.LOW
    assert f.message == f"{runtime}: {why} (2 node(s): n1, n2)."
    assert subjects(f) == {"Node n1", "Node n2"}
    assert f.count == 2


def test_rt_002_names_only_the_stale_node(check: CheckFn) -> None:
    f = one(check(runtimes("containerd://1.7.13", "containerd://2.1.4")), "PST-RT-002")
    assert subjects(f) == {"Node n1"}
    assert f.count == 1


@pytest.mark.parametrize(
    ("runtime", "kubelet"),
    [
        ("containerd://2.1.4", "v1.33.2"),  # no end-of-life date published
        ("cri-o://1.29.1", "v1.29.4"),  # minor matches the kubelet's
        ("unknown-runtime", "v1.33.2"),  # not parseable: say nothing
    ],
    ids=["containerd-2.1", "cri-o-matching", "unparseable"],
)
def test_rt_002_not_for_a_supported_runtime(check: CheckFn, runtime: str, kubelet: str) -> None:
    assert not of(check(runtimes(runtime, runtime, kubelet)), "PST-RT-002")


@pytest.mark.parametrize(
    ("day", "stale"),
    [(datetime(2026, 3, 10, tzinfo=UTC), False), (datetime(2026, 3, 11, tzinfo=UTC), True)],
    ids=["on-the-eol-date", "the-day-after"],
)
def test_rt_002_judged_on_the_run_date(check: CheckFn, day: datetime, stale: bool) -> None:
    report = check(runtimes("containerd://1.7.13", "containerd://1.7.13"), today=day)
    assert bool(of(report, "PST-RT-002")) is stale
