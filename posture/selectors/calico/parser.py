"""Recursive-descent parser for Calico selectors, shaped like Calico's ``parser.go``.

Grammar (calico-semantics.md §3.1)::

    selector := [ or_expr ] EOF            # empty == all()
    or_expr  := and_expr ( "||" and_expr )*
    and_expr := unary ( "&&" unary )*
    unary    := "!"* primary               # odd count negates, even count cancels
    primary  := all() | global() | has(L) | L cmp STRING | L set_op "{" strings "}"
              | "(" or_expr ")"

The tree it builds is the one Calico builds: a chain of ``&&`` (or ``||``) becomes one node with
all operands, a parenthesised group stays a separate node, and a run of ``!`` collapses to at
most one NotNode. That shape determines the canonical string and therefore the UID.
"""

from __future__ import annotations

from typing import NoReturn

from posture.selectors.calico.ast import (
    ALL_NODE,
    AllNode,
    AndNode,
    CompareNode,
    CompareOp,
    GlobalNode,
    HasNode,
    Node,
    NotNode,
    OrNode,
    SetNode,
)
from posture.selectors.calico.tokenizer import OPERATOR_HINT, Kind, Token, fail, tokenize

_COMPARE_OPS = {
    Kind.EQ: CompareOp.EQ,
    Kind.NE: CompareOp.NE,
    Kind.CONTAINS: CompareOp.CONTAINS,
    Kind.STARTS_WITH: CompareOp.STARTS_WITH,
    Kind.ENDS_WITH: CompareOp.ENDS_WITH,
}


def _describe(token: Token) -> str:
    if token.kind is Kind.LABEL:
        return f"label {token.value!r}"
    if token.kind is Kind.STRING:
        return f"string literal {token.value!r}"
    return str(token.kind.value)


class _Parser:
    """Single-use cursor over the token list of one selector."""

    __slots__ = ("pos", "text", "tokens")

    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.pos = 0

    def _peek(self) -> Token:
        return self.tokens[self.pos]

    def _next(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind is not Kind.EOF:
            self.pos += 1
        return token

    def _fail(self, token: Token, message: str) -> NoReturn:
        if token.kind is Kind.EOF:
            fail(self.text, token.column, f"unexpected end of selector, {message}")
        fail(self.text, token.column, f"unexpected {_describe(token)}, {message}")

    def parse(self) -> Node:
        if self._peek().kind is Kind.EOF:
            return ALL_NODE
        node = self._or_expr()
        tail = self._peek()
        if tail.kind is not Kind.EOF:
            self._fail(tail, "expected '&&', '||' or the end of the selector")
        return node

    def _or_expr(self) -> Node:
        operands = [self._and_expr()]
        while self._peek().kind is Kind.OR:
            self._next()
            operands.append(self._and_expr())
        return operands[0] if len(operands) == 1 else OrNode(tuple(operands))

    def _and_expr(self) -> Node:
        operands = [self._unary()]
        while self._peek().kind is Kind.AND:
            self._next()
            operands.append(self._unary())
        return operands[0] if len(operands) == 1 else AndNode(tuple(operands))

    def _unary(self) -> Node:
        negated = False
        while self._peek().kind is Kind.NOT:
            self._next()
            negated = not negated
        node = self._primary()
        return NotNode(node) if negated else node

    def _primary(self) -> Node:
        token = self._next()
        kind = token.kind
        if kind is Kind.HAS:
            return HasNode(token.value)
        if kind is Kind.ALL:
            return AllNode()
        if kind is Kind.GLOBAL:
            return GlobalNode()
        if kind is Kind.LABEL:
            return self._label_expression(token.value)
        if kind is Kind.LPAREN:
            node = self._or_expr()
            close = self._next()
            if close.kind is not Kind.RPAREN:
                self._fail(close, "expected ')'")
            return node
        self._fail(token, "expected a label, '(', '!', has(), all() or global()")

    def _label_expression(self, label: str) -> Node:
        op = self._next()
        compare = _COMPARE_OPS.get(op.kind)
        if compare is not None:
            literal = self._next()
            if literal.kind is not Kind.STRING:
                self._fail(literal, f"expected a quoted string after {op.kind.value}")
            return CompareNode(label, compare, literal.value)
        if op.kind is Kind.IN or op.kind is Kind.NOT_IN:
            return self._set_expression(label, op)
        self._fail(op, f"{OPERATOR_HINT} after label {label!r}")

    def _set_expression(self, label: str, op: Token) -> Node:
        brace = self._next()
        if brace.kind is not Kind.LBRACE:
            self._fail(brace, f"expected '{{' (a set literal) after {op.kind.value}")
        values: list[str] = []
        while self._peek().kind is Kind.STRING:
            values.append(self._next().value)
            if self._peek().kind is not Kind.COMMA:
                break
            self._next()
        close = self._next()
        if close.kind is not Kind.RBRACE:
            self._fail(close, "expected a quoted string, ',' or '}' in the set literal")
        return SetNode(label, tuple(values), negated=op.kind is Kind.NOT_IN)


def parse_node(text: str) -> Node:
    """Parse ``text`` into an AST; raise ``SelectorError`` (with the column) when invalid."""
    tokens = tokenize(text)
    try:
        return _Parser(text, tokens).parse()
    except RecursionError:
        fail(text, 1, "selector is nested too deeply")
