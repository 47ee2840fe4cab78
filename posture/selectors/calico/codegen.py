"""Compile a selector AST into one flat Python function.

Nested closures (``Node.compile``) cost one Python call per AST node per evaluation; a single
generated function with an inline boolean expression is about twice as fast on the typical
``a == 'x' && b == 'y' && has(c)`` policy selector, and ``matches`` is the hottest path of the
analysis. The generated source only ever contains fixed operators and the names ``labels``,
``get``, ``_v`` and ``c0``, ``c1``, …; label names and values are bound to those ``cN`` names as
objects, never spliced into the source, so no selector text can change the code.

Python's compiler limits expression nesting, so a pathologically deep selector falls back to the
closure compiler, which computes the same function.
"""

from __future__ import annotations

from posture.selectors.calico.ast import (
    AllNode,
    AndNode,
    CompareNode,
    CompareOp,
    GlobalNode,
    HasNode,
    Matcher,
    Node,
    NotNode,
    OrNode,
    SetNode,
)

#: Beyond this depth the closure compiler is used (CPython's parser allows 200 nested parens).
_MAX_DEPTH = 60


class _Emitter:
    """Turns nodes into expression source, collecting the constants they refer to."""

    def __init__(self) -> None:
        self.constants: dict[str, object] = {}
        self.uses_get = 0

    def const(self, value: object) -> str:
        name = f"c{len(self.constants)}"
        self.constants[name] = value
        return name

    def get(self, label: str) -> str:
        self.uses_get += 1
        return f"get({self.const(label)})"

    def emit(self, node: Node, depth: int) -> str:
        if depth > _MAX_DEPTH:
            raise RecursionError("selector too deep for code generation")
        if isinstance(node, AllNode | GlobalNode):
            return "True"
        if isinstance(node, HasNode):
            return f"({self.const(node.label)} in labels)"
        if isinstance(node, CompareNode):
            return self._compare(node)
        if isinstance(node, SetNode):
            op = "not in" if node.negated else "in"
            return f"({self.get(node.label)} {op} {self.const(frozenset(node.values))})"
        if isinstance(node, NotNode):
            return f"(not {self.emit(node.operand, depth + 1)})"
        if isinstance(node, AndNode | OrNode):
            joiner = " and " if isinstance(node, AndNode) else " or "
            return "(" + joiner.join(self.emit(op, depth + 1) for op in node.operands) + ")"
        raise TypeError(f"unknown selector node {node!r}")

    def _compare(self, node: CompareNode) -> str:
        got = self.get(node.label)
        value = self.const(node.value)
        if node.op is CompareOp.EQ:
            return f"({got} == {value})"
        if node.op is CompareOp.NE:
            return f"({got} != {value})"  # absent: None != str, hence true (§3.2)
        if node.op is CompareOp.CONTAINS:
            return f"((_v := {got}) is not None and {value} in _v)"
        method = "startswith" if node.op is CompareOp.STARTS_WITH else "endswith"
        return f"((_v := {got}) is not None and _v.{method}({value}))"


def compile_matcher(node: Node) -> Matcher:
    """Return a function ``labels -> bool`` equivalent to ``node.compile()``, but faster."""
    if isinstance(node, AllNode | GlobalNode):
        return node.compile()
    emitter = _Emitter()
    try:
        expression = emitter.emit(node, 0)
        prologue = "    get = labels.get\n" if emitter.uses_get else ""
        source = f"def matches(labels):\n{prologue}    return {expression}\n"
        namespace: dict[str, object] = dict(emitter.constants)
        exec(compile(source, "<calico selector>", "exec"), namespace)
    except (RecursionError, MemoryError, SyntaxError):
        return node.compile()
    function = namespace["matches"]
    assert callable(function)
    return function
