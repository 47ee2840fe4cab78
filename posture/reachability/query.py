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
from dataclasses import dataclass, field

from posture.engine.flows import Flows
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
    """Sources x destinations with one answer: ``flows`` (allowed, or missing) and pair
    tallies. :meth:`Reach.evidence` gives one example pair and the steps that decided it."""

    src: EndpointView
    dst: EndpointView
    relation: str  # same-node | other-node | -
    flows: Flows
    pairs: int
    unencrypted_pairs: int
    _where: tuple[Relation, Cell | None, bool] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Evidence:
    example: tuple[str, str]  # one source and one destination endpoint, by name
    steps: tuple[Step, ...]  # the steps that decided that pair for the block's flows


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
        # Cells by source class and by (source, destination, relation), with what each allows.
        self._by_src: dict[int, list[tuple[int, Cell, Flows]]] = {}
        self._cell: dict[tuple[int, int, Relation], tuple[Cell, Flows]] = {}
        for c in matrix.cells:
            i, j = self._pos[id(c.src)], self._pos[id(c.dst)]
            allowed = c.allowed
            self._by_src.setdefault(i, []).append((j, c, allowed))
            self._cell[(i, j, c.relation)] = (c, allowed)

    def allowed(self, src: SrcPick, dst: DstPick, exempt: Exempt = _no_exemption) -> list[Block]:
        """Blocks where something asked about is allowed: ``flows`` = allowed ∩ asked."""
        views = self.views
        wanted = {w.index: f for w in views if (f := dst(w))}
        out = []
        for v in views:
            if not src(v):
                continue
            for j, c, allowed in self._by_src.get(v.index, ()):
                asked = wanted.get(j)
                if asked is None:
                    continue
                hit = allowed & asked
                if hit and not exempt(v, views[j]):
                    out.append(self._block(c.relation, c, v, views[j], hit, c.pairs))
        return out

    def missing(self, src: SrcPick, dst: DstPick, exempt: Exempt = _no_exemption) -> list[Block]:
        """Blocks where something asked about is NOT allowed: ``flows`` = asked − allowed.
        Every selected pair of groups is looked at (pairs that exist, per relation)."""
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
                for relation, pairs in self._m.pair_counts(a, b).items():
                    hit = self._cell.get((v.index, w.index, relation))
                    lack = asked - hit[1] if hit is not None else asked
                    if lack:
                        cell = hit[0] if hit is not None else None
                        out.append(self._block(relation, cell, v, w, lack, pairs, allowed=False))
        return out

    def _block(
        self,
        relation: Relation,
        c: Cell | None,
        v: EndpointView,
        w: EndpointView,
        flows: Flows,
        pairs: int,
        *,
        allowed: bool = True,
    ) -> Block:
        if c is None or relation is Relation.SAME_NODE:
            unencrypted = 0
        elif relation is Relation.NONE:
            unencrypted = c.pairs
        else:
            unencrypted = c.pairs - c.encrypted_pairs
        return Block(v, w, relation.value, flows, pairs, unencrypted, (relation, c, allowed))

    def evidence(self, block: Block) -> Evidence:
        """One example pair of the block and the steps that decided it (computed on demand:
        a pair with nothing allowed is not kept in the model and is decided here)."""
        relation, cell, allowed = block._where
        a, b = self._classes[block.src.index], self._classes[block.dst.index]
        if cell is None:
            cell = self._m.decide(a, b, relation)
        steps: tuple[Step, ...] = ()
        for part, verdict in cell.parts if cell is not None else ():
            if verdict.allowed is allowed and part & block.flows:
                steps = verdict.steps
                break
        reps = self._m.example(a, b, relation)
        return Evidence((reps[0].name, reps[1].name), steps)


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


def iter_sorted(blocks: Iterable[Block]) -> Iterator[Block]:
    """Largest first, then by name: the order reports list offending groups in."""
    return iter(sorted(blocks, key=lambda b: (-b.pairs, b.src.name, b.dst.name, b.relation)))
