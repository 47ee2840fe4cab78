"""Container runtime inventory: mixed runtimes and end-of-life versions per node.

containerd end-of-life dates: containerd's RELEASES.md ("Current State of containerd
Releases"; only dates not marked tentative). CRI-O: its minor version follows the Kubernetes
minor it supports (CRI-O README, "Compatibility matrix").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from posture.findings.model import Finding, RuleInfo, Severity, Subject
from posture.findings.registry import Analysis, Registry

MEASURE = "runtime-inventory"

CONTAINERD_EOL = {
    (1, 5): date(2023, 2, 28),
    (1, 6): date(2025, 7, 23),
    (1, 7): date(2026, 3, 10),
    (2, 0): date(2025, 11, 7),
}

MIXED = RuleInfo(
    "PST-RT-001",
    Severity.INFO,
    "Nodes run different container runtimes",
    MEASURE,
    "Converge on one runtime and version per node pool.",
)
END_OF_LIFE = RuleInfo(
    "PST-RT-002",
    Severity.LOW,
    "Container runtime version is out of support",
    MEASURE,
    "Upgrade the runtime to a supported version.",
)

_VERSION = re.compile(r"^(?P<name>[a-z0-9.-]+)://v?(?P<major>\d+)\.(?P<minor>\d+)")


def _parse(runtime: str) -> tuple[str, int, int] | None:
    m = _VERSION.match(runtime)
    if not m:
        return None
    return m["name"], int(m["major"]), int(m["minor"])


def mixed(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    by_runtime: dict[str, list[str]] = {}
    for n in a.snapshot.nodes:
        if n.container_runtime:
            by_runtime.setdefault(n.container_runtime, []).append(n.name)
    names = {r.split("://")[0] for r in by_runtime}
    if len(by_runtime) < 2:
        return
    parts = "; ".join(f"{r} on {len(ns)} node(s)" for r, ns in sorted(by_runtime.items()))
    what = "runtimes" if len(names) > 1 else "versions of " + next(iter(names))
    yield info.finding(
        message=f"Nodes run different {what}: {parts}.",
        subjects=tuple(
            Subject("Node", n, api_version="v1") for ns in by_runtime.values() for n in ns[:10]
        ),
        count=len(by_runtime),
    )


def end_of_life(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    today = a.today
    stale: dict[str, list[str]] = {}
    for n in a.snapshot.nodes:
        parsed = _parse(n.container_runtime)
        if parsed is None:
            continue
        name, major, minor = parsed
        why = ""
        if name == "containerd":
            eol = CONTAINERD_EOL.get((major, minor))
            if (major, minor) < (1, 5) or (eol is not None and eol < today):
                why = f"containerd {major}.{minor} reached end of life" + (
                    f" on {eol.isoformat()}" if eol else ""
                )
        elif name == "cri-o":
            k = re.match(r"v?1\.(\d+)", n.kubelet_version)
            if k and major == 1 and minor < int(k[1]):
                why = (
                    f"CRI-O 1.{minor} on a kubelet {n.kubelet_version}: CRI-O's minor must "
                    "match the Kubernetes minor it runs"
                )
        elif name == "docker":
            why = "the Docker runtime (dockershim) was removed in Kubernetes 1.24"
        if why:
            stale.setdefault(f"{n.container_runtime}: {why}", []).append(n.name)
    for why, nodes in sorted(stale.items()):
        yield info.finding(
            message=f"{why} ({len(nodes)} node(s): {', '.join(nodes[:10])}).",
            subjects=tuple(Subject("Node", n, api_version="v1") for n in nodes[:50]),
            count=len(nodes),
            key_extra=why,
        )


def register(registry: Registry) -> None:
    registry.add(MIXED, mixed)
    registry.add(END_OF_LIFE, end_of_life)
