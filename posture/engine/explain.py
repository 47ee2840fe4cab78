"""``posture explain``: one path, every deciding step, after DNAT for Service addresses.

The answer is a value (:class:`Explanation`); ``posture.report.reach`` renders it. Endpoint
names are resolved here, so the CLI and the benchmark resolve them the same way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from posture.engine.flows import Flows, Universe, parse_flow
from posture.engine.index import Index
from posture.engine.path import Dnat, PathEngine, PathVerdict
from posture.engine.peers import Peer, PeerKind
from posture.engine.services import Backend, Front, backends, node_port_services, service_at
from posture.errors import InputError
from posture.model.endpoints import Service
from posture.model.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class ExplainedPath:
    """The verdicts on one path, split by flows; ``ports`` names the Service port mapping
    (``80/TCP → 8080``) when the path is one backend of a Service address."""

    src: Peer
    dst: Peer
    parts: tuple[tuple[Flows, PathVerdict], ...]
    ports: str = ""


@dataclass(frozen=True, slots=True)
class Explanation:
    """``posture explain``'s answer: one path, or one per backend when DST is a Service
    address (policy sees the connection after DNAT, §2.1, §4.8)."""

    src: str
    dst: str
    universe: Universe
    paths: tuple[ExplainedPath, ...]
    service: str = ""  # "namespace/name" when DST is a Service address


def resolve_endpoint(index: Index, text: str) -> Peer:
    """``namespace/pod``, ``node/NAME`` or an IP address → the peer policy sees."""
    if text.startswith("node/"):
        node = index.nodes.get(text.removeprefix("node/"))
        if node is None:
            raise InputError(f"{text}: no such node")
        return index.host_peer(node)
    if "/" in text and not text[0].isdigit() and ":" not in text:
        ns, name = text.split("/", 1)
        pod = next((p for p in index.snap.pods if p.namespace == ns and p.name == name), None)
        if pod is None:
            raise InputError(f"{text}: no such pod")
        if pod.host_network:
            node = index.nodes.get(pod.node)
            if node is None:
                raise InputError(f"{text}: hostNetwork pod on unknown node {pod.node!r}")
            return index.host_peer(node)
        if not pod.is_workload_endpoint:
            raise InputError(f"{text}: pod has no IP or is not scheduled (no workload endpoint)")
        return index.pod_peer(pod)
    try:
        return index.peer_for_address(text)
    except ValueError:
        raise InputError(f"{text}: expected namespace/pod, node/NAME or an IP address") from None


def explain(snapshot: Snapshot, src: str, dst: str, port: str | None = None) -> Explanation:
    """Why ``src`` can or cannot reach ``dst`` (``namespace/pod``, ``node/NAME`` or an IP
    address) on ``port`` (``N/PROTO``; default: everything): every deciding step."""
    index = Index(snapshot)
    src_peer = resolve_endpoint(index, src)
    dst_peer = resolve_endpoint(index, dst)
    space: Flows = index.universe.full()
    if port:
        try:
            space = parse_flow(port, index.universe)
        except ValueError as e:
            raise InputError(f"--port {port}: {e}") from None
    engine = PathEngine(index)
    if port and dst_peer.kind is PeerKind.HOST:
        nodeport = _node_port(index, engine, src_peer, dst_peer, space)
        if nodeport is not None:
            np_svc, np_paths = nodeport
            name = f"{np_svc.namespace}/{np_svc.name}"
            return Explanation(src, dst, index.universe, np_paths, name)
    found_svc = service_at(index, dst) if _looks_like_ip(dst) else None
    if found_svc is None:
        path = ExplainedPath(src_peer, dst_peer, tuple(engine.decide(src_peer, dst_peer, space)))
        return Explanation(src, dst, index.universe, (path,))
    svc, front = found_svc
    found = backends(index, svc, space, front)
    if not found:
        raise InputError(f"{dst}: Service {svc.namespace}/{svc.name} has no endpoint for that port")
    paths: list[ExplainedPath] = []
    for b in found:
        # The endpoint may be a pod, a node address (the kubernetes Service) or any address.
        peer = index.peer_for_address(b.address)
        if src_peer.kind is PeerKind.EXTERNAL and front is not Front.CLUSTER_IP and peer.node:
            # From outside, an external or load-balancer address reaches some node, which
            # translates; taken as the endpoint's own node (the path without a second hop).
            node = index.nodes.get(peer.node)
            if node is not None:
                at = dataclasses.replace(dst_peer, node=peer.node)
                paths.extend(_dnat_paths(engine, src_peer, at, peer, b, svc, dst, keep=True))
                continue
        paths.append(
            ExplainedPath(src_peer, peer, tuple(engine.decide(src_peer, peer, b.flows)), b.ports)
        )
    return Explanation(src, dst, index.universe, tuple(paths), f"{svc.namespace}/{svc.name}")


def _node_port(
    index: Index, engine: PathEngine, src: Peer, front: Peer, space: Flows
) -> tuple[Service, tuple[ExplainedPath, ...]] | None:
    """A node address on a NodePort: the paths to the endpoints kube-proxy translates to (with
    ``externalTrafficPolicy: Local`` only endpoints on that node, kube-proxy drops the rest)."""
    services = node_port_services(index, space)
    if not services:
        return None
    svc = services[0]
    paths: list[ExplainedPath] = []
    for b in backends(index, svc, space, Front.NODE_PORT):
        peer = index.peer_for_address(b.address)
        if svc.external_local and peer.node != front.node:
            continue
        where = f"{front.address}:{b.ports}"
        paths.extend(_dnat_paths(engine, src, front, peer, b, svc, where, keep=svc.external_local))
    if not paths:
        raise InputError(
            f"Service {svc.namespace}/{svc.name}: no endpoint on node {front.node} for that "
            "NodePort (externalTrafficPolicy: Local), so kube-proxy drops the connection"
        )
    return svc, tuple(paths)


def _dnat_paths(
    engine: PathEngine,
    src: Peer,
    front: Peer,
    peer: Peer,
    b: Backend,
    svc: Service,
    where: str,
    *,
    keep: bool,
) -> list[ExplainedPath]:
    out = []
    for f, back, text in b.pairs:
        dnat = Dnat(
            peer, f, back, f"Service {svc.namespace}/{svc.name}", f"{where} → {peer.name}", keep
        )
        out.append(ExplainedPath(src, peer, tuple(engine.decide_dnat(src, front, dnat)), text))
    return out


def _looks_like_ip(text: str) -> bool:
    return "/" not in text and (text.count(".") == 3 or ":" in text)
