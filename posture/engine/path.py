"""Whole-path decisions: every policy stage a new connection S → D meets (calico-semantics §9).

Stages, in order, by the kinds of the two ends:

* pod → its own node (node addresses, hostNetwork pods there): the pod's egress policy, the
  node's ``*`` host endpoint's pre-DNAT policy (inbound failsafe ports bypass it except in eBPF
  mode), then DefaultEndpointToHostAction. Normal host-endpoint policy never applies (§5.6).
* pod → anything else: the pod's egress policy; if its node has a ``*`` host endpoint, that
  endpoint's pre-DNAT and applyOnForward ingress policy; applyOnForward egress policy of the
  interface the packet leaves by (§5.4, §5.8); then the destination's stages.
* host (node process, hostNetwork pod) → its own pods: always allowed (§5.7). Otherwise outbound
  failsafe ports, then the host endpoint's untracked and normal egress policy; no host endpoint
  means Calico does not filter.
* arriving at a pod: the arrival host endpoint's untracked, pre-DNAT and applyOnForward ingress
  policy, the ``*`` host endpoint's applyOnForward egress policy, then the pod's ingress policy.
* arriving at a host: inbound failsafe ports, then untracked, pre-DNAT and normal ingress
  host-endpoint policy (with profiles); no host endpoint means unfiltered (§5.1, §5.5).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from posture.engine.chain import Chain, evaluate
from posture.engine.flows import Flows
from posture.engine.index import Index, PolicySet
from posture.engine.peers import Peer, PeerKind
from posture.engine.verdict import Decision, Encryption, Stage, Step, StepAction
from posture.model.endpoints import EncapMode, HostEndpoint
from posture.model.net import IPSet, PortSet
from posture.model.policy import Direction
from posture.model.snapshot import EndpointToHostAction, Failsafe


@dataclass(frozen=True, slots=True)
class PathVerdict:
    allowed: bool
    steps: tuple[Step, ...]
    encryption: Encryption


@dataclass(frozen=True, slots=True)
class Dnat:
    """One service-port translation: ``front`` (the port the client used) → ``back`` on
    ``backend``; ``keep_client`` when the backend sees the client's own address."""

    backend: Peer
    front: Flows
    back: Flows
    service: str  # "Service ns/name"
    note: str  # "10.0.0.1:30080/TCP → pod ns/x:8080"
    keep_client: bool = False


@dataclass(slots=True)
class _Part:
    flows: Flows
    steps: tuple[Step, ...]
    skip_host: bool = False  # an explicit pre-DNAT/untracked Allow skips later host stages
    untracked: bool = False  # allowed by untracked policy: no conntrack entry for replies


_Arrive = Callable[["_EngineRun", Peer, Peer], None]


class PathEngine:
    """Decides paths over one Snapshot's :class:`Index`."""

    def __init__(self, index: Index, *, ignore_failsafe: bool = False) -> None:
        self.index = index
        # What-if mode: verdicts as if there were no failsafe ports (shows what they keep open).
        self.ignore_failsafe = ignore_failsafe

    # --- public ---------------------------------------------------------------------------

    def decide(self, src: Peer, dst: Peer, space: Flows) -> list[tuple[Flows, PathVerdict]]:
        """Split ``space`` by the whole-path verdict for new connections src → dst."""
        run = _EngineRun(self.index, space, ignore_failsafe=self.ignore_failsafe)
        if src.kind is PeerKind.POD:
            self._from_pod(run, src, dst)
        elif src.kind is PeerKind.HOST:
            self._from_host(run, src, dst)
        else:
            self._arrive(run, src, dst)
        enc = self.encryption(src, dst)
        out = [(f, PathVerdict(False, s, enc)) for f, s in run.denied]
        out.extend((p.flows, PathVerdict(True, p.steps, enc)) for p in run.parts)
        return out

    def decide_dnat(self, src: Peer, front: Peer, dnat: Dnat) -> list[tuple[Flows, PathVerdict]]:
        """New connections from ``src`` to a NodePort (``front``: the node address the client
        used) or, from outside, to an external/load-balancer address arriving at ``front``'s
        node, which kube-proxy translates to ``dnat.backend`` (§5.10, §4.8, D-NODEPORT).

        On the node that translates: the arrival host endpoint's untracked and pre-DNAT
        policy see the original destination; after DNAT the packet is forwarded, so only
        ``applyOnForward`` host-endpoint policy applies (never normal host policy, never the
        inbound failsafe ports, which guard the host itself), then the backend pod's ingress.
        A backend on another node sees the translating node's address as source unless the
        client address is kept (``externalTrafficPolicy: Local``, or the eBPF dataplane):
        kube-proxy masquerades in POSTROUTING, after the first node's forward policy.
        All flows are reported in the backend's terms (``dnat.back``).
        """
        run = _EngineRun(self.index, dnat.front, ignore_failsafe=self.ignore_failsafe)
        node = front.node

        def arrive(r: _EngineRun, seen: Peer, _dst: Peer) -> None:
            self._arrive_dnat(r, seen, front, dnat)

        if src.kind is PeerKind.POD and src.node == node:
            # A pod to its own node's NodePort: DNAT in PREROUTING, then forwarded (§5.6 note).
            assert src.pod is not None
            wildcard = self.index.node_hosts(node).wildcard
            if wildcard is not None:
                self._pre_dnat(run, wildcard, src, front, node, bypass=True)
            run.translate(dnat)
            run.chain(self.index.workload_chain(src.pod, Direction.EGRESS), src, dnat.backend)
            if wildcard is not None:
                self._forward(run, wildcard, Direction.INGRESS, src, dnat.backend)
            self._after_dnat(run, src, node, dnat)
        elif src.kind is PeerKind.HOST and src.node == node:
            run.translate(dnat)  # locally generated: DNAT in nat OUTPUT
            self._from_host(run, src, dnat.backend)
        elif src.kind is PeerKind.POD:
            self._from_pod(run, src, front, arrive)
        elif src.kind is PeerKind.HOST:
            self._from_host(run, src, front, arrive)
        else:
            arrive(run, src, front)
        run.to_backend(dnat)
        enc = self.encryption(src, dnat.backend)
        out = [(f, PathVerdict(False, st, enc)) for f, st in run.denied]
        out.extend((p.flows, PathVerdict(True, p.steps, enc)) for p in run.parts)
        return out

    def encryption(self, src: Peer, dst: Peer) -> Encryption:
        """WireGuard coverage of the path (§6.2, §6.3)."""
        if src.kind is PeerKind.EXTERNAL or dst.kind is PeerKind.EXTERNAL:
            return Encryption.UNENCRYPTED
        if src.node == dst.node:
            return Encryption.LOCAL
        host_path = dst.kind is PeerKind.HOST
        for node_name in (src.node, dst.node):
            node = self.index.nodes.get(node_name)
            if node is None:
                return Encryption.UNKNOWN
            if not self.index.snap.wireguard_encrypts(node, dst.family, host_path=host_path):
                return Encryption.UNENCRYPTED
        return Encryption.ENCRYPTED

    # --- sources --------------------------------------------------------------------------

    def _from_pod(
        self, run: _EngineRun, src: Peer, dst: Peer, arrive: _Arrive | None = None
    ) -> None:
        assert src.pod is not None
        arrive = arrive or self._arrive
        idx = self.index
        run.chain(idx.workload_chain(src.pod, Direction.EGRESS), src, dst)
        hosts = idx.node_hosts(src.node)
        if dst.kind is PeerKind.HOST and dst.node == src.node:
            self._pod_to_own_host(run, src, dst)
            return
        if hosts.wildcard is not None:
            self._pre_dnat(run, hosts.wildcard, src, dst, src.node, bypass=True)
            self._forward(run, hosts.wildcard, Direction.INGRESS, src, dst)
        if dst.kind is PeerKind.POD and dst.node == src.node:
            self._into_pod(run, src, dst)
            return
        out_hep = self._main_hep(src.node)
        if out_hep is not None:
            self._forward(run, out_hep, Direction.EGRESS, src, dst)
        if dst.kind is PeerKind.HOST:
            arrive(run, self._snat_source(src), dst)
        else:
            arrive(run, src, dst)

    def _from_host(
        self, run: _EngineRun, src: Peer, dst: Peer, arrive: _Arrive | None = None
    ) -> None:
        idx = self.index
        if dst.kind is PeerKind.POD and dst.node == src.node:
            run.allow(
                Step(
                    Stage.HOST_TO_LOCAL_POD,
                    src.name,
                    StepAction.ALLOW,
                    note="host → local pod is never policed (§5.7)",
                )
            )
            return
        if dst.kind is PeerKind.HOST and dst.node == src.node:
            run.allow(
                Step(Stage.UNPOLICED, src.name, StepAction.ALLOW, note="traffic within one host")
            )
            return
        hep = self._hep_for(run, src.node, src.address)
        if hep is None:
            run.allow(
                Step(
                    Stage.UNPOLICED,
                    src.name,
                    StepAction.ALLOW,
                    note="no host endpoint on this node: Calico does not filter host traffic",
                )
            )
        else:
            felix = idx.snap.felix_for(src.node)
            run.hold(self._infrastructure(src, dst, inbound=False), src.name)
            run.failsafe(felix.failsafe_outbound, dst, src.name, "outbound")
            self._host(
                run, hep, Direction.EGRESS, PolicySet.UNTRACKED, Stage.HOST_UNTRACKED, src, dst
            )
            self._host(run, hep, Direction.EGRESS, PolicySet.NORMAL, Stage.HOST_EGRESS, src, dst)
            self._untracked_replies(run, hep, src, dst, inbound=False)
            run.release_failsafe()
        (arrive or self._arrive)(run, src, dst)

    # --- destinations ---------------------------------------------------------------------

    def _arrive(self, run: _EngineRun, src: Peer, dst: Peer) -> None:
        idx = self.index
        if dst.kind is PeerKind.EXTERNAL:
            run.allow(Step(Stage.UNPOLICED, dst.name, StepAction.ALLOW, note="leaves the cluster"))
            return
        hosts = idx.node_hosts(dst.node)
        if dst.kind is PeerKind.POD:
            hep = self._main_hep(dst.node)
            if hep is not None:
                self._untracked(run, hep, src, dst, dst.node, bypass=True)
                self._pre_dnat(run, hep, src, dst, dst.node, bypass=True)
                self._forward(run, hep, Direction.INGRESS, src, dst)
            self._into_pod(run, src, dst)
            return
        hep = self._hep_for(run, dst.node, dst.address)
        if hep is None:
            why = (
                "no host endpoint on this node"
                if not hosts.any
                else "no host endpoint covers this address"
            )
            run.allow(
                Step(
                    Stage.UNPOLICED,
                    dst.name,
                    StepAction.ALLOW,
                    note=f"{why}: Calico does not filter traffic to the host",
                )
            )
            return
        felix = idx.snap.felix_for(dst.node)
        run.hold(self._infrastructure(src, dst, inbound=True), dst.name)
        run.failsafe(felix.failsafe_inbound, src, dst.name, "inbound")
        self._untracked(run, hep, src, dst, dst.node, bypass=False)
        self._pre_dnat(run, hep, src, dst, dst.node, bypass=False)
        self._host(run, hep, Direction.INGRESS, PolicySet.NORMAL, Stage.HOST_INGRESS, src, dst)
        self._untracked_replies(run, hep, src, dst, inbound=True)
        run.release_failsafe()

    def _arrive_dnat(self, run: _EngineRun, src: Peer, front: Peer, dnat: Dnat) -> None:
        """Arrival at the translating node (see :meth:`decide_dnat`)."""
        node = front.node
        hep = self._hep_for(run, node, front.address)
        if hep is not None:
            self._untracked(run, hep, src, front, node, bypass=True)
            self._pre_dnat(run, hep, src, front, node, bypass=True)
        run.translate(dnat)
        if hep is not None:
            self._forward(run, hep, Direction.INGRESS, src, dnat.backend)
        self._after_dnat(run, src, node, dnat)

    def _after_dnat(self, run: _EngineRun, src: Peer, node: str, dnat: Dnat) -> None:
        backend = dnat.backend
        if backend.kind is PeerKind.POD and backend.node == node:
            self._into_pod(run, src, backend)
            return
        out_hep = self._main_hep(node)
        if out_hep is not None:
            self._forward(run, out_hep, Direction.EGRESS, src, backend)
        seen = src
        n = self.index.nodes.get(node)
        if not dnat.keep_client and not self.index.snap.felix_for(node).bpf and n is not None:
            seen = self.index.host_peer(n)  # kube-proxy masquerade (§4.8, §5.10)
        self._arrive(run, seen, backend)

    def _infrastructure(self, src: Peer, dst: Peer, *, inbound: bool) -> Flows:
        """What Felix accepts in the host's INPUT/OUTPUT chains before any host-endpoint
        policy (§5.11; felix/rules/static.go ``filterInputChain``, ``filterOutputChain``):
        IPIP (IP protocol 4) and VXLAN (UDP 4789) between Calico nodes while a pool uses
        them, WireGuard (UDP 51820 for IPv4, 51821 for IPv6) to and from local addresses
        while it is enabled, from or to anywhere."""
        idx = self.index
        local = dst if inbound else src
        felix = idx.snap.felix_for(local.node)
        flows = Flows()
        udp = idx.universe.key(17)
        wireguard = felix.wireguard_v4 if local.family == 4 else felix.wireguard_v6
        if wireguard:
            flows = flows | Flows.single(udp, PortSet.of(51820 if local.family == 4 else 51821))
        other = src if inbound else dst
        if other.kind is PeerKind.HOST and other.node in idx.nodes:
            pools = [p for p in idx.snap.ip_pools if not p.disabled]
            if any(p.vxlan is not EncapMode.NEVER for p in pools):
                flows = flows | Flows.single(udp, PortSet.of(4789))
            # IPIP has no ports: held only when the analysis tells protocol 4 apart.
            if idx.universe.key(4) == 4 and any(p.ipip is not EncapMode.NEVER for p in pools):
                flows = flows | Flows.single(4, PortSet.FULL)
        return flows

    # --- special stages -------------------------------------------------------------------

    def _pod_to_own_host(self, run: _EngineRun, src: Peer, dst: Peer) -> None:
        idx = self.index
        hosts = idx.node_hosts(src.node)
        felix = idx.snap.felix_for(src.node)
        if hosts.wildcard is not None:
            self._pre_dnat(run, hosts.wildcard, src, dst, src.node, bypass=True)
        action = felix.endpoint_to_host
        origin = felix.origin_of("defaultEndpointToHostAction")
        subject = f"node {src.node}"
        if action is EndpointToHostAction.DROP:
            step = Step(
                Stage.ENDPOINT_TO_HOST,
                subject,
                StepAction.ENDPOINT_TO_HOST_DROP,
                note=origin,
            )
            run.deny_all(step)
            return
        note = origin
        if action is EndpointToHostAction.RETURN:
            note = f"{origin}; RETURN hands the packet to the host's own iptables rules"
        step = Step(
            Stage.ENDPOINT_TO_HOST,
            subject,
            StepAction.ENDPOINT_TO_HOST_RETURN
            if action is EndpointToHostAction.RETURN
            else StepAction.ENDPOINT_TO_HOST_ACCEPT,
            note=note,
        )
        run.allow(step)

    def _host(
        self,
        run: _EngineRun,
        hep: HostEndpoint,
        direction: Direction,
        which: PolicySet,
        stage: Stage,
        src: Peer,
        dst: Peer,
    ) -> None:
        """One host-endpoint stage (skipped after an explicit pre-DNAT/untracked Allow)."""
        chain = self.index.host_chain(hep, direction, which, stage)
        run.chain(chain, src, dst, host_stage=True)

    def _forward(
        self, run: _EngineRun, hep: HostEndpoint, direction: Direction, src: Peer, dst: Peer
    ) -> None:
        """applyOnForward policy of a host endpoint, for traffic routed through the node."""
        stage = (
            Stage.HOST_FORWARD_INGRESS
            if direction is Direction.INGRESS
            else Stage.HOST_FORWARD_EGRESS
        )
        self._host(run, hep, direction, PolicySet.FORWARD, stage, src, dst)

    def _into_pod(self, run: _EngineRun, src: Peer, dst: Peer) -> None:
        """The last hop to a pod: its node's ``*`` host endpoint's applyOnForward egress policy
        (the pod interface counts as the outgoing interface, §5.4), then the pod's ingress."""
        assert dst.pod is not None
        wildcard = self.index.node_hosts(dst.node).wildcard
        if wildcard is not None:
            self._forward(run, wildcard, Direction.EGRESS, src, dst)
        run.chain(self.index.workload_chain(dst.pod, Direction.INGRESS), src, dst)

    def _pre_dnat(
        self, run: _EngineRun, hep: HostEndpoint, src: Peer, dst: Peer, node: str, *, bypass: bool
    ) -> None:
        self._early(run, hep, PolicySet.PRE_DNAT, Stage.HOST_PRE_DNAT, src, dst, node, bypass)

    def _untracked(
        self, run: _EngineRun, hep: HostEndpoint, src: Peer, dst: Peer, node: str, *, bypass: bool
    ) -> None:
        self._early(run, hep, PolicySet.UNTRACKED, Stage.HOST_UNTRACKED, src, dst, node, bypass)

    def _early(
        self,
        run: _EngineRun,
        hep: HostEndpoint,
        which: PolicySet,
        stage: Stage,
        src: Peer,
        dst: Peer,
        node: str,
        bypass: bool,
    ) -> None:
        """An untracked or pre-DNAT ingress stage (raw / mangle tables).

        iptables/nftables: these dispatch tables list only interfaces whose host endpoint has
        such policy; other interfaces fall through to the ``*`` host endpoint's chain (§5.1).
        Their failsafe chains accept inbound failsafe ports first, with no check that the
        destination is local, so with ``bypass`` those ports skip this stage but still meet
        the later ones (§5.5). eBPF does neither.
        """
        felix = self.index.snap.felix_for(node)
        hosts = self.index.node_hosts(node)
        if (
            not felix.bpf
            and not hep.wildcard
            and hosts.wildcard is not None
            and not self.index.applicable(hep.labels, Direction.INGRESS, which)
        ):
            hep = hosts.wildcard
        if bypass and not felix.bpf:
            run.failsafe(
                felix.failsafe_inbound,
                src,
                dst.name,
                "inbound",
                bypass_only=True,
                stage_name=stage.value,
            )
        self._host(run, hep, Direction.INGRESS, which, stage, src, dst)
        if bypass and not felix.bpf:
            run.release_failsafe()

    def _untracked_replies(
        self, run: _EngineRun, hep: HostEndpoint, src: Peer, dst: Peer, *, inbound: bool
    ) -> None:
        """Untracked (doNotTrack) policy leaves no conntrack entry, so a connection it allowed
        works only if its replies are allowed too: by untracked policy of the same host
        endpoint in the other direction (egress for replies to an inbound connection). The
        failsafe ports' reply exceptions cover failsafe traffic, which never met the untracked
        stage (§5.5; Calico's doNotTrack guide). A reply no untracked rule allows would meet
        conntrack as a packet of no known connection: taken as dropped."""
        if not any(p.untracked for p in run.parts):
            return
        direction = Direction.EGRESS if inbound else Direction.INGRESS
        chain = self.index.host_chain(hep, direction, PolicySet.UNTRACKED, Stage.HOST_UNTRACKED)
        ctx = dataclasses.replace(self.index.ctx, reply=True)
        out: list[_Part] = []
        for part in run.parts:
            if not part.untracked:
                out.append(part)
                continue
            for flows, outcome in evaluate(chain, dst, src, part.flows, ctx):
                steps = part.steps + outcome.steps
                if outcome.decision is Decision.ALLOW:
                    out.append(_Part(flows, steps, part.skip_host))
                    continue
                note = (
                    "doNotTrack: no connection tracking, and no untracked policy allows the "
                    "reply packets"
                )
                step = Step(Stage.HOST_UNTRACKED, chain.subject, StepAction.DENY, note=note)
                run.denied.append((flows, (*steps, step)))
        run.parts = out

    def _hep_for(self, run: _EngineRun, node: str, address: str) -> HostEndpoint | None:
        """The host endpoint for ``address`` on ``node`` (§5.1); when only an assumption ties
        them (an interface named without expectedIPs), the path says so in a step of its own."""
        hosts = self.index.node_hosts(node)
        if not hosts.any:
            return None
        assumed = hosts.assumed(address)
        if assumed is not None:
            note = (
                f"host endpoint {assumed.name} names interface {assumed.interface} but no "
                f"expectedIPs: taken to carry {address}"
            )
            run.allow(Step(Stage.ASSUMPTION, f"node {node}", StepAction.ASSUMED, note=note))
        return hosts.for_address(address)

    def _main_hep(self, node: str) -> HostEndpoint | None:
        hosts = self.index.node_hosts(node)
        if not hosts.any:
            return None
        n = self.index.nodes.get(node)
        address = n.addresses[0] if n is not None and n.addresses else ""
        return hosts.for_address(address)

    def _snat_source(self, src: Peer) -> Peer:
        """natOutgoing masquerades pod → remote-node traffic to the node's address unless
        natOutgoingExclusions is IPPoolsAndHostIPs (§4.8)."""
        idx = self.index
        felix = idx.snap.felix_for(src.node)
        if felix.nat_outgoing_exclude_hosts:
            return src
        nat_pool = any(
            p.nat_outgoing and not p.disabled and IPSet.from_cidrs([p.cidr]).contains(src.address)
            for p in idx.snap.ip_pools
        )
        node = idx.nodes.get(src.node)
        if not nat_pool or node is None or not node.addresses:
            return src
        return idx.host_peer(node)


class _EngineRun:
    """Pushes the flow space through a path's stages, collecting denied parts on the way;
    failsafe parts are held aside while the stages they bypass run."""

    def __init__(self, index: Index, space: Flows, *, ignore_failsafe: bool = False) -> None:
        self.parts = [_Part(space, ())]
        self.denied: list[tuple[Flows, tuple[Step, ...]]] = []
        self.index = index
        self.ignore_failsafe = ignore_failsafe
        self._held: list[_Part] = []

    def allow(self, step: Step) -> None:
        """Record a step that lets everything still pending through."""
        self.parts = [_Part(p.flows, (*p.steps, step), p.skip_host) for p in self.parts]

    def deny_all(self, step: Step) -> None:
        """Record a step that drops everything still pending."""
        self.denied.extend((p.flows, (*p.steps, step)) for p in self.parts)
        self.parts = []

    def chain(self, chain: Chain, src: Peer, dst: Peer, *, host_stage: bool = False) -> None:
        out: list[_Part] = []
        for part in self.parts:
            if host_stage and part.skip_host:
                out.append(part)
                continue
            for flows, outcome in evaluate(chain, src, dst, part.flows, self.index.ctx):
                steps = part.steps + outcome.steps
                if outcome.decision is Decision.DENY:
                    self.denied.append((flows, steps))
                else:
                    allowed = outcome.decision is Decision.ALLOW
                    skip = part.skip_host or (allowed and chain.mode.value == "pre")
                    untracked = part.untracked or (allowed and chain.stage is Stage.HOST_UNTRACKED)
                    out.append(_Part(flows, steps, skip, untracked))
        self.parts = out

    def failsafe(
        self,
        entries: tuple[Failsafe, ...],
        peer: Peer,
        subject: str,
        which: str,
        *,
        bypass_only: bool = False,
        stage_name: str = "host-pre-dnat",
    ) -> None:
        """Set aside the failsafe part of the space: host-endpoint policy cannot touch it.
        ``peer`` is the remote side (checked against an entry's ``net``)."""
        if self.ignore_failsafe:
            return
        fs = _failsafe_flows(entries, peer, self.index)
        out: list[_Part] = []
        for part in self.parts:
            hit = part.flows & fs
            if hit:
                note = (
                    f"{which} failsafe port: bypasses {stage_name} policy"
                    if bypass_only
                    else f"{which} failsafe port: host-endpoint policy cannot block it"
                )
                self._held.append(
                    _Part(
                        hit,
                        (*part.steps, Step(Stage.FAILSAFE, subject, StepAction.ALLOW, note=note)),
                        part.skip_host,
                    )
                )
            rest = part.flows - fs
            if rest:
                out.append(_Part(rest, part.steps, part.skip_host))
        self.parts = out

    def translate(self, dnat: Dnat) -> None:
        """kube-proxy's DNAT: what is still pending now goes to the backend's port."""
        step = Step(Stage.SERVICE_NAT, dnat.service, StepAction.DNAT, note=dnat.note)
        self.parts = [
            _Part(dnat.back, (*p.steps, step), p.skip_host) for p in self.parts if p.flows
        ]

    def to_backend(self, dnat: Dnat) -> None:
        """Denied parts in the backend's terms too (each Dnat maps one port to one port)."""
        self.denied = [(dnat.back, steps) for _, steps in self.denied]

    def hold(self, flows: Flows, subject: str) -> None:
        """Set aside infrastructure traffic Felix accepts before host-endpoint policy (§5.11);
        released with the failsafe parts."""
        if not flows:
            return
        note = "Calico infrastructure traffic: accepted before host-endpoint policy (§5.11)"
        out: list[_Part] = []
        for part in self.parts:
            hit = part.flows & flows
            if hit:
                step = Step(Stage.INFRASTRUCTURE, subject, StepAction.ALLOW, note=note)
                self._held.append(_Part(hit, (*part.steps, step), part.skip_host))
            rest = part.flows - flows
            if rest:
                out.append(_Part(rest, part.steps, part.skip_host))
        self.parts = out

    def release_failsafe(self) -> None:
        self.parts = self.parts + self._held
        self._held = []


def _failsafe_flows(entries: tuple[Failsafe, ...], peer: Peer, index: Index) -> Flows:
    """The (protocol, port) space the failsafe entries open for ``peer`` (memoised on the
    index: the same few lists are asked for on every host path)."""
    key = (entries, peer.region if any(e.net for e in entries) else None)
    hit = index.failsafe_cache.get(key)
    if hit is not None:
        return hit
    by_proto: dict[int, PortSet] = {}
    for e in entries:
        if e.net and not peer.region.issubset(IPSet.from_cidrs([e.net])):
            continue
        proto = index.universe.key(e.protocol)
        by_proto[proto] = by_proto.get(proto, PortSet.EMPTY) | PortSet.of(e.port)
    flows = Flows(by_proto)
    index.failsafe_cache[key] = flows
    return flows
