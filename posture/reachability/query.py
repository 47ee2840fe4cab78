"""Questions about traffic between groups of endpoints, answered from the reachability model.

This is the one place that knows how the model is laid out; organisation invariants (and any
other caller asking "what flows between these groups?") see only :class:`EndpointView` (what a
selection may look at) and :class:`Block` (an answer: a set of sources x a set of destinations,
the flows concerned, pair and encryption tallies, and the deciding steps of one example pair).

Selections are exact because classes are built with the callers' selectors in view
(:class:`~posture.reachability.classes.Refinement`): every endpoint of a class is selected or
none is, so a selection is decided once per class, never per endpoint, and the cost of a
question follows the cells of the selected classes, never endpoint pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from posture.engine.flows import EMPTY, Flows
from posture.engine.peers import PeerKind
from posture.engine.verdict import Step
from posture.model.meta import Labels
from posture.model.net import IPSet
from posture.reachability.classes import EndpointClass
from posture.reachability.matrix import Cell, Matrix, Relation


@dataclass(frozen=True, slots=True)
class EndpointView:
    """One group of equivalent endpoints, as a selection sees it."""

    index: int  # position in the model; identity for memoising
    kind: PeerKind
    name: str  # display name of the group
    namespace: str  # pods: their namespace; '' otherwise
    labels: Labels  # pods: effective labels; nodes: the Node's labels; outside: none
    node: str  # nodes: the node's name (one of them when the group holds several)
    region: IPSet | None  # outside: the address range the group stands for
    size: int  # endpoints in the group


@dataclass(frozen=True, slots=True)
class Block:
    """Sources x destinations with one answer: ``flows`` (allowed, or missing), pair tallies
    and the steps that decided one example pair."""

    src: EndpointView
    dst: EndpointView
    relation: str  # same-node | other-node | -
    flows: Flows
    pairs: int
    unencrypted_pairs: int
    example: tuple[str, str]  # one source and one destination endpoint, by name
    steps: tuple[Step, ...]


# A source selection: selected or not. A destination selection: the flows asked about toward
# that destination (EMPTY = not selected). An exemption: the pair is left out.
SrcPick = Callable[[EndpointView], bool]
DstPick = Callable[[EndpointView], Flows]
Exempt = Callable[[EndpointView, EndpointView], bool]


def _no_exemption(_a: EndpointView, _b: EndpointView) -> bool:
    return False


class Reach:
    """Answers over one analysis' model (memoised per instance; build one per analysis)."""

    def __init__(self, matrix: Matrix) -> None:
        self._m = matrix
        self._classes = matrix.classes
        self._pos = {id(c): i for i, c in enumerate(self._classes)}
        self.views = tuple(_view(i, c) for i, c in enumerate(self._classes))
        self._by_src: dict[int, list[Cell]] | None = None
        self._cell: dict[tuple[int, int, Relation], Cell] | None = None

    def _index(self) -> None:
        by_src: dict[int, list[Cell]] = {}
        cell: dict[tuple[int, int, Relation], Cell] = {}
        for c in self._m.cells:
            i, j = self._pos[id(c.src)], self._pos[id(c.dst)]
            by_src.setdefault(i, []).append(c)
            cell[(i, j, c.relation)] = c
        self._by_src, self._cell = by_src, cell

    def selected(self, pick: Callable[[EndpointView], object]) -> list[EndpointView]:
        return [v for v in self.views if pick(v)]

    def allowed(self, src: SrcPick, dst: DstPick, exempt: Exempt = _no_exemption) -> list[Block]:
        """Blocks where something asked about is allowed: ``flows`` = allowed ∩ asked."""
        if self._by_src is None:
            self._index()
        assert self._by_src is not None
        out = []
        wanted: dict[int, Flows] = {}
        for v in self.views:
            if not src(v):
                continue
            for c in self._by_src.get(v.index, ()):
                j = self._pos[id(c.dst)]
                if j not in wanted:
                    wanted[j] = dst(self.views[j])
                hit = c.allowed & wanted[j] if wanted[j] else EMPTY
                if hit and not exempt(v, self.views[j]):
                    out.append(self._block(c, v, self.views[j], hit, allowed=True))
        return out

    def missing(self, src: SrcPick, dst: DstPick, exempt: Exempt = _no_exemption) -> list[Block]:
        """Blocks where something asked about is NOT allowed: ``flows`` = asked − allowed.
        Every selected pair of groups is looked at (pairs that exist, per relation)."""
        if self._cell is None:
            self._index()
        assert self._cell is not None
        targets = [(w, dst(w)) for w in self.views]
        targets = [(w, f) for w, f in targets if f]
        out = []
        for v in self.views:
            if not src(v):
                continue
            a = self._classes[v.index]
            for w, asked in targets:
                if exempt(v, w):
                    continue
                b = self._classes[w.index]
                for relation in self._m.pair_counts(a, b):
                    c = self._cell.get((v.index, w.index, relation))
                    lack = asked - c.allowed if c is not None else asked
                    if lack:
                        # Nothing allowed is not kept in the model: decide it for the evidence.
                        c = c or self._m.decide(a, b, relation)
                        if c is not None:
                            out.append(self._block(c, v, w, lack, allowed=False))
        return out

    def _block(
        self, c: Cell, v: EndpointView, w: EndpointView, flows: Flows, *, allowed: bool
    ) -> Block:
        steps: tuple[Step, ...] = ()
        for part, verdict in c.parts:
            if verdict.allowed is allowed and part & flows:
                steps = verdict.steps
                break
        if c.relation is Relation.SAME_NODE:
            unencrypted = 0
        elif c.relation is Relation.NONE:
            unencrypted = c.pairs
        else:
            unencrypted = c.pairs - c.encrypted_pairs
        reps = self._m.example(c.src, c.dst, c.relation)
        return Block(
            src=v,
            dst=w,
            relation=c.relation.value,
            flows=flows,
            pairs=c.pairs,
            unencrypted_pairs=unencrypted,
            example=(reps[0].name, reps[1].name),
            steps=steps,
        )


def _view(i: int, c: EndpointClass) -> EndpointView:
    rep = c.rep
    if c.kind is PeerKind.POD:
        labels = c.pods[0].labels
    elif c.kind is PeerKind.HOST and rep.node_obj is not None:
        labels = rep.node_obj.labels
    else:
        labels = Labels()
    return EndpointView(
        index=i,
        kind=c.kind,
        name=c.name,
        namespace=c.namespace,
        labels=labels,
        node=rep.node if c.kind is PeerKind.HOST else "",
        region=rep.region if c.kind is PeerKind.EXTERNAL else None,
        size=c.size,
    )


def total_pairs(blocks: Iterable[Block]) -> int:
    return sum(b.pairs for b in blocks)


def iter_sorted(blocks: Iterable[Block]) -> Iterator[Block]:
    """Largest first, then by name: the order reports list offending groups in."""
    return iter(sorted(blocks, key=lambda b: (-b.pairs, b.src.name, b.dst.name, b.relation)))
