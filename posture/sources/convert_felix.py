"""Effective Felix settings per node: env of the container running Felix >
``node.<name>`` FelixConfiguration > ``default`` FelixConfiguration > built-in default
(calico-semantics §1.6, §5.5, §5.6, §6.1).

DefaultEndpointToHostAction needs care: Felix's built-in default is DROP, but every standard
install (manifests and tigera-operator) sets ``FELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT`` on the
calico-node container. When the DaemonSet was not read (offline manifests without it), posture
assumes ACCEPT and says so; the CLI can override it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from posture.errors import InputError
from posture.model.net import parse_protocol
from posture.model.snapshot import EndpointToHostAction, Failsafe, FelixSettings, Setting

# felix/config/config_params.go defaults, identical v3.27.0–v3.32.1 (§5.5).
DEFAULT_FAILSAFE_INBOUND = tuple(
    Failsafe(parse_protocol(p), n)
    for p, n in [
        ("tcp", 22),
        ("udp", 68),
        ("tcp", 179),
        ("tcp", 2379),
        ("tcp", 2380),
        ("tcp", 5473),
        ("tcp", 6443),
        ("tcp", 6666),
        ("tcp", 6667),
    ]
)
DEFAULT_FAILSAFE_OUTBOUND = tuple(
    Failsafe(parse_protocol(p), n)
    for p, n in [
        ("udp", 53),
        ("udp", 67),
        ("tcp", 179),
        ("tcp", 2379),
        ("tcp", 2380),
        ("tcp", 5473),
        ("tcp", 6443),
        ("tcp", 6666),
        ("tcp", 6667),
    ]
)

_FIELDS = {
    # FelixConfiguration spec field -> env var name (without FELIX_)
    "defaultEndpointToHostAction": "DEFAULTENDPOINTTOHOSTACTION",
    "failsafeInboundHostPorts": "FAILSAFEINBOUNDHOSTPORTS",
    "failsafeOutboundHostPorts": "FAILSAFEOUTBOUNDHOSTPORTS",
    "wireguardEnabled": "WIREGUARDENABLED",
    "wireguardEnabledV6": "WIREGUARDENABLEDV6",
    "wireguardHostEncryptionEnabled": "WIREGUARDHOSTENCRYPTIONENABLED",
    "bpfEnabled": "BPFENABLED",
    "natOutgoingExclusions": "NATOUTGOINGEXCLUSIONS",
}


@dataclass(frozen=True, slots=True)
class FelixInputs:
    """What the converter found: FelixConfiguration specs by name, the calico-node env
    (None when the DaemonSet was not read), and a forced endpoint-to-host action."""

    configs: Mapping[str, Mapping[str, Any]]
    env: Mapping[str, str] | None
    operator_installed: bool = False
    # Installation default spec.calicoNetwork.linuxDataplane (Iptables, BPF, Nftables, VPP).
    installation_dataplane: str = ""
    endpoint_to_host_override: str | None = None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def _failsafes_yaml(where: str, raw: Any) -> tuple[Failsafe, ...]:
    if not isinstance(raw, list):
        raise InputError(f"{where}: must be a list of {{protocol, port, net}}")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or "port" not in item:
            raise InputError(f"{where}[{i}]: must be a mapping with a port")
        try:
            proto = parse_protocol(item.get("protocol") or "tcp")
        except ValueError as e:
            raise InputError(f"{where}[{i}].protocol: {e}") from None
        out.append(Failsafe(proto, int(item["port"]), str(item.get("net") or "")))
    return tuple(sorted(out))


def _failsafes_env(where: str, raw: str) -> tuple[Failsafe, ...]:
    """``proto:port`` or ``proto:cidr:port`` entries; only tcp/udp (PortListParam.Parse)."""
    text = raw.strip()
    if text.lower() in ("", "none", "[]"):
        return ()
    out = []
    for entry in text.split(","):
        parts = entry.strip().split(":")
        if len(parts) == 1:
            proto, net, port = "tcp", "", parts[0]
        elif len(parts) == 2:
            proto, net, port = parts[0], "", parts[1]
        else:
            proto, net, port = parts[0], ":".join(parts[1:-1]).strip("[]"), parts[-1]
        if proto.lower() not in ("tcp", "udp") or not port.isdigit():
            raise InputError(f"{where}: invalid failsafe entry {entry!r}")
        out.append(Failsafe(parse_protocol(proto), int(port), net))
    return tuple(sorted(out))


def _action(where: str, raw: Any) -> EndpointToHostAction:
    text = str(raw).strip().upper()
    try:
        return EndpointToHostAction(text)
    except ValueError:
        raise InputError(f"{where}: must be Drop, Accept or Return, not {raw!r}") from None


def settings_for(inputs: FelixInputs, node: str | None) -> FelixSettings:
    """Effective settings for ``node`` (None = the cluster-wide default)."""
    layers: list[tuple[str, Mapping[str, Any]]] = []
    if "default" in inputs.configs:
        layers.append(("FelixConfiguration default", inputs.configs["default"]))
    if node is not None and f"node.{node}" in inputs.configs:
        layers.append((f"FelixConfiguration node.{node}", inputs.configs[f"node.{node}"]))
    values: dict[str, tuple[Any, str]] = {}
    for origin, spec in layers:
        for fld in _FIELDS:
            if spec.get(fld) is not None:
                values[fld] = (spec[fld], origin)
    env = inputs.env or {}
    for fld, env_name in _FIELDS.items():
        if env_name in env:
            values[fld] = (env[env_name], f"calico-node env FELIX_{env_name}")

    def get(fld: str) -> tuple[Any, str] | None:
        return values.get(fld)

    origins: list[Setting] = []
    e2h = get("defaultEndpointToHostAction")
    if inputs.endpoint_to_host_override:
        action = _action("--endpoint-to-host", inputs.endpoint_to_host_override)
        origins.append(Setting("defaultEndpointToHostAction", action.value, "command-line flag"))
    elif e2h is not None:
        action = _action(f"{e2h[1]}: defaultEndpointToHostAction", e2h[0])
        origins.append(Setting("defaultEndpointToHostAction", action.value, e2h[1]))
    elif inputs.env is None or inputs.operator_installed:
        action = EndpointToHostAction.ACCEPT
        why = (
            "tigera-operator sets FELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT"
            if inputs.operator_installed
            else "assumed: calico-node DaemonSet not read; standard installs set ACCEPT"
        )
        origins.append(Setting("defaultEndpointToHostAction", action.value, why))
    else:
        action = EndpointToHostAction.DROP
        origins.append(Setting("defaultEndpointToHostAction", "DROP", "Felix built-in default"))

    def failsafes(fld: str, default: tuple[Failsafe, ...]) -> tuple[Failsafe, ...]:
        v = get(fld)
        if v is None:
            return default
        origins.append(Setting(fld, str(v[0]), v[1]))
        where = f"{v[1]}: {fld}"
        return (
            _failsafes_env(where, v[0]) if isinstance(v[0], str) else _failsafes_yaml(where, v[0])
        )

    def flag(fld: str) -> bool:
        v = get(fld)
        if v is None:
            return False
        origins.append(Setting(fld, str(v[0]).lower(), v[1]))
        return _bool(v[0])

    inbound = failsafes("failsafeInboundHostPorts", DEFAULT_FAILSAFE_INBOUND)
    outbound = failsafes("failsafeOutboundHostPorts", DEFAULT_FAILSAFE_OUTBOUND)
    nat_excl = get("natOutgoingExclusions")
    return FelixSettings(
        endpoint_to_host=action,
        failsafe_inbound=inbound,
        failsafe_outbound=outbound,
        wireguard_v4=flag("wireguardEnabled"),
        wireguard_v6=flag("wireguardEnabledV6"),
        wireguard_host=flag("wireguardHostEncryptionEnabled"),
        bpf=_bpf(inputs, get("bpfEnabled"), flag, origins),
        nat_outgoing_exclude_hosts=nat_excl is not None and str(nat_excl[0]) == "IPPoolsAndHostIPs",
        origins=tuple(origins),
    )


def _bpf(
    inputs: FelixInputs,
    explicit: tuple[Any, str] | None,
    flag: Callable[[str], bool],
    origins: list[Setting],
) -> bool:
    """eBPF dataplane: Felix's own setting, else the operator's Installation (§6.5)."""
    if explicit is not None or inputs.installation_dataplane != "BPF":
        return flag("bpfEnabled")
    origins.append(
        Setting("bpfEnabled", "true", "Installation default spec.calicoNetwork.linuxDataplane")
    )
    return True


def per_node(inputs: FelixInputs, nodes: Iterable[str]) -> dict[str, FelixSettings]:
    """Settings for nodes that have their own ``node.<name>`` FelixConfiguration."""
    return {n: settings_for(inputs, n) for n in nodes if f"node.{n}" in inputs.configs}


# Containers that run Felix: calico-node in the manifest, operator and Canal installs (Canal's
# DaemonSet is ``canal``; its Felix container is still ``calico-node``, manifests/canal.yaml),
# or any container of a Calico/Tigera node or Felix image under a custom name.
_FELIX_CONTAINER_NAMES = frozenset({"calico-node", "felix"})
_FELIX_IMAGE = re.compile(r"(?:^|/)(?:calico|tigera)/(?:node|cnx-node|felix)(?:[:@]|$)")
_PREFIX = "FELIX_"


def runs_felix(container: Mapping[str, Any]) -> bool:
    """Whether a pod-template container runs Felix (by its name or its image)."""
    if str(container.get("name") or "") in _FELIX_CONTAINER_NAMES:
        return True
    return bool(_FELIX_IMAGE.search(str(container.get("image") or "")))


def felix_env_of(env: Any) -> dict[str, str]:
    """Felix's settings in one container's ``env`` list: name without the prefix, upper case ->
    literal value.

    Felix matches the ``FELIX_`` prefix and the parameter name case-insensitively
    (felix/config/env_var_loader.go ``LoadConfigFromEnvironment`` lower-cases the whole key), so
    ``felix_WireguardEnabled`` and ``FELIX_WIREGUARDENABLED`` are the same setting; a later
    entry wins, as in the process environment. ``valueFrom`` cannot be resolved offline and is
    skipped."""
    out: dict[str, str] = {}
    for var in env if isinstance(env, list) else ():
        if not isinstance(var, Mapping) or "value" not in var:
            continue
        name = str(var.get("name") or "")
        if name[: len(_PREFIX)].upper() == _PREFIX and len(name) > len(_PREFIX):
            out[name[len(_PREFIX) :].upper()] = str(var["value"])
    return out


def daemonset_felix_env(daemonset: Mapping[str, Any]) -> dict[str, str] | None:
    """The Felix settings of a DaemonSet whose pods run Felix, else None. A DaemonSet named
    ``calico-node`` runs Felix whatever its containers say."""
    template = (daemonset.get("spec") or {}).get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or []
    felix = [c for c in containers if isinstance(c, Mapping) and runs_felix(c)]
    if not felix and (daemonset.get("metadata") or {}).get("name") != "calico-node":
        return None
    env: dict[str, str] = {}
    for c in felix:
        env.update(felix_env_of(c.get("env")))
    return env


def felix_env(objects: Iterable[Mapping[str, Any]]) -> dict[str, str] | None:
    """THE reader of Felix's environment: the settings of the first DaemonSet running Felix
    (``calico-node`` first, then by namespace and name), None when no such DaemonSet was read.
    Every source and the converter use this one function."""
    found = []
    for obj in objects:
        if not isinstance(obj, Mapping) or obj.get("kind") != "DaemonSet":
            continue
        env = daemonset_felix_env(obj)
        if env is not None:
            meta = obj.get("metadata") or {}
            name = str(meta.get("name") or "")
            found.append(((name != "calico-node", str(meta.get("namespace") or ""), name), env))
    return min(found, key=lambda f: f[0])[1] if found else None
