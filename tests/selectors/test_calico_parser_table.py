"""Calico's own selector test tables, ported as data and run against posture.selectors.

Sources (test data only; no Go code was copied):

* ``selectorTests``, ``badSelectors``, ``canonicalisationTests`` and the Visitor ``DescribeTable``
  from https://github.com/projectcalico/calico/blob/036c024ded8ce5abc339c8f456532678a5afe114/libcalico-go/lib/selector/parser/parser_test.go
  (the current form of the file: it also runs ``parser.Validate``; the tables are identical at
  commit 1ba3b1444d5d70f503cfb69bbb40c08f592bdbaf).
* ``tokenTests`` from
  https://github.com/projectcalico/calico/blob/cf06c43e1b71acecb9e4eddea99d54117cea1f76/libcalico-go/lib/selector/tokenizer/tokenizer_test.go
  (the same inputs and kinds appear in the v3.30+ version whose token values are strings).

The tokenizer they are checked against is the v3.30+ hand-written scanner
(``libcalico-go/lib/selector/tokenizer/tokenizer.go`` at d4bced9ad8c266121dc6675980c7cfe8cf08355d).
None of the cases below depends on the older regex tokenizer: ``b starts with b`` is an error
in both (v3.30+ rejects it already in the tokenizer, because the word boundary after ``with`` is
checked after skipping the following space), and every other case tokenizes identically.
An older revision of parser_test.go lists UIDs without the ``s:`` prefix (``yAKsl-...``); those
belong to a previous hash scheme and are not used.
"""

from __future__ import annotations

import pytest

from posture.errors import SelectorError
from posture.selectors import parse
from posture.selectors.calico.tokenizer import Kind, tokenize

Labels = dict[str, str]

# (selector, labels that must match, labels that must not match) — Calico's selectorTests.
SELECTOR_TESTS: list[tuple[str, list[Labels], list[Labels]]] = [
    (
        'a == "b"',
        [{"a": "b"}, {"a": "b", "c": "d"}],
        [{}, {"a": "c"}, {"c": "d"}],
    ),
    (
        'a == "b" && c == "d"',
        [{"a": "b", "c": "d"}],
        [{}, {"a": "b", "c": "e"}, {"a": "c", "c": "d"}, {"c": "d"}, {"a": "b"}],
    ),
    (
        'a == "b" || c == "d"',
        [{"a": "b", "c": "d"}, {"a": "b"}, {"c": "d"}],
        [{}, {"a": "e", "c": "e"}, {"c": "e"}, {"a": "e"}],
    ),
    (
        """a in {"'", '"', "c"}""",
        [{"a": "c"}, {"a": '"'}, {"a": "'"}],
        [{}, {"a": "e"}],
    ),
    (
        """a not in {"'", '"', "c"}""",
        [{}, {"a": "e"}],
        [{"a": "c"}, {"a": '"'}, {"a": "'"}],
    ),
    ("a == 'a'", [{"a": "a"}], []),
    ('a == "a"', [{"a": "a"}], []),
    ('a != "b"', [{"a": "a"}], []),
    ('a != "a"', [{}], []),
    (
        'a contains "a"',
        [{"a": "a"}, {"a": "bab"}, {"a": "aaa", "b": "c"}],
        [{}, {"a": "b"}, {"b": "aaa"}],
    ),
    (
        'a starts with "a"',
        [{"a": "a"}, {"a": "abb"}, {"a": "aaa", "b": "c"}],
        [{}, {"a": "b"}, {"a": "baa"}, {"b": "aaa"}],
    ),
    (
        'a ends with "a"',
        [{"a": "a"}, {"a": "bba"}, {"a": "aaa", "b": "c"}],
        [{}, {"a": "b"}, {"a": "aab"}, {"b": "aaa"}],
    ),
    ('a in {"a"}', [{"a": "a"}], []),
    ('!a in {"a"}', [{"a": "b"}], []),
    ('a in {"a", "b"}', [{"a": "a"}], []),
    ('a in {"a", "b"}', [{"a": "b"}], []),
    ('a not in {"d", "e"}', [{"a": "a"}], []),
    ("has(a)", [{"a": "b"}], []),
    ("!has(a)", [{"b": "b"}], []),
    ("", [{}], []),
    (" ", [{}], []),
    ("", [{"a": "b"}], []),
    ("all()", [{}], []),
    (" all()", [{}], []),
    (" all()", [{"a": "b"}], []),
    ("global()", [{}], []),
    (" global()", [{}], []),
    (" global()", [{"a": "b"}], []),
    ("a == 'a'", [], [{"a": "b"}]),
    ("a == 'a'", [], [{}]),
    ('a != "a"', [], [{"a": "a"}]),
    ("a != 'a'", [], [{"a": "a"}]),
    ('a in {"a"}', [], [{"a": "b"}]),
    ('a not in {"a"}', [], [{"a": "a"}]),
    ('a in {"a", "b"}', [], [{"a": "c"}]),
    ("has(b)", [], [{"a": "b"}]),
    ("!!has(b)", [], [{"a": "b"}]),
    ("! has(a)", [], [{"a": "b"}]),
    ("!has(a)", [], [{"a": "b"}]),
    ("!!! has(a)", [], [{"a": "b"}]),
    ("!!!has(a)", [], [{"a": "b"}]),
    ("!! ! has(a)", [], [{"a": "b"}]),
    ("! !!has(a)", [], [{"a": "b"}]),
    # Boolean expressions...
    ("a == 'a1' && b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a == 'a1' && b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && !b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("!a == 'a1' && b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("has(a) && !has(b)", [{"a": "a"}], []),
    ("!has(b) && has(a)", [{"a": "a"}], []),
    ("!(!has(a) || has(b))", [{"a": "a"}], []),
    ("!(has(b) || !has(a))", [{"a": "a"}], []),
    ("a == 'a1' || b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a == 'a1' || b != 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a != 'a1' || b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a != 'a1' || b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("! a == 'a1' || ! b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
]

# Calico's badSelectors: every one must be rejected (its comments kept).
BAD_SELECTORS: list[str] = [
    "b == b",  # label == label
    "b contains b",  # label contains label
    "b starts with b",  # label starts with label
    "b ends with b",  # label starts with label
    "'b1' == b",  # literal on lhs
    "b",  # bare label
    "a b",  # Garbage
    "!",  # Garbage
    'foo == "bar" &',  # Garbage
    'foo == "bar" |',  # Garbage
    "foo != ||",  # Garbage
    'foo in {"", ||',  # Garbage
    'foo in ""',  # Expect set literal
    '"FOO',  # Unterminated string
    "\"FOO'",  # Unterminated string
    '"FOO',  # Unterminated string
    "'FOO",  # Unterminated string
    "(",  # Unterminated paren
    '(a == "foo"',  # Unterminated paren
    ")",  # Unterminated paren
    "()",  # Unterminated paren
    "%",  # Unexpected char
    'a == "b" && %',  # Unexpected char
    'a == "b" || %',  # Unexpected char
    "a ",  # should be followed by operator
    "has(foo) &&",  # should be followed by operator
]

# Calico's canonicalisationTests: (input, expected canonical string, expected UID or "").
CANONICALISATION_TESTS: list[tuple[str, str, str]] = [
    ("", "all()", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"),
    (" all() ", "all()", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"),
    (" (all() )", "all()", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"),
    (
        "! (has( b)||! has(a ))",
        "!(has(b) || !has(a))",
        "s:Iss0uCleLYv1GSv_pNm7hAO58kE9jAx1NKyG3Q",
    ),
    (
        '! (a == "b"&&! c != "d")',
        '!(a == "b" && !c != "d")',
        "s:lh3haoY1ikTRkd4UZu0nWSaIBknYLPJLX16d-w",
    ),
    ('a == "\'"', 'a == "\'"', ""),
    ("a == '\"'", "a == '\"'", ""),
    ("a contains '\"'", "a contains '\"'", ""),
    ('a contains "\'"', 'a contains "\'"', ""),
    ("a startswith '\"'", "a starts with '\"'", ""),
    ('a endswith "\'"', 'a ends with "\'"', ""),
    ("a!='\"'", "a != '\"'", ""),
    # Set items get sorted/de-duped.
    ('a in {"d"}', 'a in {"d"}', ""),
    ('a in {"a", "b"}', 'a in {"a", "b"}', ""),
    ('a in {"d", "a", "b"}', 'a in {"a", "b", "d"}', ""),
    ('a in {"z", "x", "y", "a"}', 'a in {"a", "x", "y", "z"}', ""),
    ('a in {"z", "z", "x", "y", "x", "a"}', 'a in {"a", "x", "y", "z"}', ""),
]

# Calico's Visitor DescribeTable with PrefixVisitor{Prefix: "visited/"}: (input, output).
VISITOR_TESTS: list[tuple[str, str]] = [
    ("k == 'v'", 'visited/k == "v"'),
    ("k != 'v'", 'visited/k != "v"'),
    ("k contains 'v'", 'visited/k contains "v"'),
    ("k starts with 'v'", 'visited/k starts with "v"'),
    ("k ends with 'v'", 'visited/k ends with "v"'),
    ("k == 'v' && x == 'y'", '(visited/k == "v" && visited/x == "y")'),
    ("k == 'v' || has(x)", '(visited/k == "v" || has(visited/x))'),
    ("!(k == 'v')", '!visited/k == "v"'),
    ("k in {'v'}", 'visited/k in {"v"}'),
    ("k not in {'v'}", 'visited/k not in {"v"}'),
    (
        "!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))",
        '!(!((visited/k == "v" && has(visited/t)) || all()) && visited/a in {"b", "c"})',
    ),
]

_K = Kind
# Calico's tokenTests: (input, expected [(kind, value)] or None when the tokenizer must fail).
TOKEN_TESTS: list[tuple[str, list[tuple[Kind, str]] | None]] = [
    ('a=="b"', [(_K.LABEL, "a"), (_K.EQ, ""), (_K.STRING, "b"), (_K.EOF, "")]),
    ('a=="b"', [(_K.LABEL, "a"), (_K.EQ, ""), (_K.STRING, "b"), (_K.EOF, "")]),
    ('label == "value"', [(_K.LABEL, "label"), (_K.EQ, ""), (_K.STRING, "value"), (_K.EOF, "")]),
    (
        'label contains "value"',
        [(_K.LABEL, "label"), (_K.CONTAINS, ""), (_K.STRING, "value"), (_K.EOF, "")],
    ),
    (
        'contains contains "contains"',
        [(_K.LABEL, "contains"), (_K.CONTAINS, ""), (_K.STRING, "contains"), (_K.EOF, "")],
    ),
    (
        "contains contains 'contains'",
        [(_K.LABEL, "contains"), (_K.CONTAINS, ""), (_K.STRING, "contains"), (_K.EOF, "")],
    ),
    (
        'label contains"value"',
        [(_K.LABEL, "label"), (_K.CONTAINS, ""), (_K.STRING, "value"), (_K.EOF, "")],
    ),
    (
        'label startswith "value"',
        [(_K.LABEL, "label"), (_K.STARTS_WITH, ""), (_K.STRING, "value"), (_K.EOF, "")],
    ),
    (
        'label endswith "value"',
        [(_K.LABEL, "label"), (_K.ENDS_WITH, ""), (_K.STRING, "value"), (_K.EOF, "")],
    ),
    (
        'label starts with "value"',
        [(_K.LABEL, "label"), (_K.STARTS_WITH, ""), (_K.STRING, "value"), (_K.EOF, "")],
    ),
    (
        'startswith starts with "value"',
        [(_K.LABEL, "startswith"), (_K.STARTS_WITH, ""), (_K.STRING, "value"), (_K.EOF, "")],
    ),
    (
        'label ends with "value"',
        [(_K.LABEL, "label"), (_K.ENDS_WITH, ""), (_K.STRING, "value"), (_K.EOF, "")],
    ),
    (
        'endswith ends with "value"',
        [(_K.LABEL, "endswith"), (_K.ENDS_WITH, ""), (_K.STRING, "value"), (_K.EOF, "")],
    ),
    (
        'label starts  with "value"',
        [(_K.LABEL, "label"), (_K.STARTS_WITH, ""), (_K.STRING, "value"), (_K.EOF, "")],
    ),
    (
        'label ends  with "value"',
        [(_K.LABEL, "label"), (_K.ENDS_WITH, ""), (_K.STRING, "value"), (_K.EOF, "")],
    ),
    ('label starts foo "value"', None),
    ('label ends foo "value"', None),
    ('label squiggles "value"', None),
    (
        'a not in "bar" && !has(foo) || b in c',
        [
            (_K.LABEL, "a"),
            (_K.NOT_IN, ""),
            (_K.STRING, "bar"),
            (_K.AND, ""),
            (_K.NOT, ""),
            (_K.HAS, "foo"),
            (_K.OR, ""),
            (_K.LABEL, "b"),
            (_K.IN, ""),
            (_K.LABEL, "c"),
            (_K.EOF, ""),
        ],
    ),
    ("has(calico/k8s_ns)", [(_K.HAS, "calico/k8s_ns"), (_K.EOF, "")]),
    ("has(calico/k8s_ns/role)", [(_K.HAS, "calico/k8s_ns/role"), (_K.EOF, "")]),
    ("has(calico/k8s_NS-.1/role)", [(_K.HAS, "calico/k8s_NS-.1/role"), (_K.EOF, "")]),
    (
        'calico/k8s_ns == "kube-system" && k8s-app == "kube-dns"',
        [
            (_K.LABEL, "calico/k8s_ns"),
            (_K.EQ, ""),
            (_K.STRING, "kube-system"),
            (_K.AND, ""),
            (_K.LABEL, "k8s-app"),
            (_K.EQ, ""),
            (_K.STRING, "kube-dns"),
            (_K.EOF, ""),
        ],
    ),
    (
        'a  not  in  "bar"  &&  ! has( foo )  ||  b  in  c ',
        [
            (_K.LABEL, "a"),
            (_K.NOT_IN, ""),
            (_K.STRING, "bar"),
            (_K.AND, ""),
            (_K.NOT, ""),
            (_K.HAS, "foo"),
            (_K.OR, ""),
            (_K.LABEL, "b"),
            (_K.IN, ""),
            (_K.LABEL, "c"),
            (_K.EOF, ""),
        ],
    ),
    (
        'a notin"bar"&&!has(foo)||b in"c"',
        [
            (_K.LABEL, "a"),
            (_K.NOT_IN, ""),
            (_K.STRING, "bar"),
            (_K.AND, ""),
            (_K.NOT, ""),
            (_K.HAS, "foo"),
            (_K.OR, ""),
            (_K.LABEL, "b"),
            (_K.IN, ""),
            (_K.STRING, "c"),
            (_K.EOF, ""),
        ],
    ),
    (
        "a not in {}",
        [(_K.LABEL, "a"), (_K.NOT_IN, ""), (_K.LBRACE, ""), (_K.RBRACE, ""), (_K.EOF, "")],
    ),
    (
        'a not in {"a"}',
        [
            (_K.LABEL, "a"),
            (_K.NOT_IN, ""),
            (_K.LBRACE, ""),
            (_K.STRING, "a"),
            (_K.RBRACE, ""),
            (_K.EOF, ""),
        ],
    ),
    (
        'a not in {"a","B"}',
        [
            (_K.LABEL, "a"),
            (_K.NOT_IN, ""),
            (_K.LBRACE, ""),
            (_K.STRING, "a"),
            (_K.COMMA, ""),
            (_K.STRING, "B"),
            (_K.RBRACE, ""),
            (_K.EOF, ""),
        ],
    ),
    ("global()", [(_K.GLOBAL, ""), (_K.EOF, "")]),
    ("all()", [(_K.ALL, ""), (_K.EOF, "")]),
]


def _label_id(labels: Labels) -> str:
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "{}"


def _expand_matches() -> list[object]:
    """One pytest case per (selector, labels, expected) so a failure names the exact triple."""
    cases: list[object] = []
    for index, (selector, matches, non_matches) in enumerate(SELECTOR_TESTS):
        for labels in matches:
            cases.append(
                pytest.param(selector, labels, True, id=f"{index}:{selector!r}~{_label_id(labels)}")
            )
        for labels in non_matches:
            cases.append(
                pytest.param(
                    selector, labels, False, id=f"{index}:{selector!r}!~{_label_id(labels)}"
                )
            )
    return cases


MATCH_CASES = _expand_matches()


def test_tables_are_complete() -> None:
    # Guards against an accidental deletion when the tables are edited: the counts are those
    # of the Calico source files cited above.
    assert len(SELECTOR_TESTS) == 58
    assert len(BAD_SELECTORS) == 26
    assert len(CANONICALISATION_TESTS) == 17
    assert len(VISITOR_TESTS) == 11
    assert len(TOKEN_TESTS) == 30


@pytest.mark.parametrize(("selector", "labels", "expected"), MATCH_CASES)
def test_selector_matches(selector: str, labels: Labels, expected: bool) -> None:
    assert parse(selector).matches(labels) is expected


@pytest.mark.parametrize(("selector", "labels", "expected"), MATCH_CASES)
def test_selector_matches_after_canonicalising(
    selector: str, labels: Labels, expected: bool
) -> None:
    canonical = str(parse(selector))
    reparsed = parse(canonical)
    assert reparsed.matches(labels) is expected
    assert reparsed == parse(selector)
    assert reparsed.uid == parse(selector).uid


@pytest.mark.parametrize("selector", BAD_SELECTORS)
def test_bad_selector_is_rejected(selector: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse(selector)
    error = info.value
    assert error.expression == selector
    assert 1 <= error.column <= len(selector) + 1
    assert f"at column {error.column}:" in error.message
    assert "\n" not in error.message


@pytest.mark.parametrize(("selector", "canonical", "uid"), CANONICALISATION_TESTS)
def test_canonicalisation(selector: str, canonical: str, uid: str) -> None:
    sel = parse(selector)
    assert str(sel) == canonical
    assert sel.calico_string == canonical
    round_tripped = parse(canonical)
    assert str(round_tripped) == canonical
    assert round_tripped.uid == sel.uid
    if uid:
        assert sel.uid == uid


@pytest.mark.parametrize(("selector", "expected"), VISITOR_TESTS)
def test_prefix_visitor(selector: str, expected: str) -> None:
    assert str(parse(selector).prefix_labels("visited/")) == expected


@pytest.mark.parametrize(("text", "expected"), TOKEN_TESTS)
def test_tokenizer(text: str, expected: list[tuple[Kind, str]] | None) -> None:
    if expected is None:
        with pytest.raises(SelectorError):
            tokenize(text)
        return
    assert [(token.kind, token.value) for token in tokenize(text)] == expected
