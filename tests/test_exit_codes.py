"""Exit codes, one test per case: 0 clean, 1 findings, 2 usage/input, 3 incomplete."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from posture.cli import main
from tests.support import EXAMPLE, run


@pytest.fixture
def forbidden_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A snapshot of the example whose coverage says Pods could not be read (RBAC 403)."""
    snap = tmp_path / "s.json"
    assert main(["snapshot", "--from", EXAMPLE, "-o", str(snap)]) == 0
    capsys.readouterr()
    doc = json.loads(snap.read_text())
    for k in doc["coverage"]:
        if k["kind"] == "Pod":
            k.update(status="forbidden", reason="pods is forbidden: cannot list")
    snap.write_text(json.dumps(doc))
    return snap


def test_0_when_nothing_is_left_at_the_threshold(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Every finding accepted by a suppression: nothing counts toward --fail-on.
    rules = tmp_path / "s.yaml"
    rules.write_text("- {check: '*', reason: accepted for this test}\n")
    rc, out, _ = run(capsys, "check", "--from", EXAMPLE, "--suppressions", str(rules), "-o", "json")
    assert rc == 0
    assert json.loads(out)["summary"]["findings"] == 0


def test_1_on_findings_at_or_above_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", "--from", EXAMPLE)[0] == 1
    assert run(capsys, "check", "--from", EXAMPLE, "--fail-on", "critical")[0] == 1


def test_2_on_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "check", "--from", EXAMPLE, "-o", "pdf")
    assert rc == 2
    assert out == ""
    assert "invalid choice" in err


def test_2_on_unreadable_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "s.json.gz"
    bad.write_bytes(gzip.compress(b"{not json"))
    rc, out, err = run(capsys, "check", "--from", str(bad))
    assert rc == 2
    assert out == ""
    assert err.count("\n") == 1


def test_2_on_bad_suppressions_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rules = tmp_path / "s.yaml"
    rules.write_text("- {check: PST-NODE-001}\n")
    rc, _, err = run(capsys, "check", "--from", EXAMPLE, "--suppressions", str(rules))
    assert rc == 2
    assert "reason: required" in err


def test_3_on_incomplete_coverage(
    capsys: pytest.CaptureFixture[str], forbidden_snapshot: Path
) -> None:
    rc, out, err = run(capsys, "check", "--from", str(forbidden_snapshot), "-o", "json")
    assert rc == 3
    assert "coverage incomplete (Pod)" in err
    doc = json.loads(out)  # the report is still written, marked incomplete
    assert doc["coverage"]["complete"] is False


def test_allow_incomplete_gives_the_findings_code(
    capsys: pytest.CaptureFixture[str], forbidden_snapshot: Path
) -> None:
    rc, _, _ = run(capsys, "check", "--from", str(forbidden_snapshot), "--allow-incomplete")
    assert rc == 1
    rc, _, _ = run(
        capsys, "check", "--from", str(forbidden_snapshot), "--allow-incomplete", "--exit-zero"
    )
    assert rc == 0


def test_exit_zero_overrides_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", "--from", EXAMPLE, "--exit-zero", "--fail-on", "info")[0] == 0
