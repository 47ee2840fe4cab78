"""Encryption: allowed cross-node paths that travel in clear (calico-semantics §6)."""

from __future__ import annotations

from collections.abc import Iterable

from posture.engine.peers import PeerKind
from posture.findings.model import Finding, RuleInfo, Severity, Subject
from posture.findings.registry import Analysis, Registry
from posture.reachability.matrix import Relation
from posture.reachability.rollup import Touching

MEASURE = "encryption-everywhere"

WIREGUARD_OFF = RuleInfo(
    "PST-ENC-001",
    Severity.HIGH,
    "WireGuard is off: allowed cross-node traffic is unencrypted",
    MEASURE,
    "Turn WireGuard on in place (`posture fix` prints it): kubectl patch "
    "felixconfigurations.projectcalico.org default --type=merge -p "
    '\'{"spec":{"wireguardEnabled":true}}\', and the same patch for each node.<name> '
    "that disables it (wireguardEnabledV6 too for IPv6); check every node then publishes "
    "projectcalico.org/WireguardPublicKey. IPIP/VXLAN encapsulation does not encrypt.",
)


def _touching(a: Analysis, nodes: set[str], *, workloads_only: bool = False) -> tuple[int, int]:
    """Endpoint pairs on allowed cross-node paths with an end on ``nodes`` (all of them in
    clear: those nodes do not encrypt), and how many of them go to node addresses or across
    namespaces. With ``workloads_only``, only paths to pods: WireGuard itself encrypts nothing
    else (§6.3)."""
    pairs = sensitive = 0
    m = a.matrix
    counter = Touching(m.tally, nodes)
    for block in m.blocks:
        if block.relation is not Relation.OTHER_NODE:
            continue
        if workloads_only and block.dst_kind is not PeerKind.POD:
            continue
        hit, apart = counter.count(block)
        pairs += hit
        sensitive += apart
    return pairs, sensitive


def wireguard_off(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    """Nodes where Felix's configuration leaves WireGuard disabled."""
    snap = a.snapshot
    if len(snap.nodes) < 2:
        return
    off = sorted(n.name for n in snap.nodes if not snap.felix_for(n.name).wireguard_v4)
    if not off:
        return
    pairs, sensitive = _touching(a, set(off), workloads_only=True)
    if not pairs:
        return
    if len(off) == len(snap.nodes):
        where = f"WireGuard is not enabled ({snap.felix.origin_of('wireguardEnabled')})"
    else:
        origins = sorted({snap.felix_for(n).origin_of("wireguardEnabled") for n in off})
        where = (
            f"WireGuard is disabled on {len(off)} of {len(snap.nodes)} nodes "
            f"({', '.join(off[:10])}; {'; '.join(origins)})"
        )
    yield info.finding(
        message=f"{where}; {pairs} endpoint pairs on allowed cross-node paths travel "
        f"unencrypted, {sensitive} of them to node services or across namespaces.",
        subjects=tuple(Subject("Node", n, api_version="v1") for n in off[:50]),
        encrypted="false",
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
    """Nodes configured for WireGuard that publish no key (disabled ones are PST-ENC-001's)."""
    snap = a.snapshot
    keyless = sorted(
        n.name for n in snap.nodes if snap.felix_for(n.name).wireguard_v4 and not n.wireguard.key_v4
    )
    if not keyless:
        return
    pairs, _ = _touching(a, set(keyless))
    if not pairs:
        return
    shown = ", ".join(keyless[:10]) + (" …" if len(keyless) > 10 else "")
    yield info.finding(
        message=f"WireGuard is enabled but {len(keyless)} of {len(snap.nodes)} nodes publish no "
        f"public key ({shown}); {pairs} endpoint pairs on allowed cross-node paths to or from "
        "them travel unencrypted.",
        subjects=tuple(Subject("Node", n, api_version="v1") for n in keyless[:50]),
        encrypted="false",
        count=pairs,
    )


HOST_CLEAR = RuleInfo(
    "PST-ENC-003",
    Severity.MEDIUM,
    "Traffic to node addresses is not encrypted (WireGuard host encryption off)",
    MEASURE,
    "Set FelixConfiguration spec.wireguardHostEncryptionEnabled: true where supported (EKS and "
    "AKS officially); otherwise treat pod → node and node → node traffic as clear text.",
)


def host_clear(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    snap = a.snapshot
    if not any(snap.felix_for(n.name).wireguard_v4 for n in snap.nodes):
        return  # PST-ENC-001 covers a cluster without WireGuard
    if all(snap.felix_for(n.name).wireguard_host for n in snap.nodes):
        return
    pairs = sum(
        b.pairs - b.encrypted_pairs
        for b in a.matrix.blocks
        if b.relation is Relation.OTHER_NODE and b.dst_kind is PeerKind.HOST
    )
    if pairs <= 0:
        return
    yield info.finding(
        message=f"WireGuard encrypts pod traffic only; {pairs} endpoint pairs on allowed paths "
        "to other nodes' addresses (kubelet, node services, hostNetwork pods) travel in clear "
        "because wireguardHostEncryptionEnabled is off.",
        encrypted="false",
        count=pairs,
    )


ENCAPSULATION = RuleInfo(
    "PST-ENC-004",
    Severity.LOW,
    "IPIP/VXLAN encapsulation is not encryption",
    MEASURE,
    "Encapsulation only tunnels packets; enable WireGuard for confidentiality.",
)


def encapsulation(a: Analysis, info: RuleInfo) -> Iterable[Finding]:
    snap = a.snapshot
    encap = [
        p
        for p in snap.ip_pools
        if not p.disabled and (p.ipip.value != "Never" or p.vxlan.value != "Never")
    ]
    if not encap:
        return
    clear = sum(
        b.pairs - b.encrypted_pairs
        for b in a.matrix.blocks
        if b.relation is Relation.OTHER_NODE and b.dst_kind is PeerKind.POD
    )
    if clear <= 0:
        return
    pools = ", ".join(
        f"{p.name} (IPIP {p.ipip.value})"
        if p.ipip.value != "Never"
        else f"{p.name} (VXLAN {p.vxlan.value})"
        for p in encap
    )
    yield info.finding(
        message=f"IP pools {pools} encapsulate cross-node traffic to pods, but {clear} allowed "
        "endpoint pairs (pods or nodes to pods on other nodes) are still unencrypted: the "
        "tunnel hides nothing from anyone on the node network.",
        encrypted="false",
        count=clear,
    )


def register(registry: Registry) -> None:
    registry.add(WIREGUARD_OFF, wireguard_off)
    registry.add(NODES_WITHOUT_KEY, nodes_without_key)
    registry.add(HOST_CLEAR, host_clear)
    registry.add(ENCAPSULATION, encapsulation)
