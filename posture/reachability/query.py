"""Questions about traffic between groups of endpoints, answered from the reachability model.

This is the one place that knows how the model is laid out; organisation invariants (and any
other caller asking "what flows between these groups?") see only :class:`EndpointView` (what a
selection may look at) and :class:`Block` (an answer: a set of sources x a set of destinations,
the flows concerned, pair and encryption tallies, and the deciding steps of one example pair).

Selections are exact because classes are built with the callers' selectors in view
(:class:`~posture.reachability.classes.Refinement`): every endpoint of a class is selected or
none is, so a selection is decided once per class, never per endpoint, and the cost of a
question follows the blocks of the selected classes, never endpoint pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from posture.engine.flows import EMPTY, Flows
from posture.engine.peers import PeerKind
from posture.engine.verdict import Step
from posture.model.meta import Labels
from posture.model.net import IPSet
from posture.reachability.classes import EndpointClass
from posture.reachability.matrix import Block as ModelBlock
from posture.reachability.matrix import Matrix, Relation


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
    _where: tuple[Relation, bool] = field(repr=False, compare=False)


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
        # The model's blocks by source class, with their destinations' positions.
        self._by_src: dict[int, list[tuple[ModelBlock, frozenset[int]]]] = {}
        for b in matrix.blocks:
            dsts = frozenset(self._pos[id(c)] for c in b.dsts)
            for c in b.srcs:
                self._by_src.setdefault(self._pos[id(c)], []).append((b, dsts))

    def _allowed(self, i: int, j: int, relation: Relation) -> Flows:
        for b, dsts in self._by_src.get(i, ()):
            if b.relation is relation and j in dsts:
                return b.allowed
        return EMPTY

    def allowed(self, src: SrcPick, dst: DstPick, exempt: Exempt = _no_exemption) -> list[Block]:
        """Blocks where something asked about is allowed: ``flows`` = allowed ∩ asked."""
        views = self.views
        wanted = {w.index: f for w in views if (f := dst(w))}
        out = []
        for v in views:
            if not src(v):
                continue
            for b, dsts in self._by_src.get(v.index, ()):
                for j in sorted(dsts & wanted.keys()):
                    hit = b.allowed & wanted[j]
                    if not hit or exempt(v, views[j]):
                        continue
                    found = self._tally(v, views[j], b.relation, hit)
                    if found is not None:
                        out.append(found)
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
                for relation in self._m.pair_counts(a, b):
                    lack = asked - self._allowed(v.index, w.index, relation)
                    if lack:
                        found = self._tally(v, w, relation, lack, allowed=False)
                        if found is not None:
                            out.append(found)
        return out

    def _tally(
        self,
        v: EndpointView,
        w: EndpointView,
        relation: Relation,
        flows: Flows,
        *,
        allowed: bool = True,
    ) -> Block | None:
        a, b = self._classes[v.index], self._classes[w.index]
        pairs, encrypted = self._m.pair_tally(a, b, relation)
        if not pairs:
            return None
        unencrypted = 0 if not allowed or relation is Relation.SAME_NODE else pairs - encrypted
        return Block(v, w, relation.value, flows, pairs, unencrypted, (relation, allowed))

    def evidence(self, block: Block) -> Evidence:
        """One example pair of the block and the steps that decided it (decided on demand for
        that pair, so the steps name its own endpoints)."""
        relation, allowed = block._where
        a, b = self._classes[block.src.index], self._classes[block.dst.index]
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
