"""Kubernetes LabelSelectors: translation to Calico selector strings, and direct evaluation.

``label_selector_to_calico`` reproduces Calico's ``k8sSelectorToCalico``
(``libcalico-go/lib/backend/k8s/conversion/conversion.go``) term for term, because the text it
produces is what Calico parses, canonicalises and hashes:

* ``matchLabels`` in sorted key order, each ``k == 'v'``;
* then ``matchExpressions`` in order: ``k in { 'a', 'b' }``, ``k not in { 'a', 'b' }``,
  ``has(k)``, ``! has(k)``;
* joined with `` && ``; nothing at all gives ``""`` (which parses as ``all()``).

It does not add the ``projectcalico.org/orchestrator == 'k8s'`` term Calico puts in front of pod
selectors, nor turn a present-but-empty namespace selector into ``all()``: those depend on where
the selector sits in a policy, which is the caller's business.

Where Calico silently produces something wrong, this module refuses instead, because the input
could never have been accepted by the API server and a silent guess would misstate reachability:
an unknown operator (Calico drops the term, widening the selector), In/NotIn without values
(Calico emits ``k in { '' }``), Exists/DoesNotExist with values, non-string values, values
containing ``'`` (Calico's output would not parse) and invalid label keys.

``k8s_matches`` evaluates the same selector directly with Kubernetes semantics; the tests check
that both routes agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from posture.errors import SelectorError

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_SELECTOR_FIELDS = frozenset({"matchLabels", "matchExpressions"})
_EXPRESSION_FIELDS = frozenset({"key", "operator", "values"})

# Kubernetes qualified names (apimachinery validation.IsQualifiedName): an optional DNS-1123
# subdomain prefix of at most 253 characters, then a name of at most 63 characters.
_NAME_RE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_DNS1123_SUBDOMAIN_RE = re.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
)


@dataclass(frozen=True, slots=True)
class _Requirement:
    key: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Normalised:
    match_labels: tuple[tuple[str, str], ...]  # sorted by key
    requirements: tuple[_Requirement, ...]


def _fail(where: str, field: str, message: str) -> NoReturn:
    raise SelectorError(f"{where}{field}: {message}")


def _key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid Kubernetes label key, or None if it is."""
    prefix, slash, name = key.rpartition("/")
    if slash:
        if not prefix:
            return "the prefix before '/' is empty"
        if "/" in prefix:
            return "a label key may contain at most one '/'"
        if len(prefix) > 253 or not _DNS1123_SUBDOMAIN_RE.fullmatch(prefix):
            return f"prefix {prefix!r} is not a DNS subdomain (lowercase, at most 253 characters)"
    if not name:
        return "the name part is empty"
    if len(name) > 63:
        return f"name {name!r} is longer than 63 characters"
    if not _NAME_RE.fullmatch(name):
        return (
            f"name {name!r} must consist of alphanumerics, '-', '_' or '.', "
            "and start and end with an alphanumeric"
        )
    return None


def _check_key(where: str, field: str, key: object) -> str:
    if not isinstance(key, str):
        _fail(where, field, f"label key must be a string, got {type(key).__name__}")
    problem = _key_problem(key)
    if problem is not None:
        _fail(where, field, f"invalid label key {key!r}: {problem}")
    return key


def _check_value(where: str, field: str, value: object) -> str:
    if not isinstance(value, str):
        _fail(where, field, f"label value must be a string, got {type(value).__name__} {value!r}")
    if "'" in value:
        _fail(where, field, f"label value {value!r} contains ' and cannot be expressed for Calico")
    return value


def _normalise_expression(where: str, field: str, expression: object) -> _Requirement:
    if not isinstance(expression, Mapping):
        _fail(where, field, f"expected an object, got {type(expression).__name__}")
    unknown = sorted(str(k) for k in expression if k not in _EXPRESSION_FIELDS)
    if unknown:
        _fail(where, f"{field}.{unknown[0]}", "unknown field (expected key, operator, values)")
    key = _check_key(where, f"{field}.key", expression.get("key"))
    operator = expression.get("operator")
    if operator not in _OPERATORS:
        _fail(where, f"{field}.operator", f"{operator!r} is not one of {', '.join(_OPERATORS)}")
    raw_values = expression.get("values")
    if raw_values is None:
        raw_values = []
    if isinstance(raw_values, str) or not isinstance(raw_values, Sequence):
        _fail(where, f"{field}.values", f"expected a list, got {type(raw_values).__name__}")
    values = tuple(
        _check_value(where, f"{field}.values[{i}]", value) for i, value in enumerate(raw_values)
    )
    if operator in ("In", "NotIn") and not values:
        _fail(where, f"{field}.values", f"must be non-empty when operator is {operator}")
    if operator in ("Exists", "DoesNotExist") and values:
        _fail(where, f"{field}.values", f"must be empty when operator is {operator}")
    return _Requirement(key, str(operator), values)


def _normalise(selector: Mapping[str, Any] | None, where: str) -> _Normalised:
    """Validate a LabelSelector dict once, for both translation and evaluation."""
    if selector is None:
        return _Normalised((), ())
    if not isinstance(selector, Mapping):
        _fail(where, "", f"expected a label selector object, got {type(selector).__name__}")
    unknown = sorted(str(k) for k in selector if k not in _SELECTOR_FIELDS)
    if unknown:
        _fail(where, f".{unknown[0]}", "unknown field (expected matchLabels, matchExpressions)")

    match_labels = selector.get("matchLabels")
    if match_labels is None:
        match_labels = {}
    if not isinstance(match_labels, Mapping):
        _fail(where, ".matchLabels", f"expected an object, got {type(match_labels).__name__}")
    pairs = []
    for key, value in match_labels.items():
        field = f".matchLabels[{key!r}]"
        pairs.append((_check_key(where, field, key), _check_value(where, field, value)))

    expressions = selector.get("matchExpressions")
    if expressions is None:
        expressions = []
    if isinstance(expressions, str | Mapping) or not isinstance(expressions, Sequence):
        _fail(where, ".matchExpressions", f"expected a list, got {type(expressions).__name__}")
    requirements = tuple(
        _normalise_expression(where, f".matchExpressions[{i}]", expression)
        for i, expression in enumerate(expressions)
    )
    return _Normalised(tuple(sorted(pairs)), requirements)


def _requirement_to_calico(req: _Requirement) -> str:
    members = "', '".join(req.values)
    if req.operator == "In":
        return f"{req.key} in {{ '{members}' }}"
    if req.operator == "NotIn":
        return f"{req.key} not in {{ '{members}' }}"
    if req.operator == "Exists":
        return f"has({req.key})"
    return f"! has({req.key})"


def label_selector_to_calico(selector: Mapping[str, Any] | None, *, where: str) -> str:
    """Translate a Kubernetes LabelSelector dict to the Calico selector string Calico would use.

    ``where`` names the selector in error messages (e.g. ``"NetworkPolicy ns/foo
    spec.podSelector"``). ``None`` and ``{}`` both give ``""`` (all()); telling an absent
    selector from an empty one is up to the caller. Raises ``SelectorError`` on invalid input.
    """
    normalised = _normalise(selector, where)
    terms = [f"{key} == '{value}'" for key, value in normalised.match_labels]
    terms.extend(_requirement_to_calico(req) for req in normalised.requirements)
    return " && ".join(terms)


def _requirement_matches(req: _Requirement, labels: Mapping[str, str]) -> bool:
    if req.operator == "Exists":
        return req.key in labels
    if req.operator == "DoesNotExist":
        return req.key not in labels
    value = labels.get(req.key)
    if req.operator == "In":
        return value is not None and value in req.values
    return value is None or value not in req.values  # NotIn: an absent label matches


def k8s_matches(
    selector: Mapping[str, Any] | None,
    labels: Mapping[str, str],
    *,
    where: str = "label selector",
) -> bool:
    """Evaluate a Kubernetes LabelSelector dict directly with Kubernetes semantics.

    Independent of the Calico route on purpose, so that tests can cross-check the translation.
    ``None`` is treated like ``{}`` (matches everything), as in ``label_selector_to_calico``.
    """
    normalised = _normalise(selector, where)
    for key, value in normalised.match_labels:
        if labels.get(key) != value:
            return False
    return all(_requirement_matches(req, labels) for req in normalised.requirements)
