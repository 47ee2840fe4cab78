"""Invariants files: what is accepted, and one line naming file, invariant and field for every
mistake (exit 2 through ConfigError). The JSON Schema in docs/schema agrees with the loader on
every row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from posture.errors import ConfigError
from posture.findings.invariants.model import Demand
from posture.findings.model import Severity
from posture.sources.invariants import load_invariants, parse_document

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "schema" / "posture-invariants-v1alpha1.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def doc(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "posture.dev/v1alpha1", "kind": "Invariants", "spec": {"rules": [*rules]}}


def rule(**body: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": "r", "reason": "because"}
    out.update(body)
    return out


A = {"pods": {"namespaces": ["a"]}}
DENY_A_A = {"from": [A], "to": [A]}


def test_the_schema_is_valid_and_accepts_the_example() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    VALIDATOR.validate(yaml.safe_load((ROOT / "examples" / "invariants.yaml").read_text()))


def test_a_full_rule() -> None:
    (inv,) = parse_document(
        doc(
            rule(
                severity="critical",
                deny={
                    "from": [
                        {"pods": {"namespaceSelector": {"matchLabels": {"team": "a"}}}},
                        {"nodes": {"names": ["n1"], "selector": "zone == 'z1'"}},
                        {"nets": ["203.0.113.0/24"]},
                    ],
                    "to": [{"service": "kubelet", "nodes": {}}, {"service": "etcd"}],
                    "flows": ["10250/TCP", "UDP", "8/ICMP", "30000-32767/TCP"],
                    "except": [{"from": [{"pods": {"selector": "app == 'prometheus'"}}]}],
                },
            )
        ),
        "f.yaml",
    )
    assert (inv.name, inv.severity, inv.demand) == ("r", Severity.CRITICAL, Demand.DENY)
    assert str(inv.src[0].pods.namespace_selector) == 'team == "a"'  # type: ignore[union-attr]
    assert inv.src[1].nodes is not None
    assert inv.src[1].nodes.names == ("n1",)
    assert inv.src[2].nets is not None
    assert inv.src[2].nets.to_cidrs() == ["203.0.113.0/24"]
    assert [e.service for e in inv.dst] == ["kubelet", "etcd"]
    assert inv.flows == ("10250/TCP", "UDP", "8/ICMP", "30000-32767/TCP")
    assert inv.exceptions[0].src[0].where == "deny.except[0].from[0]"


def test_severity_defaults_to_high() -> None:
    assert parse_document(doc(rule(deny=DENY_A_A)), "f.yaml")[0].severity is Severity.HIGH


BAD: tuple[tuple[str, Any, str], ...] = (
    (
        "api-version",
        {**doc(rule(deny=DENY_A_A)), "apiVersion": "v1"},
        "f.yaml: expected apiVersion",
    ),
    ("unknown-top", {**doc(rule(deny=DENY_A_A)), "extra": 1}, "f.yaml: unknown field(s) extra"),
    ("no-rules", doc(), "f.yaml: spec.rules: required, a non-empty list"),
    ("no-name", doc({"reason": "x", "deny": DENY_A_A}), "f.yaml: spec.rules[0].name: required"),
    ("no-reason", doc({"name": "r", "deny": DENY_A_A}), "f.yaml: invariant 'r'.reason: required"),
    (
        "two-demands",
        doc(rule(deny=DENY_A_A, allow=DENY_A_A)),
        "f.yaml: invariant 'r': exactly one of deny, allow, encrypted is required",
    ),
    (
        "bad-severity",
        doc(rule(severity="urgent", deny=DENY_A_A)),
        "f.yaml: invariant 'r': severity: expected one of critical, high",
    ),
    (
        "unknown-rule-field",
        doc(rule(deny=DENY_A_A, owner="x")),
        "f.yaml: invariant 'r': unknown field(s) owner",
    ),
    (
        "no-from",
        doc(rule(deny={"to": [A]})),
        "f.yaml: invariant 'r': deny.from: required, a non-empty list",
    ),
    (
        "two-kinds-in-one-entry",
        doc(rule(deny={"from": [{"pods": {}, "nets": ["10.0.0.0/8"]}], "to": [A]})),
        "f.yaml: invariant 'r': deny.from[0]: exactly one of pods, nodes, nets",
    ),
    (
        "bad-calico-selector",
        doc(rule(deny={"from": [{"pods": {"selector": "app = 'x'"}}], "to": [A]})),
        "f.yaml: invariant 'r': deny.from[0].pods.selector: ",
    ),
    (
        "bad-label-selector",
        doc(
            rule(
                deny={
                    "from": [{"pods": {"selector": {"matchExpressions": [{"key": "a"}]}}}],
                    "to": [A],
                }
            )
        ),
        "f.yaml: invariant 'r': deny.from[0].pods.selector",
    ),
    (
        "unknown-service",
        doc(rule(deny={"from": [A], "to": [{"service": "kubelet-api"}]})),
        "f.yaml: invariant 'r': deny.to[0].service: unknown node service 'kubelet-api'",
    ),
    (
        "service-as-source",
        doc(rule(deny={"from": [{"service": "kubelet"}], "to": [A]})),
        "f.yaml: invariant 'r': deny.from[0].service: node services are destinations",
    ),
    (
        "service-with-pods",
        doc(rule(deny={"from": [A], "to": [{"service": "etcd", "pods": {}}]})),
        "f.yaml: invariant 'r': deny.to[0]: service goes with `nodes` only",
    ),
    (
        "bad-cidr",
        doc(rule(deny={"from": [{"nets": ["10.0.0.0/33"]}], "to": [A]})),
        "f.yaml: invariant 'r': deny.from[0].nets[0]: not a CIDR: '10.0.0.0/33'",
    ),
    (
        "bad-flow",
        doc(rule(deny={**DENY_A_A, "flows": ["443/HTTP"]})),
        "f.yaml: invariant 'r': deny.flows[0]: expected PORT/PROTOCOL",
    ),
    (
        "bare-port-number",
        doc(rule(deny={**DENY_A_A, "flows": [443]})),
        "f.yaml: invariant 'r': deny.flows[0]: expected PORT/PROTOCOL",
    ),
    (
        "empty-except",
        doc(rule(deny={**DENY_A_A, "except": [{}]})),
        "f.yaml: invariant 'r': deny.except[0]: expected a mapping with from and/or to",
    ),
    (
        "unknown-pods-field",
        doc(rule(encrypted={"from": [{"pods": {"namespace": "a"}}], "to": [A]})),
        "f.yaml: invariant 'r': encrypted.from[0].pods: unknown field(s) namespace",
    ),
)


@pytest.mark.parametrize(("document", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_mistakes_name_file_invariant_and_field(document: Any, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_document(document, "f.yaml")
    assert e.value.message.startswith(message), e.value.message
    assert "\n" not in e.value.message


@pytest.mark.parametrize(
    "document",
    [b[1] for b in BAD if b[0] not in ("bad-calico-selector", "bad-cidr", "bad-flow")],
    ids=[b[0] for b in BAD if b[0] not in ("bad-calico-selector", "bad-cidr", "bad-flow")],
)
def test_the_schema_rejects_them_too(document: Any) -> None:
    """The schema cannot parse selectors, CIDRs or flows; everything structural it rejects."""
    assert not VALIDATOR.is_valid(document)


def test_files_configmaps_and_unique_names(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(yaml.safe_dump(doc(rule(deny=DENY_A_A))))
    cm = tmp_path / "cm.yaml"
    inner = yaml.safe_dump(doc(rule(name="s", deny=DENY_A_A)))
    cm.write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "data": {"x.yaml": inner}})
    )
    assert [i.name for i in load_invariants([one, cm])] == ["r", "s"]
    assert load_invariants([cm])[0].origin == f"{cm}: data.x.yaml"
    with pytest.raises(ConfigError, match=r"invariant 'r': name already used in .*one.yaml"):
        load_invariants([one, one])


def test_unreadable_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing.yaml: cannot read invariants"):
        load_invariants([tmp_path / "missing.yaml"])
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ConfigError, match=r"empty.yaml: no invariants in this file"):
        load_invariants([empty])
    broken = tmp_path / "broken.yaml"
    broken.write_text("spec: [\n")
    with pytest.raises(ConfigError, match=r"broken.yaml: malformed YAML"):
        load_invariants([broken])


def test_every_rule_shown_in_the_docs_is_valid() -> None:
    text = (ROOT / "docs" / "invariants.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]
    rules = [yaml.safe_load(b)[0] for b in blocks if b.startswith("  - name:")]
    assert len(rules) == 5
    for r in rules:
        VALIDATOR.validate(doc(r))
        assert parse_document(doc(r), "docs/invariants.md")[0].name == r["name"]


def test_the_benchmark_invariants_load() -> None:
    invariants = load_invariants([ROOT / "scripts" / "bench-invariants.yaml"])
    assert len(invariants) == 20
    assert {i.demand for i in invariants} == set(Demand)
