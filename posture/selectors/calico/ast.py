"""AST of a Calico selector: rendering, compilation to closures, label prefixing.

The node shapes and their string forms follow Calico's ``libcalico-go/lib/selector/parser/ast.go``
so that the UID of a selector is byte-for-byte the one Calico computes. ``Node.compile`` turns a
tree into nested closures (no per-node dispatch at evaluation time); ``codegen`` normally does
better still with one flat generated function and falls back to these closures for selectors
nested too deeply for Python's compiler.

Rendering has two flavours. ``exact=True`` reproduces Calico's ``String()``. ``exact=False`` is the
project's canonical form, identical except for one case: Calico prints a negation of a negation
(only reachable through parentheses, as in ``!(!a == 'x')``) as ``!!a == "x"``, which re-parses to
``a == "x"``. The canonical form prints ``!(!a == "x")`` instead so that ``parse(str(s)) == s``
always holds.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

#: A compiled selector: labels in, verdict out.
Matcher = Callable[[Mapping[str, str]], bool]


def _always(labels: Mapping[str, str]) -> bool:
    return True


def quote_literal(value: str) -> str:
    """Quote a literal as Calico does: double quotes unless the value contains one."""
    quote = "'" if '"' in value else '"'
    return f"{quote}{value}{quote}"


class Node(ABC):
    """Base of all selector nodes. Nodes are immutable and compare structurally."""

    __slots__ = ()

    @abstractmethod
    def write(self, out: list[str], exact: bool) -> None:
        """Append this node's string form to ``out`` (see the module docstring for ``exact``)."""

    @abstractmethod
    def compile(self) -> Matcher:
        """Return a closure that evaluates this node against a label map."""

    @abstractmethod
    def collect_labels(self, out: set[str]) -> None:
        """Add every label key this node mentions to ``out``."""

    @abstractmethod
    def prefixed(self, prefix: str) -> Node:
        """A copy with ``prefix`` put in front of every label key (Calico's PrefixVisitor)."""

    @abstractmethod
    def has_global(self) -> bool:
        """Whether ``global()`` occurs anywhere in this subtree."""

    def render(self, exact: bool = False) -> str:
        out: list[str] = []
        self.write(out, exact)
        return "".join(out)


@dataclass(frozen=True, slots=True)
class AllNode(Node):
    """``all()``, and also the empty selector: matches everything."""

    def write(self, out: list[str], exact: bool) -> None:
        out.append("all()")

    def compile(self) -> Matcher:
        return _always

    def collect_labels(self, out: set[str]) -> None:
        pass

    def prefixed(self, prefix: str) -> Node:
        return self

    def has_global(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class GlobalNode(Node):
    """``global()``: true when evaluated; its real meaning comes from rule translation (§3.5)."""

    def write(self, out: list[str], exact: bool) -> None:
        out.append("global()")

    def compile(self) -> Matcher:
        return _always

    def collect_labels(self, out: set[str]) -> None:
        pass

    def prefixed(self, prefix: str) -> Node:
        return self

    def has_global(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class HasNode(Node):
    """``has(label)``: the label is present, whatever its value (even empty)."""

    label: str

    def write(self, out: list[str], exact: bool) -> None:
        out.extend(("has(", self.label, ")"))

    def compile(self) -> Matcher:
        label = self.label

        def has(labels: Mapping[str, str]) -> bool:
            return label in labels

        return has

    def collect_labels(self, out: set[str]) -> None:
        out.add(self.label)

    def prefixed(self, prefix: str) -> Node:
        return HasNode(prefix + self.label)

    def has_global(self) -> bool:
        return False


class CompareOp(enum.Enum):
    """Label-versus-literal operators; the value is the canonical spelling with its spaces."""

    EQ = " == "
    NE = " != "
    CONTAINS = " contains "
    STARTS_WITH = " starts with "
    ENDS_WITH = " ends with "


def _compile_compare(op: CompareOp, label: str, value: str) -> Matcher:
    # One closure per operator so the hot path has no dispatch at all.
    if op is CompareOp.EQ:

        def eq(labels: Mapping[str, str]) -> bool:
            return labels.get(label) == value

        return eq
    if op is CompareOp.NE:
        # True when the label is absent (§3.2): get() gives None, which differs from any str.
        def ne(labels: Mapping[str, str]) -> bool:
            return labels.get(label) != value

        return ne
    if op is CompareOp.CONTAINS:

        def contains(labels: Mapping[str, str]) -> bool:
            got = labels.get(label)
            return got is not None and value in got

        return contains
    if op is CompareOp.STARTS_WITH:

        def starts_with(labels: Mapping[str, str]) -> bool:
            got = labels.get(label)
            return got is not None and got.startswith(value)

        return starts_with

    def ends_with(labels: Mapping[str, str]) -> bool:
        got = labels.get(label)
        return got is not None and got.endswith(value)

    return ends_with


@dataclass(frozen=True, slots=True)
class CompareNode(Node):
    """``label <op> "value"`` for ==, !=, contains, starts with, ends with."""

    label: str
    op: CompareOp
    value: str

    def write(self, out: list[str], exact: bool) -> None:
        out.extend((self.label, self.op.value, quote_literal(self.value)))

    def compile(self) -> Matcher:
        return _compile_compare(self.op, self.label, self.value)

    def collect_labels(self, out: set[str]) -> None:
        out.add(self.label)

    def prefixed(self, prefix: str) -> Node:
        return CompareNode(prefix + self.label, self.op, self.value)

    def has_global(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class SetNode(Node):
    """``label in {...}`` or ``label not in {...}``; values are kept sorted and de-duplicated.

    Sorting by code point equals Go's byte-wise sort of the UTF-8 encoding, so the canonical
    string (and hence the UID) matches Calico's.
    """

    label: str
    values: tuple[str, ...]
    negated: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(sorted(set(self.values))))

    def write(self, out: list[str], exact: bool) -> None:
        out.extend((self.label, " not in {" if self.negated else " in {"))
        out.append(", ".join(quote_literal(v) for v in self.values))
        out.append("}")

    def compile(self) -> Matcher:
        label = self.label
        members = frozenset(self.values)
        if self.negated:
            # True when the label is absent (§3.2): None is never a member.
            def not_in(labels: Mapping[str, str]) -> bool:
                return labels.get(label) not in members

            return not_in

        def in_(labels: Mapping[str, str]) -> bool:
            return labels.get(label) in members

        return in_

    def collect_labels(self, out: set[str]) -> None:
        out.add(self.label)

    def prefixed(self, prefix: str) -> Node:
        return SetNode(prefix + self.label, self.values, self.negated)

    def has_global(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class NotNode(Node):
    """``!operand``. The parser collapses ``!!x``, so a NotNode under a NotNode needs parens."""

    operand: Node

    def write(self, out: list[str], exact: bool) -> None:
        out.append("!")
        if not exact and isinstance(self.operand, NotNode):
            out.append("(")
            self.operand.write(out, exact)
            out.append(")")
        else:
            self.operand.write(out, exact)

    def compile(self) -> Matcher:
        inner = self.operand.compile()

        def negate(labels: Mapping[str, str]) -> bool:
            return not inner(labels)

        return negate

    def collect_labels(self, out: set[str]) -> None:
        self.operand.collect_labels(out)

    def prefixed(self, prefix: str) -> Node:
        return NotNode(self.operand.prefixed(prefix))

    def has_global(self) -> bool:
        return self.operand.has_global()


def _compile_all_of(fns: tuple[Matcher, ...]) -> Matcher:
    if len(fns) == 2:
        first, second = fns

        def and2(labels: Mapping[str, str]) -> bool:
            return first(labels) and second(labels)

        return and2

    def and_n(labels: Mapping[str, str]) -> bool:
        # An explicit loop: all() over a generator costs a generator frame per evaluation.
        for fn in fns:  # noqa: SIM110
            if not fn(labels):
                return False
        return True

    return and_n


def _compile_any_of(fns: tuple[Matcher, ...]) -> Matcher:
    if len(fns) == 2:
        first, second = fns

        def or2(labels: Mapping[str, str]) -> bool:
            return first(labels) or second(labels)

        return or2

    def or_n(labels: Mapping[str, str]) -> bool:
        for fn in fns:  # noqa: SIM110 (see and_n)
            if fn(labels):
                return True
        return False

    return or_n


def _write_group(out: list[str], operands: Iterable[Node], joiner: str, exact: bool) -> None:
    out.append("(")
    for index, operand in enumerate(operands):
        if index:
            out.append(joiner)
        operand.write(out, exact)
    out.append(")")


@dataclass(frozen=True, slots=True)
class AndNode(Node):
    """Two or more operands joined by ``&&``; always printed in parentheses, as Calico does."""

    operands: tuple[Node, ...]

    def __post_init__(self) -> None:
        if len(self.operands) < 2:
            raise ValueError("AndNode needs at least two operands")

    def write(self, out: list[str], exact: bool) -> None:
        _write_group(out, self.operands, " && ", exact)

    def compile(self) -> Matcher:
        return _compile_all_of(tuple(op.compile() for op in self.operands))

    def collect_labels(self, out: set[str]) -> None:
        for operand in self.operands:
            operand.collect_labels(out)

    def prefixed(self, prefix: str) -> Node:
        return AndNode(tuple(op.prefixed(prefix) for op in self.operands))

    def has_global(self) -> bool:
        return any(op.has_global() for op in self.operands)


@dataclass(frozen=True, slots=True)
class OrNode(Node):
    """Two or more operands joined by ``||``; always printed in parentheses, as Calico does."""

    operands: tuple[Node, ...]

    def __post_init__(self) -> None:
        if len(self.operands) < 2:
            raise ValueError("OrNode needs at least two operands")

    def write(self, out: list[str], exact: bool) -> None:
        _write_group(out, self.operands, " || ", exact)

    def compile(self) -> Matcher:
        return _compile_any_of(tuple(op.compile() for op in self.operands))

    def collect_labels(self, out: set[str]) -> None:
        for operand in self.operands:
            operand.collect_labels(out)

    def prefixed(self, prefix: str) -> Node:
        return OrNode(tuple(op.prefixed(prefix) for op in self.operands))

    def has_global(self) -> bool:
        return any(op.has_global() for op in self.operands)


ALL_NODE = AllNode()
