"""The ``Selector`` value: a parsed, compiled, canonicalised Calico selector.

A Selector is immutable. It is compiled once at construction so ``matches`` is a single function
call, and ``parse`` memoises by input text because a cluster has far fewer distinct selector
strings than evaluations (the cache is an implementation detail, not state callers can see).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Callable, Mapping

from posture.errors import SelectorError
from posture.selectors.calico.ast import ALL_NODE, AllNode, AndNode, Node
from posture.selectors.calico.codegen import compile_matcher
from posture.selectors.calico.parser import parse_node
from posture.selectors.calico.tokenizer import LABEL_CHARS, MAX_LABEL_LENGTH

_PARSE_CACHE_SIZE = 65536


def calico_uid(canonical: str) -> str:
    """Calico's ``hash.MakeUniqueID("s", canonical)``: ``s:`` + unpadded base64url(SHA-224)."""
    digest = hashlib.sha224(b"s:" + canonical.encode("utf-8")).digest()
    return "s:" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Selector:
    """A Calico selector. Equality and hashing use the canonical string (``str(sel)``).

    ``matches`` is stored as an instance attribute holding the compiled function rather than
    defined as a method: that removes one Python call frame from the hottest path of the whole
    analysis. Call it exactly like a method: ``sel.matches(labels)``.
    """

    __slots__ = ("_calico", "_canonical", "_hash", "_keys", "_root", "_uid", "matches")

    matches: Callable[[Mapping[str, str]], bool]

    def __init__(self, root: Node) -> None:
        self._root = root
        self._canonical = root.render(exact=False)
        self._calico: str | None = None
        self._uid: str | None = None
        self._keys: frozenset[str] | None = None
        self._hash = hash(self._canonical)
        self.matches = compile_matcher(root)

    @property
    def ast(self) -> Node:
        """The root AST node (immutable), for callers that analyse selector structure."""
        return self._root

    @property
    def calico_string(self) -> str:
        """Exactly what Calico's ``Selector.String()`` returns; the input to ``uid``.

        It differs from ``str(self)`` only for a negated negation such as ``!(!a == 'x')``, which
        Calico prints as ``!!a == "x"`` (a string that re-parses to a different selector).
        """
        if self._calico is None:
            self._calico = self._root.render(exact=True)
        return self._calico

    @property
    def uid(self) -> str:
        """Calico's unique ID for this selector, e.g. ``s:5y5I3VdR...`` for ``all()``."""
        if self._uid is None:
            self._uid = calico_uid(self.calico_string)
        return self._uid

    @property
    def is_all(self) -> bool:
        """True for ``all()`` and the empty selector (structurally, not by truth table)."""
        return isinstance(self._root, AllNode)

    @property
    def has_global(self) -> bool:
        """True when ``global()`` occurs anywhere in the expression."""
        return self._root.has_global()

    def label_keys(self) -> frozenset[str]:
        """Every label key the expression mentions, e.g. to index endpoints by label."""
        if self._keys is None:
            keys: set[str] = set()
            self._root.collect_labels(keys)
            self._keys = frozenset(keys)
        return self._keys

    def prefix_labels(self, prefix: str) -> Selector:
        """A selector with every label key ``k`` renamed ``prefix + k`` (Calico's PrefixVisitor).

        This is how namespace and service-account selectors become ``pcns.``/``pcsa.`` selectors.
        The prefix must itself consist of label characters and the results must stay within 512
        characters; otherwise the prefixed selector could not be written down and re-parsed.
        """
        bad = sorted(set(prefix) - LABEL_CHARS)
        if bad:
            raise SelectorError(
                f"cannot prefix selector {str(self)!r} with {prefix!r}: "
                f"{bad[0]!r} is not allowed in a label name",
                expression=str(self),
            )
        if not prefix:
            return self
        for key in self.label_keys():
            if len(prefix) + len(key) > MAX_LABEL_LENGTH:
                raise SelectorError(
                    f"cannot prefix selector {str(self)!r} with {prefix!r}: label "
                    f"{key!r} would exceed {MAX_LABEL_LENGTH} characters",
                    expression=str(self),
                )
        return Selector(self._root.prefixed(prefix))

    def __str__(self) -> str:
        return self._canonical

    def __repr__(self) -> str:
        return f"Selector({self._canonical!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Selector):
            return self._canonical == other._canonical
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[Callable[[str], Selector], tuple[str]]:
        # The compiled closure cannot be pickled; rebuild from the canonical text instead.
        return (parse, (self._canonical,))


def parse(text: str) -> Selector:
    """Parse a Calico selector; the empty or blank string means ``all()``.

    Raises ``posture.errors.SelectorError`` whose message names the 1-based column, e.g.
    ``invalid selector "app = 'x'" at column 5: single '=' is not an operator; expected an
    operator (==, !=, in, not in, contains, starts with, ends with)``.
    """
    return _parse_cached(text)


@functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)
def _parse_cached(text: str) -> Selector:
    # Separate from parse() so that parse keeps a precise signature for type checkers.
    return Selector(parse_node(text))


def and_(a: Selector, b: Selector) -> Selector:
    """The conjunction of two selectors, exactly as Calico builds ``(a) && (b)`` textually.

    No simplification is applied (``and_(ALL, s)`` is ``(all() && s)``), so the result and its
    UID equal what Calico gets from parsing the combined string.
    """
    return Selector(AndNode((a.ast, b.ast)))


#: The selector that matches everything (``all()``, equal to ``parse("")``).
ALL = Selector(ALL_NODE)
