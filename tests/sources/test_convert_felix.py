"""Effective Felix settings (calico-semantics §1.6 precedence, §5.5 failsafes, §5.6 the
DefaultEndpointToHostAction of standard installs, §6.5 the operator's Installation)."""

from __future__ import annotations

from typing import Any

import pytest

from posture.errors import InputError
from posture.model.snapshot import EndpointToHostAction, Failsafe
from posture.sources.convert_felix import (
    DEFAULT_FAILSAFE_INBOUND,
    FelixInputs,
    felix_env,
    settings_for,
)
from tests.support import snapshot_of


def inputs(**kw: Any) -> FelixInputs:
    kw.setdefault("configs", {})
    kw.setdefault("env", {})
    return FelixInputs(**kw)


@pytest.mark.parametrize(
    ("case", "felix", "node", "action", "origin"),
    [
        (
            "built-in default when the DaemonSet was read without the env var",
            inputs(),
            None,
            EndpointToHostAction.DROP,
            "Felix built-in default",
        ),
        (
            "assumed ACCEPT when the DaemonSet was not read",
            inputs(env=None),
            None,
            EndpointToHostAction.ACCEPT,
            "assumed",
        ),
        (
            "the operator sets ACCEPT",
            inputs(env=None, operator_installed=True),
            None,
            EndpointToHostAction.ACCEPT,
            "tigera-operator",
        ),
        (
            "FelixConfiguration default",
            inputs(configs={"default": {"defaultEndpointToHostAction": "Accept"}}),
            None,
            EndpointToHostAction.ACCEPT,
            "FelixConfiguration default",
        ),
        (
            "node.<name> beats default",
            inputs(
                configs={
                    "default": {"defaultEndpointToHostAction": "Accept"},
                    "node.n1": {"defaultEndpointToHostAction": "Drop"},
                }
            ),
            "n1",
            EndpointToHostAction.DROP,
            "FelixConfiguration node.n1",
        ),
        (
            "env beats FelixConfiguration",
            inputs(
                configs={"node.n1": {"defaultEndpointToHostAction": "Drop"}},
                env={"DEFAULTENDPOINTTOHOSTACTION": "RETURN"},
            ),
            "n1",
            EndpointToHostAction.RETURN,
            "calico-node env",
        ),
        (
            "the command-line flag beats everything",
            inputs(env={"DEFAULTENDPOINTTOHOSTACTION": "ACCEPT"}, endpoint_to_host_override="DROP"),
            None,
            EndpointToHostAction.DROP,
            "command-line flag",
        ),
    ],
)
def test_endpoint_to_host_precedence(
    case: str, felix: FelixInputs, node: str | None, action: EndpointToHostAction, origin: str
) -> None:
    s = settings_for(felix, node)
    assert s.endpoint_to_host is action, case
    assert s.origin_of("defaultEndpointToHostAction").startswith(origin), case


def test_failsafe_defaults_and_env_form() -> None:
    assert settings_for(inputs(), None).failsafe_inbound == DEFAULT_FAILSAFE_INBOUND
    env = {
        "FAILSAFEINBOUNDHOSTPORTS": "tcp:22,udp:10.0.0.0/8:68",
        "FAILSAFEOUTBOUNDHOSTPORTS": "none",
    }
    s = settings_for(inputs(env=env), None)
    assert s.failsafe_inbound == (Failsafe(6, 22), Failsafe(17, 68, "10.0.0.0/8"))
    assert s.failsafe_outbound == ()


def test_failsafe_yaml_form() -> None:
    s = settings_for(
        inputs(
            configs={
                "default": {
                    "failsafeInboundHostPorts": [
                        {"protocol": "TCP", "port": 22, "net": "192.168.0.0/16"}
                    ]
                }
            }
        ),
        None,
    )
    assert s.failsafe_inbound == (Failsafe(6, 22, "192.168.0.0/16"),)


def test_bad_setting_is_an_input_error() -> None:
    with pytest.raises(InputError, match="defaultEndpointToHostAction: must be Drop, Accept"):
        settings_for(inputs(configs={"default": {"defaultEndpointToHostAction": "Maybe"}}), None)


def test_wireguard_and_bpf() -> None:
    s = settings_for(
        inputs(
            configs={"default": {"wireguardEnabled": True}, "node.n2": {"wireguardEnabled": False}}
        ),
        "n2",
    )
    assert s.wireguard_v4 is False
    assert settings_for(inputs(installation_dataplane="BPF"), None).bpf is True
    explicit = inputs(installation_dataplane="BPF", configs={"default": {"bpfEnabled": False}})
    assert settings_for(explicit, None).bpf is False


def _ds(name: str, *containers: dict[str, Any], namespace: str = "kube-system") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"template": {"spec": {"containers": list(containers)}}},
    }


def _c(name: str, image: str, **env: str) -> dict[str, Any]:
    return {"name": name, "image": image, "env": [{"name": k, "value": v} for k, v in env.items()]}


# Felix reads FELIX_* case-insensitively: felix/config/env_var_loader.go LoadConfigFromEnvironment
# lower-cases the whole key before matching the "felix_" prefix. Canal's DaemonSet is "canal" with
# a "calico-node" container (manifests/canal.yaml in projectcalico/calico).
@pytest.mark.parametrize(
    ("case", "objects", "expected"),
    [
        (
            "calico-node DaemonSet, upper case",
            [_ds("calico-node", _c("calico-node", "calico/node", FELIX_WIREGUARDENABLED="true"))],
            {"WIREGUARDENABLED": "true"},
        ),
        (
            "mixed-case prefix and name, as Felix reads them",
            [_ds("calico-node", _c("calico-node", "x", Felix_WireguardEnabled="true"))],
            {"WIREGUARDENABLED": "true"},
        ),
        (
            "Canal's canal DaemonSet",
            [
                _ds(
                    "canal",
                    _c("calico-node", "quay.io/calico/node:v3.31.7", FELIX_BPFENABLED="true"),
                )
            ],
            {"BPFENABLED": "true"},
        ),
        (
            "a custom DaemonSet and container name, recognised by the image",
            [_ds("net", _c("agent", "registry.local/calico/node@sha256:ab", FELIX_BPFENABLED="1"))],
            {"BPFENABLED": "1"},
        ),
        (
            "a later entry wins, as in the process environment",
            [
                _ds(
                    "calico-node",
                    _c("calico-node", "x", FELIX_BPFENABLED="true", felix_bpfenabled="false"),
                )
            ],
            {"BPFENABLED": "false"},
        ),
        (
            "calico-node preferred over another DaemonSet running Felix",
            [
                _ds("a-node", _c("calico-node", "x", FELIX_BPFENABLED="false")),
                _ds("calico-node", _c("calico-node", "x", FELIX_BPFENABLED="true")),
            ],
            {"BPFENABLED": "true"},
        ),
        (
            "a DaemonSet running Felix with no settings is known and empty",
            [_ds("calico-node", _c("calico-node", "x", CALICO_NETWORKING_BACKEND="bird"))],
            {},
        ),
        ("negative: no DaemonSet running Felix", [_ds("kube-proxy", _c("kube-proxy", "k"))], None),
        (
            "negative: FELIX_ env of a container not running Felix",
            [
                _ds(
                    "kube-proxy",
                    _c("kube-proxy", "registry.k8s.io/kube-proxy", FELIX_BPFENABLED="x"),
                )
            ],
            None,
        ),
        (
            "negative: an image merely named node",
            [_ds("exporter", _c("exporter", "prom/node-exporter", FELIX_BPFENABLED="x"))],
            None,
        ),
        (
            "negative: a bare FELIX_ and a prefix inside the name",
            [_ds("calico-node", _c("calico-node", "x", FELIX_="a", NOT_FELIX_X="b"))],
            {},
        ),
    ],
)
def test_felix_env_reader(
    case: str, objects: list[dict[str, Any]], expected: dict[str, str] | None
) -> None:
    assert felix_env(objects) == expected, case


def test_felix_env_skips_value_from_and_sidecars() -> None:
    ds = _ds(
        "calico-node",
        {
            "name": "calico-node",
            "env": [
                {"name": "FELIX_WIREGUARDENABLED", "value": "true"},
                {"name": "FELIX_IPINIPMTU", "valueFrom": {"configMapKeyRef": {"name": "x"}}},
            ],
        },
        _c("sidecar", "busybox", FELIX_BPFENABLED="true"),
    )
    assert felix_env([ds]) == {"WIREGUARDENABLED": "true"}


def test_canal_settings_reach_the_snapshot() -> None:
    """The Felix settings of Canal's DaemonSet decide the snapshot's Felix settings."""
    ds = _ds("canal", _c("calico-node", "calico/node", felix_wireguardenabled="true"))
    snap = snapshot_of(ds)
    assert snap.felix.wireguard_v4 is True
    assert any("WIREGUARDENABLED" in o.origin for o in snap.felix.origins)
