"""Encryption: PST-ENC-001 … PST-ENC-004 (calico-semantics §6).

The base cluster has two nodes that both publish a WireGuard key, pods on each, no policy (so
pod ↔ pod, pod → node and node ↔ node paths are all allowed across nodes) and no
FelixConfiguration (WireGuard's built-in default is off).
"""

from __future__ import annotations

import pytest

from posture.findings.model import Severity
from tests.findings.conftest import CheckFn, of, one, subjects
from tests.support.builders import N2, felix, gnp, ip_pool, node

WG_ON = felix(wireguardEnabled=True)
WG_ON_WITH_HOSTS = felix(wireguardEnabled=True, wireguardHostEncryptionEnabled=True)
N2_WITHOUT_KEY = node("n2", N2, wg_key=False)
ALL_PODS = "projectcalico.org/orchestrator == 'k8s'"

# --- PST-ENC-001: WireGuard off ------------------------------------------------------------------


def test_enc_001_wireguard_off_everywhere(check: CheckFn) -> None:
    f = one(check(), "PST-ENC-001")
    assert f.severity is Severity.HIGH
    assert f.encrypted == "false"
    assert subjects(f) == {"Node n1", "Node n2"}
    # Only paths to pods, which WireGuard would encrypt (§6.3): pod a ↔ pod b (2) and
    # node → the other node's pod (2). Across namespaces: the two pod ↔ pod pairs.
    assert f.message == (
        "WireGuard is not enabled (built-in default); 4 endpoint pairs on allowed cross-node "
        "paths travel unencrypted, 2 of them to node services or across namespaces."
    )
    assert f.count == 4


def test_enc_001_names_the_setting_that_disables_it(check: CheckFn) -> None:
    f = one(check(felix(wireguardEnabled=False)), "PST-ENC-001")
    assert f.message.startswith("WireGuard is not enabled (FelixConfiguration default);")


def test_enc_001_one_node_disabled_by_its_own_configuration(check: CheckFn) -> None:
    f = one(check(WG_ON, felix("node.n2", wireguardEnabled=False)), "PST-ENC-001")
    assert f.message.startswith(
        "WireGuard is disabled on 1 of 2 nodes (n2; FelixConfiguration node.n2); "
    )
    assert subjects(f) == {"Node n2"}
    # A node that has WireGuard disabled is not also reported as publishing no key.
    assert not of(check(WG_ON, felix("node.n2", wireguardEnabled=False)), "PST-ENC-002")


def test_enc_001_not_when_wireguard_is_on(check: CheckFn) -> None:
    assert not of(check(WG_ON), "PST-ENC-001")


def test_enc_001_not_on_a_single_node(check: CheckFn) -> None:
    assert not of(check(drop=["Node/n2", "Pod/db-1"]), "PST-ENC-001")


# --- PST-ENC-002: WireGuard on, node without key -------------------------------------------------


def test_enc_002_node_publishes_no_key(check: CheckFn) -> None:
    f = one(check(WG_ON, N2_WITHOUT_KEY), "PST-ENC-002")
    assert f.severity is Severity.HIGH
    assert subjects(f) == {"Node n2"}
    assert f.message == (
        "WireGuard is enabled but 1 of 2 nodes publish no public key (n2); 8 endpoint pairs "
        "on allowed cross-node paths to or from them travel unencrypted."
    )
    assert f.encrypted == "false"


def test_enc_002_not_when_every_node_publishes_a_key(check: CheckFn) -> None:
    assert not of(check(WG_ON), "PST-ENC-002")


def test_enc_002_not_when_wireguard_is_off(check: CheckFn) -> None:
    """Without WireGuard, a missing key is expected: PST-ENC-001 reports the cluster."""
    report = check(N2_WITHOUT_KEY)
    assert not of(report, "PST-ENC-002")
    one(report, "PST-ENC-001")


# --- PST-ENC-003: host encryption off ----------------------------------------------------------


def test_enc_003_paths_to_node_addresses_in_clear(check: CheckFn) -> None:
    f = one(check(WG_ON), "PST-ENC-003")
    assert f.severity is Severity.MEDIUM
    # pods → the other node (2) and node ↔ node (2); pod ↔ pod is encrypted.
    assert f.message == (
        "WireGuard encrypts pod traffic only; 4 endpoint pairs on allowed paths to other "
        "nodes' addresses (kubelet, node services, hostNetwork pods) travel in clear because "
        "wireguardHostEncryptionEnabled is off."
    )
    assert f.count == 4


def test_enc_003_not_with_host_encryption(check: CheckFn) -> None:
    assert not of(check(WG_ON_WITH_HOSTS), "PST-ENC-003")


def test_enc_003_not_when_wireguard_is_off(check: CheckFn) -> None:
    assert not of(check(), "PST-ENC-003")


# --- PST-ENC-004: encapsulation is not encryption ----------------------------------------------

PODS_FROM_PODS = gnp(
    "pods-from-pods",
    selector=ALL_PODS,
    types=["Ingress"],
    ingress=[{"action": "Allow", "source": {"selector": ALL_PODS}}],
)


@pytest.mark.parametrize(
    ("pool", "shown"),
    [
        (ip_pool(ipip="Always"), "default-ipv4 (IPIP Always)"),
        (ip_pool(ipip="CrossSubnet"), "default-ipv4 (IPIP CrossSubnet)"),
        (ip_pool(vxlan="Always"), "default-ipv4 (VXLAN Always)"),
        (ip_pool(vxlan="CrossSubnet"), "default-ipv4 (VXLAN CrossSubnet)"),
    ],
    ids=["ipip", "ipip-cross-subnet", "vxlan", "vxlan-cross-subnet"],
)
def test_enc_004_encapsulated_pool_with_clear_pod_traffic(
    check: CheckFn, pool: dict[str, object], shown: str
) -> None:
    f = one(check(pool, PODS_FROM_PODS), "PST-ENC-004")
    assert f.severity is Severity.LOW
    # pod a ↔ pod b across nodes (node → pod is closed by PODS_FROM_PODS).
    assert f.message.startswith(
        f"IP pools {shown} encapsulate cross-node traffic to pods, but 2 allowed endpoint "
        "pairs (pods or nodes to pods on other nodes) are still unencrypted"
    )
    assert f.count == 2


def test_enc_004_not_without_encapsulation(check: CheckFn) -> None:
    assert not of(check(), "PST-ENC-004")


def test_enc_004_not_when_wireguard_encrypts_pod_traffic(check: CheckFn) -> None:
    assert not of(check(ip_pool(ipip="Always"), WG_ON), "PST-ENC-004")


def test_enc_004_not_when_no_pod_to_pod_path_is_allowed(check: CheckFn) -> None:
    deny = gnp("default-deny", selector=ALL_PODS, types=["Ingress", "Egress"])
    assert not of(check(ip_pool(ipip="Always"), deny), "PST-ENC-004")
