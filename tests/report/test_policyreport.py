"""ClusterPolicyReport (wgpolicyk8s.io/v1alpha2) and ClusterReport (openreports.io/v1alpha1).

The rendered objects are validated against the upstream CRDs themselves, kept unchanged under
``tests/data/crds/reports/`` (sources and commits in ``tests/data/crds/README.md``): the
``openAPIV3Schema`` of the served version, turned into a JSON Schema the way the API server reads
it. ``x-kubernetes-*`` keys are dropped, ``nullable: true`` admits null, and every object schema
that lists its ``properties`` (without ``x-kubernetes-preserve-unknown-fields`` or its own
``additionalProperties``) closes to unknown fields: the API server would prune them, and
``kubectl apply``'s strict field validation rejects them.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
import yaml

from posture.cli import main
from posture.report.formats import Format, render
from posture.report.model import Report
from tests.support import EXAMPLE, ROOT

CRDS = ROOT / "tests" / "data" / "crds" / "reports"

# metadata is a bare ``type: object`` in both CRDs; the API server checks it as ObjectMeta.
# A cluster-scoped custom resource's name must be a DNS subdomain.
_METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {
            "type": "string",
            "maxLength": 253,
            "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        },
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def to_json_schema(node: Any) -> Any:
    """A CRD structural schema (OpenAPI v3 subset) → the JSON Schema that validates the same."""
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: to_json_schema(v)
        for k, v in node.items()
        if not k.startswith("x-kubernetes-") and k != "nullable"
    }
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    if (
        node.get("type") == "object"
        and "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def load_crd(filename: str) -> dict[str, Any]:
    docs = [d for d in yaml.safe_load_all((CRDS / filename).read_text()) if d]
    (crd,) = [d for d in docs if d.get("kind") == "CustomResourceDefinition"]
    assert isinstance(crd, dict)
    return crd


def crd_validator(crd: dict[str, Any], version: str) -> jsonschema.Draft202012Validator:
    (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    assert served["served"] is True
    schema = to_json_schema(served["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = _METADATA
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# (format, CRD file, group, version, kind posture emits)
CASES = [
    (
        Format.POLICYREPORT,
        "wgpolicyk8s.io_clusterpolicyreports.yaml",
        "wgpolicyk8s.io",
        "v1alpha2",
        "ClusterPolicyReport",
    ),
    (
        Format.OPENREPORTS,
        "openreports.io_clusterreports.yaml",
        "openreports.io",
        "v1alpha1",
        "ClusterReport",
    ),
]
_IDS = [c[0].value for c in CASES]


def _cli_render(capsys: pytest.CaptureFixture[str], fmt: Format) -> dict[str, Any]:
    rc = main(["check", "--from", EXAMPLE, "-o", fmt.value, "--exit-zero"])
    out, _ = capsys.readouterr()
    assert rc == 0
    doc = yaml.safe_load(out)
    assert isinstance(doc, dict)
    return doc


@pytest.mark.parametrize(("fmt", "crd_file", "group", "version", "kind"), CASES, ids=_IDS)
def test_crd_defines_what_posture_emits(
    report: Report, fmt: Format, crd_file: str, group: str, version: str, kind: str
) -> None:
    crd = load_crd(crd_file)
    assert crd["spec"]["group"] == group
    assert crd["spec"]["names"]["kind"] == kind
    assert crd["spec"]["scope"] == "Cluster"  # posture's objects carry no namespace
    assert version in {v["name"] for v in crd["spec"]["versions"] if v["served"]}
    doc = yaml.safe_load(render(report, fmt))
    assert (doc["apiVersion"], doc["kind"]) == (f"{group}/{version}", kind)
    assert "namespace" not in doc["metadata"]


@pytest.mark.parametrize(("fmt", "crd_file", "group", "version", "kind"), CASES, ids=_IDS)
def test_cli_output_validates_against_the_real_crd(
    capsys: pytest.CaptureFixture[str],
    fmt: Format,
    crd_file: str,
    group: str,
    version: str,
    kind: str,
) -> None:
    doc = _cli_render(capsys, fmt)
    errors = sorted(
        crd_validator(load_crd(crd_file), version).iter_errors(doc), key=lambda e: list(e.path)
    )
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:20])
    assert isinstance(doc["metadata"], dict)
    assert doc["metadata"]["name"]
    assert doc["results"], "the example cluster yields results"


@pytest.mark.parametrize(("fmt", "crd_file", "group", "version", "kind"), CASES, ids=_IDS)
def test_report_object_content(
    report: Report, fmt: Format, crd_file: str, group: str, version: str, kind: str
) -> None:
    doc = yaml.safe_load(render(report, fmt))
    crd_validator(load_crd(crd_file), version).validate(doc)
    results = doc["results"]
    assert sum(doc["summary"].values()) == len(results)
    assert doc["summary"]["fail"] == len(report.findings)
    failed_ids = {r["properties"]["findingId"] for r in results if r["result"] == "fail"}
    assert failed_ids == {f.id for f in report.findings}
    # Checks without findings are reported (pass, or skip when unevaluated), not left out.
    found = {f.check_id for f in report.findings}
    for m in report.checklist:
        for check_id in set(m.check_ids) - found:
            statuses = {r["result"] for r in results if r["policy"] == check_id}
            assert statuses in ({"pass"}, {"skip"}), check_id


def test_v1alpha2_keeps_the_real_severity_in_properties(report: Report) -> None:
    doc = yaml.safe_load(render(report, Format.POLICYREPORT))
    critical = [r for r in doc["results"] if r.get("properties", {}).get("severity") == "critical"]
    assert critical
    assert {r["severity"] for r in critical} == {"high"}


def test_openreports_keeps_the_real_severity(report: Report) -> None:
    doc = yaml.safe_load(render(report, Format.OPENREPORTS))
    failed = [r for r in doc["results"] if r["result"] == "fail"]
    assert failed
    assert all(r["severity"] == r["properties"]["severity"] for r in failed)
    assert doc["source"] == "posture"


def _first_fail(doc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = next(r for r in doc["results"] if r["result"] == "fail")
    return result


def _bad_result_enum(doc: dict[str, Any]) -> None:
    _first_fail(doc)["result"] = "failed"


def _missing_policy(doc: dict[str, Any]) -> None:
    del _first_fail(doc)["policy"]


def _non_string_property(doc: dict[str, Any]) -> None:
    _first_fail(doc)["properties"]["encrypted"] = False


def _timestamp_without_nanos(doc: dict[str, Any]) -> None:
    del _first_fail(doc)["timestamp"]["nanos"]


def _unknown_result_field(doc: dict[str, Any]) -> None:
    _first_fail(doc)["details"] = "x"


def _metadata_without_name(doc: dict[str, Any]) -> None:
    del doc["metadata"]["name"]


def _critical_in_v1alpha2(doc: dict[str, Any]) -> None:
    _first_fail(doc)["severity"] = "critical"


def _report_source_in_v1alpha2(doc: dict[str, Any]) -> None:
    doc["source"] = "posture"


_MUTATIONS = [
    (Format.POLICYREPORT, _bad_result_enum, ["results", 0, "result"]),
    (Format.OPENREPORTS, _bad_result_enum, ["results", 0, "result"]),
    (Format.POLICYREPORT, _missing_policy, ["results", 0]),
    (Format.OPENREPORTS, _missing_policy, ["results", 0]),
    (Format.POLICYREPORT, _non_string_property, ["results", 0, "properties", "encrypted"]),
    (Format.OPENREPORTS, _timestamp_without_nanos, ["results", 0, "timestamp"]),
    (Format.OPENREPORTS, _unknown_result_field, ["results", 0]),
    (Format.POLICYREPORT, _metadata_without_name, ["metadata"]),
    # The v1alpha2 enum has no critical/info: this is why posture maps them to high/low.
    (Format.POLICYREPORT, _critical_in_v1alpha2, ["results", 0, "severity"]),
    # The report-level source exists only in OpenReports.
    (Format.POLICYREPORT, _report_source_in_v1alpha2, []),
]


@pytest.mark.parametrize(
    ("fmt", "mutate", "where"),
    _MUTATIONS,
    ids=[f"{f.value}-{m.__name__.lstrip('_')}" for f, m, _ in _MUTATIONS],
)
def test_the_crd_schema_rejects_invalid_objects(
    report: Report, fmt: Format, mutate: Any, where: list[str | int]
) -> None:
    (case,) = [c for c in CASES if c[0] is fmt]
    validator = crd_validator(load_crd(case[1]), case[3])
    doc = yaml.safe_load(render(report, fmt))
    # Put a failing result first so the error path is predictable.
    doc["results"].sort(key=lambda r: r["result"] != "fail")
    validator.validate(doc)
    bad = copy.deepcopy(doc)
    mutate(bad)
    errors = list(validator.iter_errors(bad))
    assert errors
    assert [list(e.absolute_path) for e in errors] == [where]


def test_conversion_drops_kubernetes_extensions_and_honours_nullable() -> None:
    schema = to_json_schema(
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "nullable": True},
                "b": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "c": {
                    "type": "object",
                    "properties": {"d": {"type": "integer"}},
                    "x-kubernetes-preserve-unknown-fields": True,
                },
                "e": {
                    "type": "array",
                    "items": {"type": "string"},
                    "x-kubernetes-list-type": "set",
                },
            },
        }
    )
    assert "x-kubernetes-list-type" not in schema["properties"]["e"]
    v = jsonschema.Draft202012Validator(schema)
    assert v.is_valid({"a": None, "b": {"any": 1}, "c": {"d": 1, "other": "x"}, "e": ["x"]})
    assert not v.is_valid({"a": 1})
    assert not v.is_valid({"z": 1})  # a closed object: unknown field
