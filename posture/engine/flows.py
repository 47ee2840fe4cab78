"""Sets of (protocol, port) pairs: the space a verdict is computed over.

A flow space maps protocol keys to :class:`PortSet`. The port dimension means the destination
port for TCP/UDP/SCTP, ``type * 256 + code`` for ICMP/ICMPv6 (so ``icmp: {type: 8}`` is the
interval 2048-2303), and is unused (always full) for other protocols. Protocols never named by
any rule behave identically, so they share one key, :data:`OTHER`; the set of explicit keys is
the snapshot's :class:`Universe`, fixed for one analysis.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from posture.model.net import PORTED_PROTOCOLS, PortSet, protocol_name

OTHER = -1  # every protocol number not in the universe
ICMP_PROTOCOLS = frozenset({1, 58})
BASE_PROTOCOLS = (6, 17, 132, 1, 58, 136)


@dataclass(frozen=True, slots=True)
class Universe:
    """The protocol keys one analysis distinguishes."""

    protocols: tuple[int, ...]

    @classmethod
    def of(cls, extra: Iterable[int] = ()) -> Universe:
        keys = dict.fromkeys(BASE_PROTOCOLS)
        keys.update(dict.fromkeys(sorted(set(extra) - set(BASE_PROTOCOLS))))
        return cls((*keys, OTHER))

    def key(self, protocol: int) -> int:
        return protocol if protocol in self.protocols else OTHER

    def full(self) -> Flows:
        return Flows(dict.fromkeys(self.protocols, PortSet.FULL))


class Flows:
    """An immutable set of (protocol key, port) pairs."""

    __slots__ = ("_hash", "_map")

    def __init__(self, mapping: dict[int, PortSet] | None = None) -> None:
        self._map: dict[int, PortSet] = {k: v for k, v in (mapping or {}).items() if v}
        self._hash: int | None = None

    @staticmethod
    def single(protocol: int, ports: PortSet) -> Flows:
        return Flows({protocol: ports})

    def __bool__(self) -> bool:
        return bool(self._map)

    def __and__(self, other: Flows) -> Flows:
        if not self._map or not other._map:
            return EMPTY
        return Flows({k: v & other._map[k] for k, v in self._map.items() if k in other._map})

    def __or__(self, other: Flows) -> Flows:
        if not other._map:
            return self
        if not self._map:
            return other
        out = dict(self._map)
        for k, v in other._map.items():
            out[k] = out[k] | v if k in out else v
        return Flows(out)

    def __sub__(self, other: Flows) -> Flows:
        if not other._map or not self._map:
            return self
        return Flows(
            {k: (v - other._map[k]) if k in other._map else v for k, v in self._map.items()}
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Flows) and self._map == other._map

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._map.items()))
        return self._hash

    def items(self) -> Iterator[tuple[int, PortSet]]:
        return iter(sorted(self._map.items(), key=lambda kv: _proto_order(kv[0])))

    def ports(self, protocol: int) -> PortSet:
        return self._map.get(protocol, PortSet.EMPTY)

    def __contains__(self, item: tuple[int, int]) -> bool:
        proto, port = item
        return port in self._map.get(proto, PortSet.EMPTY)

    def describe(self, universe: Universe | None = None) -> str:
        """Human form: ``TCP 80,443; UDP 53; ICMP *`` (``all traffic`` when it is the universe)."""
        return describe(self, universe)

    def __repr__(self) -> str:
        return f"Flows({describe(self)})"


EMPTY = Flows()


def _proto_order(p: int) -> tuple[int, int]:
    return (BASE_PROTOCOLS.index(p), p) if p in BASE_PROTOCOLS else (100, p if p >= 0 else 999)


def describe(flows: Flows, universe: Universe | None = None) -> str:
    if not flows:
        return "nothing"
    if universe is not None and flows == universe.full():
        return "all traffic"
    parts = []
    for proto, ports in flows.items():
        name = "other protocols" if proto == OTHER else protocol_name(proto)
        if proto in PORTED_PROTOCOLS:
            parts.append(f"{name} {ports}")
        elif proto in ICMP_PROTOCOLS and not ports.is_full():
            kinds = ",".join(_icmp_text(lo, hi) for lo, hi in ports.intervals)
            parts.append(f"{name} {kinds}")
        else:
            parts.append(f"{name} *" if proto in ICMP_PROTOCOLS else name)
    return "; ".join(parts)


def _icmp_text(lo: int, hi: int) -> str:
    if lo % 256 == 0 and hi % 256 == 255:
        t1, t2 = lo // 256, hi // 256
        return f"type {t1}" if t1 == t2 else f"types {t1}-{t2}"
    if lo == hi:
        return f"type {lo // 256} code {lo % 256}"
    return f"{lo // 256}/{lo % 256}-{hi // 256}/{hi % 256}"


def icmp_ports(icmp_type: int, code: int | None) -> PortSet:
    """ICMP type (and code) as an interval of the ICMP port dimension."""
    base = icmp_type * 256
    if code is not None:
        return PortSet.range(base + code, base + code)
    return PortSet.range(base, base + 255)


# IP protocols named in ``--port`` beyond Calico's rule names (IANA protocol numbers:
# https://www.iana.org/assignments/protocol-numbers): the infrastructure traffic people ask about.
_EXTRA_PROTOCOLS = {"IPIP": 4, "GRE": 47, "ESP": 50}


def _flow_protocol(text: str) -> int:
    from posture.model.net import parse_protocol

    named = _EXTRA_PROTOCOLS.get(text.upper())
    if named is not None:
        return named
    if text.isdigit():
        raise ValueError(
            f"{text!r}: a bare number is a TCP port; write proto/{text} or {text}/IP for IP "
            "protocol " + text
        )
    return parse_protocol(text)


def parse_flow(text: str, universe: Universe) -> Flows:
    """What ``--port`` (and every flag taking a port) means, as NetworkPolicy and kubectl read
    a port without a protocol: ``443`` and ``8000-8080`` are TCP ports;
    ``443/TCP``, ``53/udp``, ``8/icmp`` (ICMP type) a port of a protocol; ``TCP`` or ``IPIP``
    every port of a protocol; an IP protocol by number only explicitly: ``proto/4`` or
    ``4/IP`` (never a bare ``4``)."""
    text = text.strip()
    if "/" in text:
        left, right = (part.strip() for part in text.split("/", 1))
        if left.lower() == "proto":
            return Flows.single(universe.key(_protocol_number(right)), PortSet.FULL)
        if right.upper() == "IP":
            return Flows.single(universe.key(_protocol_number(left)), PortSet.FULL)
        port_text, proto = left, _flow_protocol(right)
    elif text[:1].isdigit():
        port_text, proto = text, 6  # TCP, as NetworkPolicy's and kubectl's default protocol
    else:
        port_text, proto = "", _flow_protocol(text)
    key = universe.key(proto)
    if not port_text:
        return Flows.single(key, PortSet.FULL)
    ports = PortSet.parse(port_text)
    if key in ICMP_PROTOCOLS:
        out = PortSet.EMPTY
        for lo, hi in ports.intervals:
            out = out | PortSet.range(lo * 256, hi * 256 + 255)
        ports = out
    return Flows.single(key, ports)


def _protocol_number(text: str) -> int:
    from posture.model.net import parse_protocol

    if not text.isdigit():
        raise ValueError(f"{text!r}: expected an IP protocol number 1-255")
    return parse_protocol(int(text))
