"""posture.selectors against calico-semantics.md §3.1 (lexical rules) and §3.2 (evaluation).

Each table row names the section it checks. Beyond the tables: error columns, prefixing,
label keys, the public API, and property tests that generate ASTs and check that printing and
re-parsing is lossless and that the compiled closures agree with a plain tree-walking evaluator.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture.errors import SelectorError
from posture.model.meta import Labels
from posture.selectors import ALL, Selector, and_, parse
from posture.selectors.calico import calico_uid
from posture.selectors.calico.ast import (
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

LONG_LABEL = "l" * 512

# (section, selector, canonical form) — inputs §3.1 says are valid, and how they canonicalise.
VALID: list[tuple[str, str, str]] = [
    ("3.1 word op then quote, no gap", 'a contains"x"', 'a contains "x"'),
    ("3.1 word op then brace, no gap", "a in{'x'}", 'a in {"x"}'),
    ("3.1 'not in' then brace, no gap", "a not in{'x'}", 'a not in {"x"}'),
    ("3.1 startswith without gap", "a startswith 'x'", 'a starts with "x"'),
    ("3.1 endswith without gap", "a endswith 'x'", 'a ends with "x"'),
    ("3.1 notin without gap", "a notin {'x'}", 'a not in {"x"}'),
    ("3.1 several spaces inside 'starts with'", "a starts   with 'x'", 'a starts with "x"'),
    ("3.1 tabs separate tokens", "a\tnot\tin\t{'x'}", 'a not in {"x"}'),
    ("3.1 label spelled like an operator", "contains contains 'x'", 'contains contains "x"'),
    ("3.1 label 'in' before in", "in in {'x'}", 'in in {"x"}'),
    ("3.1 label 'not' before not in", "not not in {'x'}", 'not not in {"x"}'),
    ("3.1 label 'starts'", "starts starts with 'x'", 'starts starts with "x"'),
    ("3.1 label 'has' without '('", "has == 'x'", 'has == "x"'),
    ("3.1 label 'all' without '('", "all != 'x'", 'all != "x"'),
    ("3.1 label 'global' without '('", "global == 'x'", 'global == "x"'),
    ("3.1 label 'notin'", "notin == 'x'", 'notin == "x"'),
    ("3.1 ! binds to one primary", "!a == 'x' && b == 'y'", '(!a == "x" && b == "y")'),
    ("3.1 even run of ! cancels", "!!!!a == 'x'", 'a == "x"'),
    ("3.1 odd run of ! negates", "! ! !a == 'x'", '!a == "x"'),
    (
        "3.1 && binds tighter than ||",
        "a == 'x' || b == 'y' && c == 'z'",
        '(a == "x" || (b == "y" && c == "z"))',
    ),
    (
        "3.1 parentheses group",
        "(a == 'x' || b == 'y') && c == 'z'",
        '((a == "x" || b == "y") && c == "z")',
    ),
    (
        "3.1 chain of && is one group",
        "a == 'x' && b == 'y' && c == 'z'",
        '(a == "x" && b == "y" && c == "z")',
    ),
    (
        "3.1 nested group keeps its parens",
        "(a == 'x' && b == 'y') && c == 'z'",
        '((a == "x" && b == "y") && c == "z")',
    ),
    ("3.1 redundant parens vanish", "((a == 'x'))", 'a == "x"'),
    ("3.1 empty set", "a in {}", "a in {}"),
    ("3.1 empty set, not in", "a not in { }", "a not in {}"),
    ("3.1 trailing comma in set", "a in {'x', 'y',}", 'a in {"x", "y"}'),
    ("3.1 whitespace inside has()", "has(  a\t)", "has(a)"),
    ("3.1 whitespace inside all()", "all( )", "all()"),
    ("3.1 whitespace inside global()", "global(\t)", "global()"),
    ("3.1 leading/trailing blanks", " \t a == 'x' \t ", 'a == "x"'),
    ("3.1 blank selector is all()", " \t ", "all()"),
    ("3.1 every label character", "aZ09_./- == 'x'", 'aZ09_./- == "x"'),
    ("3.1 label may start with a digit or '-'", "-1 == 'x'", '-1 == "x"'),
    ("3.1 512-character label", f"{LONG_LABEL} == 'x'", f'{LONG_LABEL} == "x"'),
    ("3.1 512-character label in has()", f"has({LONG_LABEL})", f"has({LONG_LABEL})"),
    ("3.1 literal with the other quote", 'a == "it\'s"', 'a == "it\'s"'),
    ("3.1 literal with double quote", "a == 'say \"hi\"'", "a == 'say \"hi\"'"),
    ("3.1 literal keeps spaces and non-ASCII", "a == ' ä b '", 'a == " ä b "'),
    ("3.1 newline inside a literal is content", "a == 'x\ny'", 'a == "x\ny"'),
    (
        "3.1 operators need no spaces",
        "a!='x'&&!has(b)||c=='y'",
        '((a != "x" && !has(b)) || c == "y")',
    ),
    ("3.2 set members sorted and de-duplicated", "a in {'b', 'a', 'b'}", 'a in {"a", "b"}'),
]

# (section, selector, 1-based column, fragment of the message) — inputs §3.1 says are errors.
INVALID: list[tuple[str, str, int, str]] = [
    ("3.1 newline between tokens", "a == 'x'\n&& b == 'y'", 9, "newline"),
    ("3.1 newline after operator", "a ==\n'x'", 5, "newline"),
    ("3.1 newline inside has() (accepted by <=3.29)", "has(\na)", 5, "newline"),
    ("3.1 newline between 'not' and 'in' (accepted by <=3.29)", "a not\nin {}", 3, "operator"),
    ("3.1 carriage return after label", "a\r== 'x'", 2, "carriage return"),
    ("3.1 all () is the label all", "all ()", 5, "expected an operator"),
    ("3.1 has (a) is the label has", "has (a)", 5, "expected an operator"),
    ("3.1 word operator needs a boundary", "a containsx 'x'", 3, "'containsx'"),
    ("3.1 in needs a boundary", "a inx {}", 3, "'inx'"),
    ("3.1 notin needs a boundary", "a notinx {}", 3, "'notinx'"),
    ("3.1 startswith needs a boundary", "a startswithx 'x'", 3, "'startswithx'"),
    ("3.1 'not' alone is not an operator", "a not {'x'}", 3, "'not'"),
    ("3.1 label operand after 'not in'", "a not in b", 3, "expected an operator"),
    ("3.1 unknown word operator", "a squiggles 'x'", 3, "'squiggles'"),
    ("3.1 literal on the left", "'v' == k", 1, "string literal 'v'"),
    ("3.1 bare label", "k", 2, "end of selector"),
    ("3.1 label == label", "a == b", 6, "expected a quoted string"),
    ("3.1 single =", "a = 'x'", 3, "single '='"),
    ("3.1 single &", "a == 'x' & b == 'y'", 10, "single '&'"),
    ("3.1 single |", "a == 'x' | b == 'y'", 10, "single '|'"),
    ("3.1 two terms without operator", "a == 'x' b == 'y'", 10, "expected '&&', '||'"),
    ("3.1 set needs braces", "a in 'x'", 6, "expected '{'"),
    ("3.1 set members need commas", "a in {'x' 'y'}", 11, "','"),
    ("3.1 set member must be a literal", "a in {x}", 7, "label 'x'"),
    ("3.1 leading comma in set", "a in {,'x'}", 7, "','"),
    ("3.1 unterminated literal", 'a == "x', 6, "unterminated"),
    ("3.1 mixed quotes do not close", "a == \"x'", 6, "unterminated"),
    ("3.1 unclosed paren", "(a == 'x'", 10, "expected ')'"),
    ("3.1 stray close paren", "a == 'x')", 9, "')'"),
    ("3.1 empty parens", "()", 2, "')'"),
    ("3.1 lone !", "!", 2, "end of selector"),
    ("3.1 dangling &&", "a == 'x' &&", 12, "end of selector"),
    ("3.1 empty has()", "has()", 5, "label name"),
    ("3.1 unclosed has(", "has(a", 6, "')'"),
    ("3.1 two labels in has()", "has(a b)", 7, "')'"),
    ("3.1 global() takes no argument", "global(x)", 8, "')'"),
    ("3.1 label longer than 512", f"{LONG_LABEL}x == 'y'", 1, "512"),
    ("3.1 has() label longer than 512", f"has({LONG_LABEL}x)", 5, "512"),
    ("3.1 non-ASCII label character", "ä == 'x'", 1, "'ä'"),
    ("3.1 columns count characters", "a == 'ä' && %", 13, "'%'"),
    ("3.1 no escapes in literals", "a == 'it\\'s'", 12, "unterminated"),
    ("3.1 operator after a literal", "a == 'x' == 'y'", 10, "'=='"),
]

# (section, selector, labels, expected) — the evaluation table of §3.2.
EVALUATION: list[tuple[str, str, dict[str, str], bool]] = [
    ("3.2 all() always", "all()", {}, True),
    ("3.2 global() true when evaluated", "global()", {}, True),
    ("3.2 has: present", "has(k)", {"k": "v"}, True),
    ("3.2 has: present with empty value", "has(k)", {"k": ""}, True),
    ("3.2 has: absent", "has(k)", {"j": "v"}, False),
    ("3.2 ==: equal", "k == 'v'", {"k": "v"}, True),
    ("3.2 ==: different", "k == 'v'", {"k": "w"}, False),
    ("3.2 ==: absent", "k == 'v'", {}, False),
    ("3.2 == '': empty value", "k == ''", {"k": ""}, True),
    ("3.2 == '': absent", "k == ''", {}, False),
    ("3.2 !=: absent is true", "k != 'v'", {}, True),
    ("3.2 !=: different", "k != 'v'", {"k": "w"}, True),
    ("3.2 !=: equal", "k != 'v'", {"k": "v"}, False),
    ("3.2 in: member", "k in {'a', 'b'}", {"k": "b"}, True),
    ("3.2 in: not member", "k in {'a', 'b'}", {"k": "c"}, False),
    ("3.2 in: absent", "k in {'a', 'b'}", {}, False),
    ("3.2 in {}: never", "k in {}", {"k": ""}, False),
    ("3.2 not in: absent is true", "k not in {'a'}", {}, True),
    ("3.2 not in: member", "k not in {'a'}", {"k": "a"}, False),
    ("3.2 not in: not member", "k not in {'a'}", {"k": "b"}, True),
    ("3.2 not in {}: always", "k not in {}", {}, True),
    ("3.2 contains: substring", "k contains 'ell'", {"k": "hello"}, True),
    ("3.2 contains: absent", "k contains 'ell'", {}, False),
    ("3.2 contains: case-sensitive", "k contains 'ELL'", {"k": "hello"}, False),
    ("3.2 contains '': any present value", "k contains ''", {"k": ""}, True),
    ("3.2 contains '': absent", "k contains ''", {}, False),
    ("3.2 starts with: prefix", "k starts with 'he'", {"k": "hello"}, True),
    ("3.2 starts with: not prefix", "k starts with 'lo'", {"k": "hello"}, False),
    ("3.2 starts with '': absent", "k starts with ''", {}, False),
    ("3.2 ends with: suffix", "k ends with 'lo'", {"k": "hello"}, True),
    ("3.2 ends with: not suffix", "k ends with 'he'", {"k": "hello"}, False),
    ("3.2 ends with: absent", "k ends with ''", {}, False),
    ("3.2 !: negates", "!k == 'v'", {"k": "v"}, False),
    ("3.2 &&: both", "a == '1' && b == '2'", {"a": "1", "b": "2"}, True),
    ("3.2 &&: one", "a == '1' && b == '2'", {"a": "1"}, False),
    ("3.2 ||: one", "a == '1' || b == '2'", {"b": "2"}, True),
    ("3.2 ||: none", "a == '1' || b == '2'", {}, False),
    ("3.2 three-way &&", "has(a) && has(b) && has(c)", {"a": "", "b": "", "c": ""}, True),
    ("3.2 three-way && fails on last", "has(a) && has(b) && has(c)", {"a": "", "b": ""}, False),
    ("3.2 three-way ||", "has(a) || has(b) || has(c)", {"c": ""}, True),
    ("3.2 three-way || none", "has(a) || has(b) || has(c)", {}, False),
]


@pytest.mark.parametrize(("section", "text", "canonical"), VALID, ids=[v[0] for v in VALID])
def test_valid_lexical_forms(section: str, text: str, canonical: str) -> None:
    sel = parse(text)
    assert str(sel) == canonical
    assert parse(canonical) == sel


@pytest.mark.parametrize(
    ("section", "text", "column", "fragment"), INVALID, ids=[v[0] for v in INVALID]
)
def test_invalid_selectors_name_the_column(
    section: str, text: str, column: int, fragment: str
) -> None:
    with pytest.raises(SelectorError) as info:
        parse(text)
    error = info.value
    assert error.column == column, error.message
    assert error.expression == text
    assert error.message.startswith("invalid selector ")
    assert f" at column {column}: " in error.message
    assert fragment in error.message
    assert "\n" not in error.message
    assert "\r" not in error.message


def test_error_message_format_from_the_brief() -> None:
    with pytest.raises(SelectorError) as info:
        parse("app = 'x'")
    assert info.value.message == (
        "invalid selector \"app = 'x'\" at column 5: single '=' is not an operator; "
        "expected an operator (==, !=, in, not in, contains, starts with, ends with)"
    )


@pytest.mark.parametrize(
    ("section", "text", "labels", "expected"), EVALUATION, ids=[v[0] for v in EVALUATION]
)
def test_evaluation_table(section: str, text: str, labels: dict[str, str], expected: bool) -> None:
    sel = parse(text)
    assert sel.matches(labels) is expected
    assert sel.ast.compile()(labels) is expected  # the closure compiler used for deep selectors
    assert sel.matches(Labels(labels)) is expected


def test_double_negation_through_parens_round_trips() -> None:
    # Calico prints this as '!!a == "x"', which re-parses to 'a == "x"' (calico-semantics §3.2,
    # parser.go collapses '!' runs). Our str() keeps the parens; the UID still uses Calico's text.
    sel = parse("!(!a == 'x')")
    assert str(sel) == '!(!a == "x")'
    assert sel.calico_string == '!!a == "x"'
    assert sel.uid == calico_uid('!!a == "x"')
    assert parse(str(sel)) == sel
    assert parse(sel.calico_string) != sel
    assert sel.matches({"a": "x"})
    assert not sel.matches({})


def test_uid_format_and_known_value() -> None:
    assert ALL.uid == "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"
    uid = parse("a == 'b'").uid
    assert uid.startswith("s:")
    assert len(uid) == 40
    assert "=" not in uid


def test_equality_and_hash_follow_the_canonical_form() -> None:
    a, b = parse("a=='x'&&has(b)"), parse(' a == "x"  &&  has( b ) ')
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b, parse("has(b) && a == 'x'")}) == 2
    assert parse("") == ALL == parse("all()")
    assert a != "a == 'x' && has(b)"
    assert repr(a) == "Selector('(a == \"x\" && has(b))')"


def test_is_all_and_has_global() -> None:
    assert all(parse(s).is_all for s in ("", "  ", "all()", "(all())", "!!all()"))
    assert not any(parse(s).is_all for s in ("global()", "!all()", "all() && all()", "has(a)"))
    assert all(parse(s).has_global for s in ("global()", "!global()", "has(a) || global()"))
    assert not any(parse(s).has_global for s in ("all()", "global == 'x'", "has(global)"))


def test_label_keys() -> None:
    assert ALL.label_keys() == frozenset()
    sel = parse("a == 'x' || !has(b) && c in {} || a starts with 'y' || global()")
    assert sel.label_keys() == frozenset({"a", "b", "c"})
    assert parse(
        "d not in {'x'} && e contains 'z' && f ends with 'q' && f != 'r'"
    ).label_keys() == {
        "d",
        "e",
        "f",
    }


def test_prefix_labels() -> None:
    sel = parse("team == 'a' && !has(x) || tier in {'1'} || all() || global()")
    prefixed = sel.prefix_labels("pcns.")
    assert str(prefixed) == (
        '((pcns.team == "a" && !has(pcns.x)) || pcns.tier in {"1"} || all() || global())'
    )
    assert prefixed.label_keys() == {"pcns.team", "pcns.x", "pcns.tier"}
    assert str(sel) == '((team == "a" && !has(x)) || tier in {"1"} || all() || global())'
    narrow = parse("team == 'a' && !has(x)").prefix_labels("pcns.")
    assert narrow.matches({"pcns.team": "a", "x": "1"})
    assert not narrow.matches({"team": "a"})
    assert not narrow.matches({"pcns.team": "a", "pcns.x": ""})
    assert parse("kubernetes.io/metadata.name not in {'kube-system'}").prefix_labels(
        "pcns."
    ) == parse("pcns.kubernetes.io/metadata.name not in {'kube-system'}")
    assert sel.prefix_labels("") == sel


@pytest.mark.parametrize("prefix", ["pc ns.", "a'", "ns:", "é"])
def test_prefix_labels_rejects_non_label_characters(prefix: str) -> None:
    with pytest.raises(SelectorError, match="not allowed in a label name"):
        parse("a == 'x'").prefix_labels(prefix)


def test_prefix_labels_rejects_overlong_result() -> None:
    with pytest.raises(SelectorError, match="512"):
        parse(f"has({LONG_LABEL})").prefix_labels("p.")


def test_and_is_textual_conjunction() -> None:
    a, b = parse("a == 'x'"), parse("b == 'y' || c == 'z'")
    combined = and_(a, b)
    assert combined == parse("(a == 'x') && (b == 'y' || c == 'z')")
    assert combined.uid == parse(f"({a}) && ({b})").uid
    assert str(and_(ALL, a)) == '(all() && a == "x")'
    assert str(and_(parse("p == '1' && q == '2'"), a)) == '((p == "1" && q == "2") && a == "x")'
    assert combined.matches({"a": "x", "c": "z"})
    assert not combined.matches({"a": "x"})


def test_pickle_round_trip() -> None:
    sel = parse("!(!a == 'x') && b in {'1', '2'}")
    clone = pickle.loads(pickle.dumps(sel))
    assert clone == sel
    assert clone.uid == sel.uid
    assert clone.matches({"a": "x", "b": "1"})


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    deep = "(" * 5000 + "a == 'x'" + ")" * 5000
    with pytest.raises(SelectorError, match="nested too deeply"):
        parse(deep)


def test_set_node_normalises_values() -> None:
    assert SetNode("k", ("b", "a", "b")).values == ("a", "b")
    with pytest.raises(ValueError, match="two operands"):
        AndNode((HasNode("a"),))
    with pytest.raises(ValueError, match="two operands"):
        OrNode(())


# ---------------------------------------------------------------------------------------------
# Property tests over generated ASTs.

_KEY_WORDS = ["contains", "in", "not", "notin", "has", "all", "global", "starts", "with", "ends"]
_LABEL_ALPHABET = "abcXYZ019_./-"
_labels = st.one_of(
    st.sampled_from(["a", "b", "app", "k8s-app", "pcns.team", *_KEY_WORDS]),
    st.text(_LABEL_ALPHABET, min_size=1, max_size=12),
)
# A literal may contain one kind of quote but not both (there is no escape syntax, §3.1).
_values = st.text(st.sampled_from("ab '\"ä\t\n{},()!&|=x"), max_size=6).filter(
    lambda v: not ("'" in v and '"' in v)
)
_leaves: st.SearchStrategy[Node] = st.one_of(
    st.just(AllNode()),
    st.just(GlobalNode()),
    st.builds(HasNode, _labels),
    st.builds(CompareNode, _labels, st.sampled_from(list(CompareOp)), _values),
    st.builds(SetNode, _labels, st.lists(_values, max_size=4).map(tuple), st.booleans()),
)


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    operands = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(
        st.builds(NotNode, children), st.builds(AndNode, operands), st.builds(OrNode, operands)
    )


_nodes = st.recursive(_leaves, _extend, max_leaves=12)
_label_maps = st.dictionaries(
    st.sampled_from(["a", "b", "app", "contains", "pcns.team", "x"]),
    st.sampled_from(["", "a", "b", "ab", "'", '"', "x"]),
    max_size=5,
)


def _reference_eval(node: Node, labels: Mapping[str, str]) -> bool:
    """A direct transcription of the §3.2 table, independent of the compiled closures."""
    if isinstance(node, AllNode | GlobalNode):
        return True
    if isinstance(node, HasNode):
        return node.label in labels
    if isinstance(node, CompareNode):
        present = node.label in labels
        value = labels.get(node.label, "")
        if node.op is CompareOp.EQ:
            return present and value == node.value
        if node.op is CompareOp.NE:
            return not present or value != node.value
        if node.op is CompareOp.CONTAINS:
            return present and node.value in value
        if node.op is CompareOp.STARTS_WITH:
            return present and value.startswith(node.value)
        return present and value.endswith(node.value)
    if isinstance(node, SetNode):
        member = node.label in labels and labels[node.label] in node.values
        return not member if node.negated else member
    if isinstance(node, NotNode):
        return not _reference_eval(node.operand, labels)
    if isinstance(node, AndNode):
        return all(_reference_eval(op, labels) for op in node.operands)
    assert isinstance(node, OrNode)
    return any(_reference_eval(op, labels) for op in node.operands)


@settings(max_examples=300, deadline=None)
@given(_nodes)
def test_canonical_form_round_trips(node: Node) -> None:
    sel = Selector(node)
    reparsed = parse(str(sel))
    assert reparsed == sel
    assert reparsed.ast == node
    assert reparsed.uid == sel.uid


@settings(max_examples=300, deadline=None)
@given(_nodes, st.lists(_label_maps, min_size=1, max_size=4))
def test_compiled_matchers_agree_with_reference(
    node: Node, label_maps: list[dict[str, str]]
) -> None:
    generated, closures = Selector(node).matches, node.compile()
    for labels in label_maps:
        expected = _reference_eval(node, labels)
        assert generated(labels) is expected
        assert closures(labels) is expected
        assert generated(Labels(labels)) is expected


def test_deep_selector_falls_back_to_closures() -> None:
    text = "!(" * 150 + "a == 'x'" + ")" * 150  # an even number of negations
    sel = parse(text)
    assert sel.matches.__code__.co_filename != "<calico selector>"  # not the generated code
    assert sel.matches({"a": "x"})
    assert not sel.matches({"a": "y"})
    assert parse(str(sel)) == sel


@st.composite
def _noisy_text(draw: st.DrawFn, node: Node) -> str:
    """Render ``node`` in a random but equivalent spelling allowed by §3.1."""
    gap = st.text(" \t", max_size=2)

    def literal(value: str) -> str:
        quotes = [q for q in "'\"" if q not in value]
        quote = draw(st.sampled_from(quotes))
        return f"{quote}{value}{quote}"

    def render(n: Node) -> str:
        text = render_bare(n)
        if draw(st.integers(0, 5)) == 0:
            text = f"({draw(gap)}{text}{draw(gap)})"
        if draw(st.integers(0, 5)) == 0:
            text = f"!{draw(gap)}!{draw(gap)}{text}"
        return text

    def word_op(spellings: list[str]) -> str:
        return draw(st.sampled_from(spellings))

    def render_bare(n: Node) -> str:
        if isinstance(n, AllNode):
            return f"all({draw(gap)})"
        if isinstance(n, GlobalNode):
            return f"global({draw(gap)})"
        if isinstance(n, HasNode):
            return f"has({draw(gap)}{n.label}{draw(gap)})"
        if isinstance(n, CompareNode):
            spelling = {
                CompareOp.EQ: ["=="],
                CompareOp.NE: ["!="],
                CompareOp.CONTAINS: ["contains"],
                CompareOp.STARTS_WITH: ["starts with", "startswith", "starts \t with"],
                CompareOp.ENDS_WITH: ["ends with", "endswith", "ends  with"],
            }[n.op]
            op = word_op(spelling)
            before = draw(gap) if op[0] in "=!" else " " + draw(gap)
            return f"{n.label}{before}{op}{draw(gap)}{literal(n.value)}"
        if isinstance(n, SetNode):
            op = word_op(["not in", "notin", "not\tin"] if n.negated else ["in"])
            members = [literal(v) for v in n.values]
            add_comma: bool = draw(st.booleans())
            trailing = "," if members and add_comma else ""
            body = f"{draw(gap)},{draw(gap)}".join(members) + trailing
            return f"{n.label} {draw(gap)}{op}{draw(gap)}{{{body}}}"
        if isinstance(n, NotNode):
            inner = render(n.operand)
            if isinstance(n.operand, NotNode | AndNode | OrNode) or inner.startswith("!"):
                inner = f"({inner})"
            return f"!{draw(gap)}{inner}"
        joiner = "&&" if isinstance(n, AndNode) else "||"
        assert isinstance(n, AndNode | OrNode)
        parts = [render(op) for op in n.operands]
        # A group operand needs parentheses to stay a separate node (as in the canonical form).
        parts = [
            f"({part})" if isinstance(op, AndNode | OrNode) else part
            for op, part in zip(n.operands, parts, strict=True)
        ]
        return f"{draw(gap)}{joiner}{draw(gap)}".join(parts)

    return draw(gap) + render(node) + draw(gap)


@settings(max_examples=300, deadline=None)
@given(st.data(), _nodes)
def test_equivalent_spellings_parse_to_the_same_ast(data: st.DataObject, node: Node) -> None:
    text = data.draw(_noisy_text(node))
    assert parse(text).ast == node
    assert parse(text) == Selector(node)
