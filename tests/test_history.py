"""posture diff and check --baseline: findings new/fixed/unchanged, paths opened/closed."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from posture.history import diff_documents
from tests.support import EXAMPLE, ROOT, run

SCHEMA = json.loads((ROOT / "docs" / "schema" / "posture-report-v1alpha3.json").read_text())


@pytest.fixture
def reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, Path, dict[str, Any]]:
    """NEW is the example; OLD lacks its first finding, has an extra one and other paths."""
    _, out, _ = run(capsys, "check", "--from", EXAMPLE, "-o", "json")
    new_doc = json.loads(out)
    old_doc = copy.deepcopy(new_doc)
    old_doc["findings"].pop(0)
    gone = copy.deepcopy(new_doc["findings"][-1])
    gone["id"] = gone["checkId"] + "-000000000000"
    old_doc["findings"].append(gone)
    # Paths between namespaces (outside ranges are renamed by behaviour before comparing).
    first = next(i for i, r in enumerate(new_doc["reach"]) if r["srcKind"] == r["dstKind"] == "pod")
    old_doc["reach"].pop(first)
    extra = dict(new_doc["reach"][first], allowed="TCP 22")
    old_doc["reach"].append(extra)
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(old_doc))
    new.write_text(out)
    return old, new, new_doc


def _changed(doc: dict[str, Any]) -> int:
    """Pairs of groups of the row the fixture changed (a row stands for all its pairs)."""
    row = next(r for r in doc["reach"] if r["srcKind"] == r["dstKind"] == "pod")
    return len(row["src"]) * len(row["dst"])


def test_diff_documents_classifies(reports: tuple[Path, Path, dict[str, Any]]) -> None:
    old, _new, new_doc = reports
    c = diff_documents(json.loads(old.read_text()), new_doc)
    assert [f.id for f in c.new] == [new_doc["findings"][0]["id"]]
    assert [f.id for f in c.fixed] == [new_doc["findings"][-1]["checkId"] + "-000000000000"]
    assert len(c.unchanged) == len(new_doc["findings"]) - 1
    assert [p.allowed for p in c.closed] == ["TCP 22"] * _changed(new_doc)
    assert 1 <= len(c.opened) <= _changed(new_doc)
    assert not c.empty


def test_identical_reports_have_no_changes(reports: tuple[Path, Path, dict[str, Any]]) -> None:
    _, _, doc = reports
    assert diff_documents(doc, doc).empty


def test_diff_command_table_json_yaml(
    capsys: pytest.CaptureFixture[str], reports: tuple[Path, Path, dict[str, Any]]
) -> None:
    old, new, new_doc = reports
    rc, table, _ = run(capsys, "diff", str(old), str(new))
    assert rc == 0
    assert "1 new, 1 fixed" in table
    assert "OPENED" in table
    assert "CLOSED" in table
    _, out, _ = run(capsys, "diff", str(old), str(new), "-o", "json")
    doc = json.loads(out)
    assert doc["kind"] == "PostureDiff"
    assert doc["counts"] == {
        "new": 1,
        "fixed": 1,
        "unchanged": doc["counts"]["unchanged"],
        "opened": doc["counts"]["opened"],
        "closed": _changed(new_doc),
    }
    assert doc["counts"]["opened"] >= 1
    _, out, _ = run(capsys, "diff", str(old), str(new), "-o", "yaml")
    assert yaml.safe_load(out) == doc


def test_check_baseline_in_table_and_json(
    capsys: pytest.CaptureFixture[str], reports: tuple[Path, Path, dict[str, Any]]
) -> None:
    old, _, _ = reports
    _, table, _ = run(capsys, "check", "--from", EXAMPLE, "--baseline", str(old))
    assert "Changes since" in table
    _, out, _ = run(capsys, "check", "--from", EXAMPLE, "--baseline", str(old), "-o", "json")
    doc = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert doc["baseline"]["counts"]["new"] == 1


def test_diff_rejects_what_is_not_a_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text('{"kind": "Snapshot"}')
    rc, out, err = run(capsys, "diff", str(bogus), str(bogus))
    assert rc == 2
    assert out == ""
    assert "not a posture report" in err


def _check_json(capsys: pytest.CaptureFixture[str], source: Path, out: Path) -> Path:
    rc, text, err = run(capsys, "check", "--from", str(source), "--exit-zero", "-o", "json")
    assert rc == 0, err
    out.write_text(text)
    return out


@pytest.mark.parametrize("change", ["unrelated network set", "relabelled pod"])
def test_unrelated_changes_leave_diff_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, change: str
) -> None:
    """Finding ids and path keys follow behaviour, not range boundaries or labels: a network set
    no rule selects, or a label no selector reads, changes nothing ``diff`` reports."""
    changed = tmp_path / "changed"
    shutil.copytree(EXAMPLE, changed)
    if change == "unrelated network set":
        netset = {
            "apiVersion": "projectcalico.org/v3",
            "kind": "GlobalNetworkSet",
            "metadata": {"name": "partner-vpn", "labels": {"role": "partner"}},
            "spec": {"nets": ["203.0.113.0/24"]},
        }
        (changed / "70-netset.yaml").write_text(yaml.safe_dump(netset))
    else:
        pods = changed / "20-pods.yaml"
        text = pods.read_text()
        assert text.count("labels: {app: prometheus}") == 1
        pods.write_text(
            text.replace("labels: {app: prometheus}", "labels: {app: prometheus, release: blue}")
        )
    old = _check_json(capsys, Path(EXAMPLE), tmp_path / "old.json")
    new = _check_json(capsys, changed, tmp_path / "new.json")
    rc, out, _ = run(capsys, "diff", str(old), str(new), "-o", "json")
    assert rc == 0
    doc = json.loads(out)
    assert doc["counts"]["new"] == doc["counts"]["fixed"] == 0, doc["findings"]
    assert doc["counts"]["opened"] == doc["counts"]["closed"] == 0, doc
    assert doc["counts"]["unchanged"] > 20
    if change == "unrelated network set":
        # The change was really analysed: the analysis names those addresses by the set.
        _, reach, _ = run(capsys, "reach", "--from", str(changed))
        assert "partner-vpn (203.0.113.0/25)" in reach
