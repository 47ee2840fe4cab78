"""Invariants → findings, by asking the reachability model (:mod:`posture.reachability.query`).

Nothing here enumerates endpoints or endpoint pairs: a selection is decided once per group of
equivalent endpoints, and the classes were built with the invariants' selectors in view
(:func:`refinement`), so each group lies wholly inside or outside every selection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from posture.engine.flows import EMPTY, Flows, Universe, parse_flow
from posture.engine.peers import PeerKind
from posture.errors import ConfigError
from posture.findings.invariants.model import (
    Demand,
    Endpoints,
    Invariant,
    InvariantResult,
)
from posture.findings.model import Finding, PathInfo, RuleInfo, Severity, Subject
from posture.findings.ports import service_flows
from posture.findings.registry import Analysis
from posture.model.meta import EMPTY_LABELS, Labels
from posture.model.net import IPSet
from posture.reachability.classes import Refinement
from posture.reachability.query import Block, EndpointView, Reach, iter_sorted

MEASURE = "organisation-invariants"
MEASURE_TITLE = "Organisation invariants hold"

DENIED_IS_ALLOWED = RuleInfo(
    "PST-INV-001",
    Severity.HIGH,
    "Invariant broken: traffic that must be denied is allowed",
    MEASURE,
    "Deny the listed flows between these groups (or narrow the rule that allows them, named "
    "in the evidence); if the traffic is legitimate, add an `except` entry to the invariant.",
)
ALLOWED_IS_DENIED = RuleInfo(
    "PST-INV-002",
    Severity.HIGH,
    "Invariant broken: traffic that must be allowed is denied",
    MEASURE,
    "Allow the listed flows where the evidence shows them denied (the policy and rule named "
    "there), for every pair of the groups.",
)
NOT_ENCRYPTED = RuleInfo(
    "PST-INV-003",
    Severity.HIGH,
    "Invariant broken: traffic that must be encrypted is not",
    MEASURE,
    "Enable WireGuard (FelixConfiguration wireguardEnabled) on every node these endpoints run "
    "on, or deny the paths that leave the cluster.",
)
RULES = {
    Demand.DENY: DENIED_IS_ALLOWED,
    Demand.ALLOW: ALLOWED_IS_DENIED,
    Demand.ENCRYPTED: NOT_ENCRYPTED,
}
MAX_GROUPS = 5


def refinement(invariants: Iterable[Invariant]) -> Refinement:
    """The label keys and node names the invariants' selections look at, and the address
    ranges of their ``except`` entries.

    Outside ranges in ``from``/``to`` need no split: an outside class is an address range no
    rule or network set divides, so every address in it gets the same verdict and a class that
    overlaps the range answers for the part inside it. Only an exemption must not cover part
    of a class (the rest would be exempted with it)."""
    keys: set[str] = set()
    node_keys: set[str] = set()
    names: set[str] = set()
    nets: list[IPSet] = []
    for inv in invariants:
        for e in _all_endpoints(inv):
            if e.pods is not None and e.pods.selector is not None:
                keys |= e.pods.selector.label_keys()
            if e.nodes is not None:
                names.update(e.nodes.names)
                if e.nodes.selector is not None:
                    node_keys |= e.nodes.selector.label_keys()
        for x in inv.exceptions:
            nets.extend(e.nets for e in (*x.src, *x.dst) if e.nets is not None)
    return Refinement(frozenset(keys), frozenset(node_keys), frozenset(names), tuple(nets))


def _all_endpoints(inv: Invariant) -> Iterable[Endpoints]:
    yield from inv.src
    yield from inv.dst
    for x in inv.exceptions:
        yield from x.src
        yield from x.dst


class _Selections:
    """Turns :class:`Endpoints` into predicates over :class:`EndpointView` for one analysis."""

    def __init__(self, a: Analysis) -> None:
        self.universe: Universe = a.index.universe
        self.ns_labels: dict[str, Labels] = {n.name: n.labels for n in a.snapshot.namespaces}

    def matches(self, e: Endpoints, v: EndpointView) -> bool:
        if v.kind is PeerKind.POD:
            return e.pods is not None and self._pod(e, v)
        if v.kind is PeerKind.HOST:
            if e.pods is not None or e.nets is not None:
                return False
            n = e.nodes
            if n is None:
                return True  # a service on every node
            if n.names and v.node not in n.names:
                return False
            return n.selector is None or n.selector.matches(v.labels)
        return e.nets is not None and v.region is not None and not v.region.isdisjoint(e.nets)

    def _pod(self, e: Endpoints, v: EndpointView) -> bool:
        p = e.pods
        assert p is not None
        if p.namespaces and v.namespace not in p.namespaces:
            return False
        if p.namespace_selector is not None and not p.namespace_selector.matches(
            self.ns_labels.get(v.namespace, EMPTY_LABELS)
        ):
            return False
        return p.selector is None or p.selector.matches(v.labels)

    def flows(self, inv: Invariant) -> Flows:
        if not inv.flows:
            return self.universe.full()
        out = EMPTY
        for text in inv.flows:
            out = out | parse_flow(text, self.universe)
        return out

    def toward(self, e: Endpoints, asked: Flows) -> Flows:
        return asked & service_flows(e.service, self.universe) if e.service else asked


def evaluate(
    a: Analysis, reach: Reach, invariants: Sequence[Invariant]
) -> tuple[list[Finding], list[InvariantResult]]:
    """Each invariant's findings (none when it holds) and its result for dashboards.

    ConfigError (exit 2) when a ``from`` or ``to`` entry selects nothing in this cluster: an
    invariant about nothing would pass silently, which is worse than failing loudly."""
    sel = _Selections(a)
    findings: list[Finding] = []
    results: list[InvariantResult] = []
    for inv in invariants:
        blocks = _violations(sel, reach, inv)
        count = sum(_weight(inv, b) for b in blocks)
        results.append(InvariantResult(inv.name, inv.demand, inv.severity, count))
        if blocks:
            findings.append(_finding(a, reach, inv, blocks, count))
    return findings, results


def _picked(sel: _Selections, reach: Reach, entries: Iterable[Endpoints]) -> set[int]:
    return {v.index for v in reach.views if any(sel.matches(e, v) for e in entries)}


def _violations(sel: _Selections, reach: Reach, inv: Invariant) -> list[Block]:
    """Each selection is decided once per group (sets of group indexes), so the questions to
    the model cost set lookups per cell, never selector evaluations."""
    asked = sel.flows(inv)
    picked = [_picked(sel, reach, (e,)) for e in (*inv.src, *inv.dst)]
    for e, groups in zip((*inv.src, *inv.dst), picked, strict=True):
        if not groups:
            raise ConfigError(
                f"{inv.where}: {e.where}: selects nothing in this cluster ({e.describe()})"
            )
    sources = set().union(*picked[: len(inv.src)])
    toward: dict[int, Flows] = {}
    for e, groups in zip(inv.dst, picked[len(inv.src) :], strict=True):
        flows = sel.toward(e, asked)
        for i in groups:
            toward[i] = toward.get(i, EMPTY) | flows
    exempt_pairs = [
        (
            _picked(sel, reach, x.src) if x.src else None,
            _picked(sel, reach, x.dst) if x.dst else None,
        )
        for x in inv.exceptions
    ]

    def src(v: EndpointView) -> bool:
        return v.index in sources

    def dst(v: EndpointView) -> Flows:
        return toward.get(v.index, EMPTY)

    def exempt(v: EndpointView, w: EndpointView) -> bool:
        return any(
            (xs is None or v.index in xs) and (xd is None or w.index in xd)
            for xs, xd in exempt_pairs
        )

    if inv.demand is Demand.DENY:
        return reach.allowed(src, dst, exempt)
    if inv.demand is Demand.ALLOW:
        return reach.missing(src, dst, exempt)
    return [b for b in reach.allowed(src, dst, exempt) if b.unencrypted_pairs]


def _weight(inv: Invariant, b: Block) -> int:
    return b.unencrypted_pairs if inv.demand is Demand.ENCRYPTED else b.pairs


def _union(flows: Iterable[Flows]) -> Flows:
    out = EMPTY
    for f in flows:
        out = out | f
    return out


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _coarse(v: EndpointView) -> str:
    """The operator's unit for a group: its namespace, the nodes, or the outside."""
    if v.kind is PeerKind.POD:
        return f"in {v.namespace}"
    return "" if v.kind is PeerKind.HOST else "outside the cluster"


def _side(where: str, n: int) -> str:
    if where.startswith("in "):
        return f"{_plural(n, 'pod')} {where}"
    return f"{_plural(n, 'node')}" if not where else f"{_plural(n, 'range')} {where}"


def _groups_text(inv: Invariant, blocks: list[Block], describe: Callable[[Flows], str]) -> str:
    """Offending traffic by source and destination namespace (or nodes, or outside), with the
    endpoints on each side and the pairs between them."""
    rows: dict[tuple[str, str], tuple[set[int], set[int], int, Flows]] = {}
    for b in blocks:
        key = (_coarse(b.src), _coarse(b.dst))
        srcs, dsts, pairs, flows = rows.get(key, (set(), set(), 0, EMPTY))
        srcs.add(b.src.index)
        dsts.add(b.dst.index)
        rows[key] = (srcs, dsts, pairs + _weight(inv, b), flows | b.flows)
    sizes = {b.src.index: b.src.size for b in blocks} | {b.dst.index: b.dst.size for b in blocks}
    ordered = sorted(rows.items(), key=lambda kv: (-kv[1][2], kv[0]))
    shown = []
    for (src, dst), (srcs, dsts, pairs, flows) in ordered[:MAX_GROUPS]:
        n_src = sum(sizes[i] for i in srcs)
        n_dst = sum(sizes[i] for i in dsts)
        shown.append(
            f"{_side(src, n_src)} → {_side(dst, n_dst)}: {_plural(pairs, 'pair')} "
            f"[{describe(flows)}]"
        )
    more = len(ordered) - MAX_GROUPS
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _finding(a: Analysis, reach: Reach, inv: Invariant, blocks: list[Block], count: int) -> Finding:
    info = RULES[inv.demand]
    universe = a.index.universe

    def describe(f: Flows) -> str:
        return f.describe(universe)

    first = next(iter_sorted(blocks))
    evidence = reach.evidence(first)
    union = _union(b.flows for b in blocks)
    one = count == 1
    verb = {
        Demand.DENY: "is allowed" if one else "are allowed",
        Demand.ALLOW: "is denied" if one else "are denied",
        Demand.ENCRYPTED: "travels unencrypted" if one else "travel unencrypted",
    }[inv.demand]
    example = (
        f"Example: {evidence.example[0]} → {evidence.example[1]} ({first.relation}) "
        f"on {describe(first.flows)}."
    )
    return info.finding(
        severity=inv.severity,
        title=f"Invariant {inv.name!r} broken",
        message=f"{inv.reason.rstrip('.')}. Yet {_plural(count, 'endpoint pair')} "
        f"{verb} ({inv.origin}): {_groups_text(inv, blocks, describe)}. {example}",
        subjects=(Subject("Invariant", inv.name, api_version="posture.dev/v1alpha1"),),
        path=PathInfo(
            " | ".join(e.describe() for e in inv.src),
            " | ".join(e.describe() for e in inv.dst),
            describe(union),
        ),
        encrypted="false" if inv.demand is Demand.ENCRYPTED else "unknown",
        steps=evidence.steps,
        count=count,
        key_extra=inv.name,
    )
