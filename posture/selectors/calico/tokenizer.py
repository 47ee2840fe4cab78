"""Tokenizer for the Calico selector language, following Calico's v3.30+ hand-written scanner.

The lexical rules are subtle enough that a regex-per-token approach gets them wrong (see
calico-semantics.md §3.1), so this mirrors the scanner's decisions one by one:

* only space and tab separate tokens; any other whitespace (a newline from a YAML block) is an
  error;
* ``has(``, ``all(`` and ``global(`` are keywords only when written without a gap before ``(``
  and only where a label could start; otherwise the same letters form an ordinary label;
* the word operators (``contains``, ``starts with``, ``ends with``, ``not in``, ``in``) are
  recognised only directly after a label and must end at a word boundary; the two-word forms
  also accept no gap (``startswith``, ``notin``);
* string literals run to the next matching quote, with no escapes.

Every token records the 1-based column where it starts, so the parser can say where it failed.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import NoReturn

from posture.errors import SelectorError

#: Calico accepts label names up to this many characters (``tokenizer.MaxLabelLength``).
MAX_LABEL_LENGTH = 512

#: The characters a label may contain (Calico's ``identifierChar``).
LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")

_WHITESPACE = " \t"


class Kind(enum.Enum):
    """Token kinds; the names follow Calico's ``Tok*`` constants."""

    LABEL = "label"
    STRING = "string literal"
    LBRACE = "'{'"
    RBRACE = "'}'"
    COMMA = "','"
    EQ = "'=='"
    NE = "'!='"
    IN = "'in'"
    NOT = "'!'"
    NOT_IN = "'not in'"
    CONTAINS = "'contains'"
    STARTS_WITH = "'starts with'"
    ENDS_WITH = "'ends with'"
    ALL = "'all()'"
    HAS = "'has()'"
    LPAREN = "'('"
    RPAREN = "')'"
    AND = "'&&'"
    OR = "'||'"
    GLOBAL = "'global()'"
    EOF = "end of selector"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its text value (label name or literal contents), its 1-based column."""

    kind: Kind
    value: str = ""
    column: int = 0


_SINGLE_CHAR = {
    "(": Kind.LPAREN,
    ")": Kind.RPAREN,
    "{": Kind.LBRACE,
    "}": Kind.RBRACE,
    ",": Kind.COMMA,
}

#: Multi-word operators in the order Calico tries them (``contains`` first, bare ``in`` last).
_MULTI_WORD_OPERATORS: tuple[tuple[tuple[str, ...], Kind], ...] = (
    (("starts", "with"), Kind.STARTS_WITH),
    (("ends", "with"), Kind.ENDS_WITH),
    (("not", "in"), Kind.NOT_IN),
)

OPERATOR_HINT = "expected an operator (==, !=, in, not in, contains, starts with, ends with)"


def quote_selector(text: str) -> str:
    """Quote a selector for an error message so that the message stays on one line."""
    return json.dumps(text, ensure_ascii=False)


def fail(text: str, column: int, message: str) -> NoReturn:
    """Raise the one-line ``SelectorError`` every selector failure uses."""
    raise SelectorError(
        f"invalid selector {quote_selector(text)} at column {column}: {message}",
        expression=text,
        column=column,
    )


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WHITESPACE:
        i += 1
    return i


def _label_end(text: str, i: int) -> int:
    """Index just past the run of label characters starting at ``i``."""
    n = len(text)
    while i < n and text[i] in LABEL_CHARS:
        i += 1
    return i


def _at_word_boundary(text: str, i: int) -> bool:
    return i >= len(text) or text[i] not in LABEL_CHARS


def _cut_word(text: str, i: int, word: str) -> int | None:
    """If ``word`` starts at ``i`` and is followed by a word boundary, the index after it."""
    if not text.startswith(word, i):
        return None
    end = i + len(word)
    return end if _at_word_boundary(text, end) else None


def _cut_words(text: str, i: int, words: tuple[str, ...]) -> int | None:
    """Match several words with optional space/tab between them (and after the last one).

    As in Calico, whitespace after the last word is consumed *before* the boundary check, so
    ``a not in b`` fails here rather than in the parser; either way it is an error.
    """
    j = i
    for word in words:
        if not text.startswith(word, j):
            return None
        j = _skip_ws(text, j + len(word))
    return j if _at_word_boundary(text, j) else None


def _operator_after_label(text: str, i: int) -> tuple[Kind, int] | None:
    end = _cut_word(text, i, "contains")
    if end is not None:
        return Kind.CONTAINS, end
    for words, kind in _MULTI_WORD_OPERATORS:
        end = _cut_words(text, i, words)
        if end is not None:
            return kind, end
    end = _cut_word(text, i, "in")
    if end is not None:
        return Kind.IN, end
    return None


def _describe_char(ch: str) -> str:
    if ch == "\n":
        return "newline (a selector must be one line; only spaces and tabs separate tokens)"
    if ch == "\r":
        return "carriage return (only spaces and tabs separate tokens)"
    if ch.isspace():
        return f"whitespace {ch!r} (only spaces and tabs separate tokens)"
    return f"character {ch!r}"


def _cut_label(text: str, i: int, context: str) -> tuple[str, int]:
    """Read a label at ``i`` or fail: empty labels and labels over 512 characters are errors."""
    end = _label_end(text, i)
    if end == i:
        if i >= len(text):
            fail(text, i + 1, f"unexpected end of selector, expected {context}")
        fail(text, i + 1, f"unexpected {_describe_char(text[i])}, expected {context}")
    if end - i > MAX_LABEL_LENGTH:
        fail(text, i + 1, f"label is longer than {MAX_LABEL_LENGTH} characters")
    return text[i:end], end


def _cut_call(text: str, i: int, name: str) -> tuple[Token, int]:
    """Scan ``all(``, ``global(`` or ``has(``; the name and '(' are known to start at ``i``."""
    column = i + 1
    j = _skip_ws(text, i + len(name) + 1)
    value = ""
    if name == "has":
        value, j = _cut_label(text, j, "a label name inside has( )")
        j = _skip_ws(text, j)
    if j >= len(text) or text[j] != ")":
        fail(text, j + 1, f"expected ')' to close {name}(")
    kind = {"has": Kind.HAS, "all": Kind.ALL, "global": Kind.GLOBAL}[name]
    return Token(kind, value, column), j + 1


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, always ending with an EOF token; raise ``SelectorError``.

    The EOF token's column is one past the last character, which is where "unexpected end of
    selector" errors point.
    """
    tokens: list[Token] = []
    n = len(text)
    i = 0
    last = Kind.EOF  # stands for "no previous token"
    while True:
        i = _skip_ws(text, i)
        if i >= n:
            tokens.append(Token(Kind.EOF, "", n + 1))
            return tokens
        ch = text[i]
        column = i + 1
        single = _SINGLE_CHAR.get(ch)
        if single is not None:
            token = Token(single, "", column)
            i += 1
        elif ch in "\"'":
            close = text.find(ch, i + 1)
            if close < 0:
                fail(text, column, f"unterminated string literal (no closing {ch})")
            token = Token(Kind.STRING, text[i + 1 : close], column)
            i = close + 1
        elif ch == "=":
            if not text.startswith("==", i):
                hint = OPERATOR_HINT if last is Kind.LABEL else "expected '=='"
                fail(text, column, f"single '=' is not an operator; {hint}")
            token = Token(Kind.EQ, "", column)
            i += 2
        elif ch == "!":
            if text.startswith("!=", i):
                token = Token(Kind.NE, "", column)
                i += 2
            else:
                token = Token(Kind.NOT, "", column)
                i += 1
        elif ch in "&|":
            double = ch * 2
            if not text.startswith(double, i):
                fail(text, column, f"single '{ch}' is not an operator; expected '{double}'")
            token = Token(Kind.AND if ch == "&" else Kind.OR, "", column)
            i += 2
        elif last is Kind.LABEL:
            found = _operator_after_label(text, i)
            if found is None:
                after = f"after label {tokens[-1].value!r}"
                if ch in LABEL_CHARS:
                    word = text[i : _label_end(text, i)]
                    fail(text, column, f"{OPERATOR_HINT} {after}, found {word!r}")
                fail(text, column, f"unexpected {_describe_char(ch)}, {OPERATOR_HINT} {after}")
            token = Token(found[0], "", column)
            i = found[1]
        elif text.startswith("has(", i):
            token, i = _cut_call(text, i, "has")
        elif text.startswith("all(", i):
            token, i = _cut_call(text, i, "all")
        elif text.startswith("global(", i):
            token, i = _cut_call(text, i, "global")
        else:
            value, i = _cut_label(text, i, "a label, '(', '!', has(), all() or global()")
            token = Token(Kind.LABEL, value, column)
        tokens.append(token)
        last = token.kind
