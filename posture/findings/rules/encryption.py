"""Encryption: allowed cross-node paths that travel in clear (calico-semantics §6)."""

from __future__ import annotations

from collections.abc import Iterable

from posture.engine.peers import PeerKind
from posture.findings.base import Analysis, Finding, Registry, RuleInfo, Severity, Subject
from posture.reachability.matrix import Relation

MEASURE = "encryption-everywhere"

WIREGUARD_OFF = RuleInfo(
    "PST-ENC-001",
    Severity.HIGH,
    "WireGuard is off: allowed cross-node traffic is unencrypted",
    MEASURE,
    "Turn WireGuard on: FelixConfiguration default spec.wireguardEnabled: true (and "
    "wireguardEnabledV6 for IPv6); check every node then publishes "
    "projectcalico.org/WireguardPublicKey. IPIP/VXLAN encapsulation does not encrypt.",
)


def _cross_node_unencrypted(a: Analysis) -> tuple[int, int, int]:
    cells = pairs = sensitive = 0
    for c in a.matrix.cells:
        if c.relation is not Relation.OTHER_NODE or not c.allowed:
            continue
        clear = c.pairs - c.encrypted_pairs
        if clear <= 0:
            continue
        cells += 1
        pairs += clear
        if c.dst.kind is PeerKind.HOST or c.src.namespace != c.dst.namespace:
            sensitive += clear
    return cells, pairs, sensitive


def wireguard_off(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    snap = a.snapshot
    if not snap.nodes or len(snap.nodes) < 2:
        return
    if any(snap.felix_for(n.name).wireguard_v4 for n in snap.nodes):
        return
    cells, pairs, sensitive = _cross_node_unencrypted(a)
    if not cells:
        return
    yield Finding(
        check_id=info.id,
        severity=info.severity,
        title=info.title,
        message=f"WireGuard is not enabled ({snap.felix.origin_of('wireguardEnabled')}); "
        f"{cells} allowed cross-node paths between endpoint groups ({pairs} endpoint pairs) "
        f"travel unencrypted, {sensitive} of those pairs to node services or across namespaces.",
        encrypted="false",
        remediation=info.remediation,
        count=pairs,
    )


NODES_WITHOUT_KEY = RuleInfo(
    "PST-ENC-002",
    Severity.HIGH,
    "WireGuard is on, but some nodes publish no key: their traffic travels in clear",
    MEASURE,
    "On each listed node, check `projectcalico.org/WireguardPublicKey` and calico-node's log: "
    "the kernel needs WireGuard support (module wireguard), and a node.<name> "
    "FelixConfiguration must not disable it.",
)


def nodes_without_key(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    snap = a.snapshot
    enabled = [n for n in snap.nodes if snap.felix_for(n.name).wireguard_v4]
    if not enabled:
        return
    keyless = sorted(
        {
            n.name
            for n in snap.nodes
            if not (snap.felix_for(n.name).wireguard_v4 and n.wireguard.key_v4)
        }
    )
    if not keyless:
        return
    cells = pairs = 0
    for c in a.matrix.cells:
        if c.relation is not Relation.OTHER_NODE or not c.allowed:
            continue
        touched = set(c.src.member_nodes) | set(c.dst.member_nodes)
        clear = c.pairs - c.encrypted_pairs
        if clear > 0 and touched & set(keyless):
            cells += 1
            pairs += clear
    if not cells:
        return
    shown = ", ".join(keyless[:10]) + (" …" if len(keyless) > 10 else "")
    yield Finding(
        check_id=info.id,
        severity=info.severity,
        title=info.title,
        message=f"WireGuard is enabled but {len(keyless)} of {len(snap.nodes)} nodes publish no "
        f"public key ({shown}); {cells} allowed cross-node paths ({pairs} endpoint pairs) to or "
        "from them travel unencrypted.",
        subjects=tuple(Subject("Node", n, api_version="v1") for n in keyless[:50]),
        encrypted="false",
        remediation=info.remediation,
        count=pairs,
    )


def register(registry: Registry) -> None:
    registry.add(WIREGUARD_OFF, wireguard_off)
    registry.add(NODES_WITHOUT_KEY, nodes_without_key)
