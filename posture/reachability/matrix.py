"""The reachability matrix between endpoint classes, held as blocks
(:mod:`posture.reachability.blocks`).

Analyses work on ``Matrix.blocks``: their number follows distinct behaviours. One class pair's
cell (its pairs, verdict and evidence naming its own endpoints) is decided on demand
(:meth:`Matrix.decide`); nothing lists every class pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from posture.engine.flows import Flows
from posture.engine.index import Index
from posture.engine.path import PathEngine, PathVerdict
from posture.engine.peers import Peer
from posture.engine.verdict import Encryption
from posture.reachability.blocks import Block, allowed_of, build_blocks
from posture.reachability.classes import EndpointClass, build_classes
from posture.reachability.rollup import Group, Rollups
from posture.reachability.tally import Relation, Tally, encryption

__all__ = ["Block", "Cell", "Matrix", "Relation", "build_matrix"]


@dataclass(frozen=True, slots=True)
class Cell:
    """One class pair in one relation, with the verdict of one of its endpoint pairs."""

    src: EndpointClass
    dst: EndpointClass
    relation: Relation
    parts: tuple[tuple[Flows, PathVerdict], ...]
    pairs: int  # endpoint pairs this cell stands for
    encrypted_pairs: int  # of those, pairs whose traffic WireGuard encrypts

    @property
    def allowed(self) -> Flows:
        return allowed_of(self.parts)

    @property
    def encryption(self) -> Encryption:
        return encryption(self.relation, self.pairs, self.encrypted_pairs)


@dataclass(slots=True)
class Matrix:
    classes: list[EndpointClass]
    blocks: list[Block]
    engine: PathEngine
    tally: Tally
    _rollups: Rollups | None = field(default=None, init=False, repr=False, compare=False)

    def _roll(self) -> Rollups:
        if self._rollups is None:
            self._rollups = Rollups(self.tally, self.classes)
        return self._rollups

    def ends(self, block: Block) -> tuple[list[Group], list[Group]]:
        """The groups of a block's sources and of its destinations."""
        return self._roll().ends(block)

    def marginals(self, block: Block) -> tuple[list[tuple[Group, int]], list[tuple[Group, int]]]:
        """A block's pairs from each source group, and to each destination group."""
        return self._roll().marginals(block)

    def colocated(self, block: Block) -> list[tuple[Group, Group]]:
        """The group pairs of a same-node block that share a node (:mod:`.rollup`)."""
        return self._roll().colocated(block)

    def pair_counts(self, a: EndpointClass, b: EndpointClass) -> dict[Relation, int]:
        """Endpoint pairs between two classes by relation (those with none left out)."""
        t = self.tally
        return t.pairs(t.side((a,)), t.side((b,)))

    def pair_tally(self, a: EndpointClass, b: EndpointClass, relation: Relation) -> tuple[int, int]:
        """Endpoint pairs between two classes in ``relation``, and how many WireGuard encrypts."""
        t = self.tally
        sa, sb = t.side((a,)), t.side((b,))
        pairs = t.pairs(sa, sb).get(relation, 0)
        if not pairs or relation is not Relation.OTHER_NODE:
            return pairs, 0
        return pairs, t.encrypted_pairs(sa, sb, b.kind, b.rep.family)

    def example(self, a: EndpointClass, b: EndpointClass, relation: Relation) -> tuple[Peer, Peer]:
        """One endpoint pair of the two classes in this relation."""
        t = self.tally
        reps = t.reps(t.side((a,)), t.side((b,)), relation)
        return reps if reps is not None else (a.rep, b.rep)

    def decide(self, a: EndpointClass, b: EndpointClass, relation: Relation) -> Cell | None:
        """The cell of one class pair and relation, decided afresh (also when nothing is
        allowed); None when no such pair exists."""
        pairs, enc = self.pair_tally(a, b, relation)
        if not pairs:
            return None
        reps = self.example(a, b, relation)
        parts = tuple(self.engine.decide(reps[0], reps[1], self.engine.index.universe.full()))
        return Cell(a, b, relation, parts, pairs, enc)


def build_matrix(index: Index, classes: list[EndpointClass] | None = None) -> Matrix:
    """The blocks with something allowed, over every ordered pair of classes."""
    classes = classes if classes is not None else build_classes(index)
    engine = PathEngine(index)
    return Matrix(classes, build_blocks(index, classes, engine), engine, Tally(index))
