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
    calico_node_env,
    settings_for,
)


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


def test_calico_node_env_reads_literal_felix_values_only() -> None:
    ds = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "calico-node",
                            "env": [
                                {"name": "FELIX_WIREGUARDENABLED", "value": "true"},
                                {
                                    "name": "FELIX_IPINIPMTU",
                                    "valueFrom": {"configMapKeyRef": {"name": "x"}},
                                },
                                {"name": "CALICO_NETWORKING_BACKEND", "value": "bird"},
                            ],
                        },
                        {"name": "sidecar", "env": [{"name": "FELIX_BPFENABLED", "value": "true"}]},
                    ]
                }
            }
        }
    }
    assert calico_node_env(ds) == {"WIREGUARDENABLED": "true"}
