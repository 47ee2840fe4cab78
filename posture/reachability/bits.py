"""Which class pairs can have an allowed path at all, without deciding every pair.

A whole path from a workload starts with its egress chain; a path to a workload ends with its
ingress chain; every stage only removes flows. So a pod → X path allows nothing when the
source's egress chain allows nothing towards X, and X → pod likewise with the destination's
ingress chain. The matrix decides whole paths only for pairs that pass this test.

A chain's verdict depends on the peer on the other side only through what its rules see of
that peer: whether each rule's peer side matches it (selectors, nets, services), its address
family, and its named ports. Classes are therefore sets of bits (Python ints), each selector
is evaluated once over all classes from an inverted label index, and one chain is evaluated
once per group of classes that its rules cannot tell apart.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator

from posture.engine.chain import Chain, evaluate
from posture.engine.flows import EMPTY, Flows
from posture.engine.index import Index
from posture.engine.match import side_matches
from posture.engine.peers import Peer
from posture.engine.verdict import Decision
from posture.model.policy import EntityMatch, Rule
from posture.reachability.classes import EndpointClass
from posture.selectors import Selector
from posture.selectors.calico.ast import (
    AllNode,
    AndNode,
    CompareNode,
    CompareOp,
    GlobalNode,
    HasNode,
    NotNode,
    OrNode,
    SetNode,
)
from posture.selectors.calico.ast import Node as SelectorNode


def iter_bits(bits: int) -> Iterator[int]:
    """Positions of the set bits, lowest first."""
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


class ClassBits:
    """Selectors, rule sides and chains evaluated over every class at once."""

    def __init__(self, index: Index, classes: list[EndpointClass]) -> None:
        self.index = index
        self.classes = classes
        n = len(classes)
        self.n = n
        self.all = (1 << n) - 1
        # Owner slots: slot i is class i's first owner; further owners get slots n, n+1, ...
        self._extra: list[int] = []
        by_kv: dict[tuple[str, str], int] = {}
        by_key: dict[str, int] = {}
        values: dict[str, set[str]] = {}
        all_slots = 0
        for i, c in enumerate(classes):
            for j, labels in enumerate(c.rep.owners):
                slot = i if j == 0 else n + len(self._extra)
                if j:
                    self._extra.append(i)
                bit = 1 << slot
                all_slots |= bit
                for kv in labels.items():
                    by_kv[kv] = by_kv.get(kv, 0) | bit
                    by_key[kv[0]] = by_key.get(kv[0], 0) | bit
                    values.setdefault(kv[0], set()).add(kv[1])
        self._all_slots = all_slots
        self._by_kv = by_kv
        self._by_key = by_key
        self._values = values
        self._sel: dict[Selector, int] = {}
        self._side: dict[EntityMatch, int] = {}
        self._keys: dict[tuple[Selector | None, bool], dict[int, Hashable]] = {}
        self._family: dict[int, int] = {}
        for i, c in enumerate(classes):
            self._family[c.rep.family] = self._family.get(c.rep.family, 0) | (1 << i)

    # --- selectors ------------------------------------------------------------------------

    def _slots(self, node: SelectorNode) -> int:
        if isinstance(node, AllNode | GlobalNode):
            return self._all_slots
        if isinstance(node, HasNode):
            return self._by_key.get(node.label, 0)
        if isinstance(node, CompareNode):
            if node.op is CompareOp.EQ:
                return self._by_kv.get((node.label, node.value), 0)
            if node.op is CompareOp.NE:
                return self._all_slots & ~self._by_kv.get((node.label, node.value), 0)
            value = node.value
            test: Callable[[str], bool]
            if node.op is CompareOp.CONTAINS:
                test = lambda v: value in v  # noqa: E731
            elif node.op is CompareOp.STARTS_WITH:
                test = lambda v: v.startswith(value)  # noqa: E731
            else:
                test = lambda v: v.endswith(value)  # noqa: E731
            out = 0
            for v in self._values.get(node.label, ()):
                if test(v):
                    out |= self._by_kv[(node.label, v)]
            return out
        if isinstance(node, SetNode):
            hit = 0
            for v in node.values:
                hit |= self._by_kv.get((node.label, v), 0)
            return self._all_slots & ~hit if node.negated else hit
        if isinstance(node, NotNode):
            return self._all_slots & ~self._slots(node.operand)
        if isinstance(node, AndNode):
            out = self._all_slots
            for op in node.operands:
                out &= self._slots(op)
                if not out:
                    break
            return out
        if isinstance(node, OrNode):
            out = 0
            for op in node.operands:
                out |= self._slots(op)
            return out
        raise TypeError(f"unknown selector node {node!r}")

    def selector(self, sel: Selector) -> int:
        """Classes with some owner label set that ``sel`` matches."""
        hit = self._sel.get(sel)
        if hit is None:
            slots = self._slots(sel.ast)
            hit = slots & self.all
            for k in iter_bits(slots >> self.n):
                hit |= 1 << self._extra[k]
            self._sel[sel] = hit
        return hit

    def side(self, ent: EntityMatch) -> int:
        """Classes whose representative the address-identity part of ``ent`` matches."""
        hit = self._side.get(ent)
        if hit is None:
            hit = self.all
            if ent.selector is not None:
                hit &= self.selector(ent.selector)
            if ent.not_selector is not None:
                hit &= ~self.selector(ent.not_selector)
            if ent.nets is not None or ent.not_nets is not None or ent.services is not None:
                ctx = self.index.ctx
                kept = 0
                for i in iter_bits(hit):
                    if side_matches(ent, self.classes[i].rep, ctx):
                        kept |= 1 << i
                hit = kept
            self._side[ent] = hit
        return hit

    # --- chains ---------------------------------------------------------------------------

    def _peer_key(self, rule: Rule, toward_dst: bool) -> Callable[[int], Hashable] | None:
        """What else (beyond matching) a rule sees of the peer: named ports and service
        ports of a destination. Memoised per class for each kind of look (the rules of many
        policies look alike), computed only for the classes a rule's side matches."""
        if not toward_dst:
            return None
        d = rule.destination
        named = any(pm is not None and pm.named for pm in (d.ports, d.not_ports))
        if not named and d.services is None:
            return None
        sel = d.selector
        services = d.services is not None
        memo = self._keys.setdefault((sel, services), {})

        def key(i: int) -> Hashable:
            hit = memo.get(i)
            if hit is None:
                rep = self.classes[i].rep
                seen = tuple(sel is None or sel.matches(rep.owners[j]) for j, _ in rep.named_ports)
                members = self.index.service_membership(rep.address) if services else ()
                hit = memo[i] = (rep.named_ports, seen, members)
            return hit

        return key

    def partition(self, chain: Chain, toward_dst: bool, within: int | None = None) -> list[int]:
        """Groups of classes that no rule of ``chain`` tells apart as the peer on the other
        side (the destination for egress chains, the source for ingress chains); only the
        classes ``within``, when given (a chain's own endpoints, split by its own side)."""
        parts = [self.all if within is None else within]
        rules = [r for g in chain.groups for p in g.policies for r in p.rules(chain.direction)]
        rules.extend(r for prof in chain.profiles for r in prof.rules(chain.direction))
        for rule in rules:
            peer_side = rule.destination if toward_dst else rule.source
            bits = self.side(peer_side)
            if toward_dst and rule.ip_version is not None:
                bits &= self._family.get(rule.ip_version, 0)
            key = self._peer_key(rule, toward_dst)
            nxt: list[int] = []
            for part in parts:
                inside = part & bits
                outside = part & ~bits
                if outside:
                    nxt.append(outside)
                if not inside:
                    continue
                if key is None:
                    nxt.append(inside)
                    continue
                groups: dict[Hashable, int] = {}
                for i in iter_bits(inside):
                    k = key(i)
                    groups[k] = groups.get(k, 0) | (1 << i)
                nxt.extend(groups.values())
            parts = nxt
        return parts

    def allowed(self, chain: Chain, src: Peer, dst: Peer) -> Flows:
        out = EMPTY
        for flows, outcome in evaluate(chain, src, dst, self.index.universe.full(), self.index.ctx):
            if outcome.decision is Decision.ALLOW:
                out = out | flows
        return out
