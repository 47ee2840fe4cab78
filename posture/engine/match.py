"""Does a rule match traffic between two peers, and for which (protocol, port) pairs?

Everything a rule specifies is ANDed (calico-semantics §4.3). The peer-dependent fields
(selectors, nets, named ports, services) give yes/no for a given pair of peers; protocol, ICMP
and destination ports give the matched part of the flow space.

Source ports are not a dimension of the space: a new connection's source port is chosen by the
client. A rule constrained on source ports is therefore treated as matching when it allows
(some connection can be made) and as not matching when it denies or passes (other source ports
get through) — reachability is over-approximated, never under-approximated, and the step says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from posture.engine.flows import EMPTY, ICMP_PROTOCOLS, Flows, Universe, icmp_ports
from posture.engine.members import Members, ServiceKey
from posture.engine.peers import Peer, PeerKind
from posture.model.net import PORTED_PROTOCOLS, PortSet
from posture.model.policy import Action, EntityMatch, PortMatch, Rule
from posture.selectors import Selector

SOURCE_PORT_NOTE = "source-port condition ignored: any client can pick its source port"


@dataclass(frozen=True, slots=True)
class MatchContext:
    universe: Universe
    services: Mapping[ServiceKey, Members]  # members of each Service (§4.6)
    # Matching reply packets (untracked policy, §5.5): the flow space's port is the packet's
    # *source* port, and the destination port is the client's ephemeral one.
    reply: bool = False


def _any_owner(sel: Selector, peer: Peer) -> bool:
    return any(sel.matches(o) for o in peer.owners)


def side_matches(ent: EntityMatch, peer: Peer, ctx: MatchContext) -> bool:
    """The address-identity part of one rule side (§4.2, §3.5)."""
    if ent.selector is not None and not _any_owner(ent.selector, peer):
        return False
    if ent.not_selector is not None and _any_owner(ent.not_selector, peer):
        return False
    if ent.nets is not None and not peer.region.issubset(ent.nets):
        return False
    # A rule whose notNets has no CIDR of this family is not rendered for it (§4.1).
    if ent.not_nets is not None and (
        peer.family not in ent.not_nets.families() or not peer.region.isdisjoint(ent.not_nets)
    ):
        return False
    if ent.services is not None:
        return _service_members(ent, peer, ctx) is not None
    return True


def _service_members(ent: EntityMatch, peer: Peer, ctx: MatchContext) -> Members | None:
    """The Service's members when ``peer`` is one of them (§4.6: by endpoint address, whatever
    kind of endpoint holds it: pod, node address, address outside the cluster)."""
    assert ent.services is not None
    members = ctx.services.get((ent.services.namespace, ent.services.name))
    if members is None or not peer.address or not members.has(peer.address):
        return None
    if peer.kind is PeerKind.EXTERNAL:
        cidrs = peer.region.to_cidrs()
        if len(cidrs) != 1 or not cidrs[0].endswith(("/32", "/128")):
            return None  # a wider region than one member address
    return members


def _named(names: frozenset[str], proto: int, peer: Peer, sel: Selector | None) -> PortSet:
    """Named ports resolve against the endpoints on that side that define them, restricted to
    the side's positive selector (§4.4)."""
    out = PortSet.EMPTY
    for idx, cp in peer.named_ports:
        selected = sel is None or sel.matches(peer.owners[idx])
        if cp.name in names and cp.protocol == proto and selected:
            out = out | PortSet.of(cp.port)
    return out


def _port_match(pm: PortMatch, proto: int, peer: Peer, sel: Selector | None) -> PortSet:
    ports = pm.numeric
    if pm.named:
        ports = ports | _named(pm.named, proto, peer, sel)
    return ports


def rule_flows(rule: Rule, src: Peer, dst: Peer, ctx: MatchContext) -> tuple[Flows, str]:
    """The part of the flow space this rule matches for src → dst, and a note when approximate."""
    if rule.ip_version is not None and rule.ip_version != dst.family:
        return EMPTY, ""
    note = ""
    if ctx.reply:
        return _reply_flows(rule, src, dst, ctx)
    if rule.source.ports is not None or rule.source.not_ports is not None:
        if rule.action is not Action.ALLOW:
            return EMPTY, ""
        note = SOURCE_PORT_NOTE
    if not side_matches(rule.source, src, ctx) or not side_matches(rule.destination, dst, ctx):
        return EMPTY, ""
    universe = ctx.universe
    if rule.protocol is not None:
        protos: tuple[int, ...] = (universe.key(rule.protocol),)
    else:
        protos = universe.protocols
    if rule.not_protocol is not None:
        excluded = universe.key(rule.not_protocol)
        protos = tuple(p for p in protos if p != excluded)
    out: dict[int, PortSet] = {}
    dst_ent = rule.destination
    members = _service_members(dst_ent, dst, ctx) if dst_ent.services is not None else None
    for proto in protos:
        ports = PortSet.FULL
        if proto in ICMP_PROTOCOLS:
            if rule.icmp is not None:
                ports = icmp_ports(rule.icmp.type, rule.icmp.code)
            if rule.not_icmp is not None:
                ports = ports - icmp_ports(rule.not_icmp.type, rule.not_icmp.code)
        elif proto in PORTED_PROTOCOLS:
            if dst_ent.ports is not None:
                ports = _port_match(dst_ent.ports, proto, dst, dst_ent.selector)
            if dst_ent.not_ports is not None:
                ports = ports - _port_match(dst_ent.not_ports, proto, dst, dst_ent.selector)
            if members is not None:
                # Destination members are (address, protocol, port) (§4.6).
                ports = ports & members.ports_of(dst.address, proto)
        elif dst_ent.ports is not None and not dst_ent.ports.empty:
            ports = PortSet.EMPTY  # ports only exist for TCP/UDP/SCTP
        if ports:
            out[proto] = ports
    return Flows(out), note


REPLY_NOTE = "reply packet: matched on its source port; destination-port conditions cannot hold"


def _reply_flows(rule: Rule, src: Peer, dst: Peer, ctx: MatchContext) -> tuple[Flows, str]:
    """The part of the (protocol, source port) space of reply packets src → dst this rule
    matches. A destination-port condition would have to hold for the client's ephemeral port,
    which nothing fixes: such rules are taken as not matching."""
    d = rule.destination
    if d.ports is not None or d.not_ports is not None:
        return EMPTY, ""
    if not side_matches(rule.source, src, ctx) or not side_matches(d, dst, ctx):
        return EMPTY, ""
    universe = ctx.universe
    protos = (universe.key(rule.protocol),) if rule.protocol is not None else universe.protocols
    if rule.not_protocol is not None:
        protos = tuple(p for p in protos if p != universe.key(rule.not_protocol))
    out: dict[int, PortSet] = {}
    for proto in protos:
        ports = PortSet.FULL
        if proto in PORTED_PROTOCOLS:
            if rule.source.ports is not None:
                ports = _port_match(rule.source.ports, proto, src, rule.source.selector)
            if rule.source.not_ports is not None:
                ports = ports - _port_match(rule.source.not_ports, proto, src, None)
        if ports:
            out[proto] = ports
    return Flows(out), REPLY_NOTE
