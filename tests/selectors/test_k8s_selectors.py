"""Kubernetes LabelSelector → Calico selector translation, and direct Kubernetes evaluation.

Expected strings are Calico's own, ported from the selector-conversion ``DescribeTable`` and the
NetworkPolicy cases (``Spec.Selector``, rule ``Selector`` / ``NamespaceSelector``) of
https://github.com/projectcalico/calico/blob/03a592ddb4e8afc519beede8388a9b67d3df62fe/libcalico-go/lib/backend/k8s/conversion/conversion_test.go
against ``k8sSelectorToCalico`` in ``conversion.go`` of the same repository.

``label_selector_to_calico`` deliberately leaves out the two context-dependent parts of
``k8sSelectorToCalico`` (the orchestrator term for pod selectors, ``all()`` for a present but
empty namespace selector); ``_calico_converter`` below adds them back so that the expected
strings can be compared verbatim.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture.errors import SelectorError
from posture.selectors import parse
from posture.selectors.k8s import k8s_matches, label_selector_to_calico

ORCHESTRATOR = "projectcalico.org/orchestrator == 'k8s'"


def _calico_converter(selector: dict[str, Any] | None, kind: str) -> str:
    """``k8sSelectorToCalico(selector, SelectorPod|SelectorNamespace)`` built on our function."""
    translated = label_selector_to_calico(selector, where="test")
    if kind == "pod":
        return " && ".join(term for term in (ORCHESTRATOR, translated) if term)
    if selector is not None and not translated:
        return "all()"
    return translated


def _expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    expression: dict[str, Any] = {"key": key, "operator": operator}
    if values:
        expression["values"] = list(values)
    return expression


# (description from conversion_test.go, selector, "pod" | "namespace", Calico's expected string)
CONVERSION_CASES: list[tuple[str, dict[str, Any] | None, str, str]] = [
    ("should handle an empty pod selector", {}, "pod", ORCHESTRATOR),
    ("should handle an empty namespace selector", {}, "namespace", "all()"),
    (
        "should handle an OpDoesNotExist namespace selector",
        {"matchExpressions": [_expr("toast", "DoesNotExist")]},
        "namespace",
        "! has(toast)",
    ),
    (
        "should handle an OpExists namespace selector",
        {"matchExpressions": [_expr("toast", "Exists")]},
        "namespace",
        "has(toast)",
    ),
    (
        "should handle an OpIn namespace selector",
        {"matchExpressions": [_expr("toast", "In", "butter", "jam")]},
        "namespace",
        "toast in { 'butter', 'jam' }",
    ),
    (
        "should handle an OpNotIn namespace selector",
        {"matchExpressions": [_expr("toast", "NotIn", "marmite", "milk")]},
        "namespace",
        "toast not in { 'marmite', 'milk' }",
    ),
    (
        "should handle an OpDoesNotExist pod selector",
        {"matchExpressions": [_expr("toast", "DoesNotExist")]},
        "pod",
        f"{ORCHESTRATOR} && ! has(toast)",
    ),
    ("should handle nil pod selector", None, "pod", ORCHESTRATOR),
    ("should handle nil namespace selector", None, "namespace", ""),
    (
        "basic NetworkPolicy: policy selector, matchLabels sorted",
        {"matchLabels": {"label": "value", "label2": "value2"}},
        "pod",
        f"{ORCHESTRATOR} && label == 'value' && label2 == 'value2'",
    ),
    (
        "basic NetworkPolicy: peer podSelector",
        {"matchLabels": {"k": "v", "k2": "v2"}},
        "pod",
        f"{ORCHESTRATOR} && k == 'v' && k2 == 'v2'",
    ),
    (
        "matchLabels given out of order are sorted",
        {"matchLabels": {"label2": "value2", "label": "value"}},
        "pod",
        f"{ORCHESTRATOR} && label == 'value' && label2 == 'value2'",
    ),
    (
        "NetworkPolicy with no rules",
        {"matchLabels": {"label": "value"}},
        "pod",
        f"{ORCHESTRATOR} && label == 'value'",
    ),
    (
        "multiple peers: first",
        {"matchLabels": {"k": "v"}},
        "pod",
        f"{ORCHESTRATOR} && k == 'v'",
    ),
    (
        "multiple peers: second",
        {"matchLabels": {"k2": "v2"}},
        "pod",
        f"{ORCHESTRATOR} && k2 == 'v2'",
    ),
    (
        "a DoesNotExist expression in a peer",
        {"matchExpressions": [_expr("toast", "DoesNotExist")]},
        "pod",
        f"{ORCHESTRATOR} && ! has(toast)",
    ),
    (
        "a namespaceSelector",
        {"matchLabels": {"namespaceRole": "dev", "namespaceFoo": "bar"}},
        "namespace",
        "namespaceFoo == 'bar' && namespaceRole == 'dev'",
    ),
    ("a nil namespace selector", None, "namespace", ""),
    ("an empty namespaceSelector", {"matchLabels": {}}, "namespace", "all()"),
    (
        "pod and namespace selectors: pod part",
        {"matchLabels": {"podA": "B", "podC": "D"}},
        "pod",
        f"{ORCHESTRATOR} && podA == 'B' && podC == 'D'",
    ),
    (
        "podSelector.MatchExpressions",
        {"matchExpressions": [_expr("k", "In", "v1", "v2")]},
        "pod",
        f"{ORCHESTRATOR} && k in {{ 'v1', 'v2' }}",
    ),
    ("empty podSelector", {}, "pod", ORCHESTRATOR),
]

# Our own cases: ordering of matchLabels before expressions, expression order kept, odd values.
OWN_CASES: list[tuple[str, dict[str, Any] | None, str]] = [
    ("None is all()", None, ""),
    ("{} is all()", {}, ""),
    ("null fields are absent", {"matchLabels": None, "matchExpressions": None}, ""),
    (
        "labels first (sorted), then expressions in order",
        {
            "matchExpressions": [_expr("z", "Exists"), _expr("a", "NotIn", "x")],
            "matchLabels": {"b": "2", "a": "1"},
        },
        "a == '1' && b == '2' && has(z) && a not in { 'x' }",
    ),
    ("empty label value", {"matchLabels": {"a": ""}}, "a == ''"),
    (
        "prefixed key",
        {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "kubernetes.io/metadata.name == 'kube-system'",
    ),
    (
        "duplicate In values kept",
        {"matchExpressions": [_expr("a", "In", "x", "x")]},
        "a in { 'x', 'x' }",
    ),
    ("double quote in a value", {"matchLabels": {"a": 'say "hi"'}}, "a == 'say \"hi\"'"),
]


@pytest.mark.parametrize(
    ("description", "selector", "kind", "expected"),
    CONVERSION_CASES,
    ids=[case[0] for case in CONVERSION_CASES],
)
def test_conversion_matches_calico(
    description: str, selector: dict[str, Any] | None, kind: str, expected: str
) -> None:
    assert _calico_converter(selector, kind) == expected
    parse(expected)  # Calico's output is always a valid selector


@pytest.mark.parametrize(
    ("description", "selector", "expected"), OWN_CASES, ids=[case[0] for case in OWN_CASES]
)
def test_own_translation_cases(
    description: str, selector: dict[str, Any] | None, expected: str
) -> None:
    assert label_selector_to_calico(selector, where="test") == expected
    parse(expected)


WHERE = "NetworkPolicy ns/foo spec.podSelector"

# (description, invalid selector, fragment the message must contain besides `where`)
ERROR_CASES: list[tuple[str, Any, str]] = [
    ("not an object", ["a"], "expected a label selector object"),
    ("unknown selector field", {"matchLabel": {"a": "b"}}, ".matchLabel:"),
    ("snake_case field", {"match_labels": {"a": "b"}}, ".match_labels:"),
    ("matchLabels not an object", {"matchLabels": ["a"]}, ".matchLabels:"),
    ("matchExpressions not a list", {"matchExpressions": {"key": "a"}}, ".matchExpressions:"),
    ("matchExpressions a string", {"matchExpressions": "a"}, ".matchExpressions:"),
    ("expression not an object", {"matchExpressions": ["a"]}, ".matchExpressions[0]:"),
    (
        "unknown expression field",
        {"matchExpressions": [{"key": "a", "operator": "Exists", "value": ["x"]}]},
        ".matchExpressions[0].value:",
    ),
    (
        "unknown operator",
        {"matchExpressions": [_expr("a", "Exists"), _expr("a", "Equals", "x")]},
        ".matchExpressions[1].operator:",
    ),
    ("operator case matters", {"matchExpressions": [_expr("a", "in", "x")]}, "'in'"),
    ("missing operator", {"matchExpressions": [{"key": "a"}]}, ".operator:"),
    ("In without values", {"matchExpressions": [_expr("a", "In")]}, ".values: must be non-empty"),
    (
        "NotIn with empty values",
        {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": []}]},
        ".values: must be non-empty",
    ),
    (
        "Exists with values",
        {"matchExpressions": [_expr("a", "Exists", "x")]},
        ".values: must be empty",
    ),
    (
        "DoesNotExist with values",
        {"matchExpressions": [_expr("a", "DoesNotExist", "x")]},
        ".values: must be empty",
    ),
    (
        "values not a list",
        {"matchExpressions": [{"key": "a", "operator": "In", "values": "x"}]},
        ".values:",
    ),
    ("integer label value", {"matchLabels": {"version": 1}}, "must be a string"),
    ("boolean label value", {"matchLabels": {"on": True}}, "must be a string"),
    ("null label value", {"matchLabels": {"a": None}}, "must be a string"),
    (
        "integer expression value",
        {"matchExpressions": [{"key": "a", "operator": "In", "values": ["x", 2]}]},
        ".values[1]:",
    ),
    ("value with a single quote", {"matchLabels": {"a": "it's"}}, "contains '"),
    ("missing key", {"matchExpressions": [{"operator": "Exists"}]}, ".key:"),
    ("empty key", {"matchLabels": {"": "x"}}, "invalid label key"),
    ("key starting with '-'", {"matchLabels": {"-a": "x"}}, "invalid label key"),
    ("key with a space", {"matchExpressions": [_expr("a b", "Exists")]}, "invalid label key"),
    ("key with a quote", {"matchLabels": {"a'b": "x"}}, "invalid label key"),
    ("key with two slashes", {"matchLabels": {"a/b/c": "x"}}, "at most one '/'"),
    ("empty prefix", {"matchLabels": {"/a": "x"}}, "prefix"),
    ("upper-case prefix", {"matchLabels": {"Example.com/a": "x"}}, "DNS subdomain"),
    ("name longer than 63", {"matchLabels": {"a" * 64: "x"}}, "longer than 63"),
    ("non-string key", {"matchLabels": {1: "x"}}, "must be a string"),
]


@pytest.mark.parametrize(
    ("description", "selector", "fragment"), ERROR_CASES, ids=[case[0] for case in ERROR_CASES]
)
def test_invalid_label_selectors(description: str, selector: Any, fragment: str) -> None:
    with pytest.raises(SelectorError) as info:
        label_selector_to_calico(selector, where=WHERE)
    message = info.value.message
    assert message.startswith(WHERE)
    assert fragment in message
    assert "\n" not in message
    with pytest.raises(SelectorError):
        k8s_matches(selector, {}, where=WHERE)


def test_longest_valid_key_is_accepted() -> None:
    key = "a" * 253 + "/" + "b" * 63
    assert label_selector_to_calico({"matchLabels": {key: "x"}}, where=WHERE) == f"{key} == 'x'"


# (selector, labels, expected) — Kubernetes semantics, evaluated directly.
MATCH_CASES: list[tuple[dict[str, Any] | None, dict[str, str], bool]] = [
    (None, {}, True),
    ({}, {"a": "b"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
    ({"matchLabels": {"a": "1"}}, {}, False),
    ({"matchLabels": {"a": ""}}, {"a": ""}, True),
    ({"matchExpressions": [_expr("a", "In", "1", "2")]}, {"a": "2"}, True),
    ({"matchExpressions": [_expr("a", "In", "1", "2")]}, {}, False),
    ({"matchExpressions": [_expr("a", "NotIn", "1")]}, {}, True),
    ({"matchExpressions": [_expr("a", "NotIn", "1")]}, {"a": "1"}, False),
    ({"matchExpressions": [_expr("a", "Exists")]}, {"a": ""}, True),
    ({"matchExpressions": [_expr("a", "DoesNotExist")]}, {"a": ""}, False),
    ({"matchLabels": {"a": "1"}, "matchExpressions": [_expr("b", "Exists")]}, {"a": "1"}, False),
]


@pytest.mark.parametrize(("selector", "labels", "expected"), MATCH_CASES)
def test_k8s_matches(
    selector: dict[str, Any] | None, labels: dict[str, str], expected: bool
) -> None:
    assert k8s_matches(selector, labels) is expected
    assert parse(label_selector_to_calico(selector, where="t")).matches(labels) is expected


_keys = st.sampled_from(["a", "b", "app.kubernetes.io/name", "x-y", "in", "has"])
_values = st.sampled_from(["", "v", "w", "a.b", "1", 'q"q'])
_expressions = st.one_of(
    st.builds(
        lambda k, op, vs: {"key": k, "operator": op, "values": vs},
        _keys,
        st.sampled_from(["In", "NotIn"]),
        st.lists(_values, min_size=1, max_size=3),
    ),
    st.builds(
        lambda k, op: {"key": k, "operator": op},
        _keys,
        st.sampled_from(["Exists", "DoesNotExist"]),
    ),
)
_selectors = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "matchLabels": st.dictionaries(_keys, _values, max_size=3),
            "matchExpressions": st.lists(_expressions, max_size=4),
        },
    ),
)
_label_maps = st.dictionaries(_keys, _values, max_size=5)


@settings(max_examples=500, deadline=None)
@given(_selectors, st.lists(_label_maps, min_size=1, max_size=5))
def test_translation_agrees_with_direct_evaluation(
    selector: dict[str, Any] | None, label_maps: list[dict[str, str]]
) -> None:
    calico = parse(label_selector_to_calico(selector, where="generated"))
    for labels in label_maps:
        assert calico.matches(labels) is k8s_matches(selector, labels)
