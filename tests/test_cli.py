"""The command line end to end on the shipped example: exit codes, formats, explain, reach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import EXAMPLE, run


def test_check_on_the_example_reports_findings_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc, out, err = run(capsys, "check", "--from", EXAMPLE)
    assert rc == 1
    assert "Measures" in out
    for check_id in ("PST-NODE-002", "PST-DENY-001", "PST-ENC-002", "PST-NODE-003"):
        assert check_id in out
    assert err == ""


def test_exit_zero_and_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", "--from", EXAMPLE, "--exit-zero")[0] == 0
    # Raising the threshold above every finding's severity makes the run clean.
    rc, out, _ = run(capsys, "check", "--from", EXAMPLE, "-o", "json")
    severities = {f["severity"] for f in json.loads(out)["findings"]}
    assert "critical" in severities
    assert rc == 1


def test_json_is_stable_apart_from_the_timestamp(capsys: pytest.CaptureFixture[str]) -> None:
    _, first, _ = run(capsys, "check", "--from", EXAMPLE, "-o", "json")
    _, second, _ = run(capsys, "check", "--from", EXAMPLE, "-o", "json")
    a, b = json.loads(first), json.loads(second)
    a["metadata"].pop("generatedAt")
    b["metadata"].pop("generatedAt")
    assert a == b
    assert a["kind"] == "PostureReport"
    ids = [f["id"] for f in a["findings"]]
    assert len(ids) == len(set(ids))


def test_output_file_is_written(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    rc, out, _ = run(
        capsys,
        "check",
        "--from",
        EXAMPLE,
        "-o",
        "json",
        "--output-file",
        str(target),
        "--exit-zero",
    )
    assert rc == 0
    assert out == ""
    assert json.loads(target.read_text())["kind"] == "PostureReport"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["check", "--bogus"], 2, "unrecognized arguments"),
        (["check", "--from", "/nonexistent/x"], 2, "no such file or directory"),
        (["explain", "shop/nope", "shop/db-0", "--from", EXAMPLE], 2, "shop/nope: no such pod"),
        (["explain", "shop/db-0", "node/nope", "--from", EXAMPLE], 2, "node/nope: no such node"),
        (
            ["explain", "shop/db-0", "shop/cart-5c6d7e-0", "--port", "x/TCP", "--from", EXAMPLE],
            2,
            "--port x/TCP",
        ),
    ],
)
def test_errors_are_one_line_with_distinct_exit_codes(
    capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    rc, out, err = run(capsys, *argv)
    assert rc == code
    assert out == ""
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_malformed_input_prints_no_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "bad.yaml").write_text("kind: Pod\nmetadata: {name: [x\n")
    rc, out, err = run(capsys, "check", "--from", str(tmp_path))
    assert rc == 2
    assert out == ""
    assert "malformed YAML" in err


def test_explain_names_the_deciding_policy(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(
        capsys,
        "explain",
        "ingress/ingress-nginx-controller-0",
        "shop/cart-5c6d7e-0",
        "--port",
        "8080/TCP",
        "--from",
        EXAMPLE,
        "-o",
        "json",
    )
    assert rc == 0
    doc = json.loads(out)
    (verdict,) = doc["verdicts"]
    assert verdict["allowed"] is False
    last = verdict["steps"][-1]
    # The order-500 Deny shadows the Kubernetes NetworkPolicy that would allow this.
    assert (last["stage"], last["policy"], last["rule"], last["action"]) == (
        "ingress",
        "GlobalNetworkPolicy default-deny",
        2,
        "Deny",
    )


def test_explain_text(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(
        capsys,
        "explain",
        "monitoring/prometheus-0",
        "node/worker-1",
        "--port",
        "10250/TCP",
        "--from",
        EXAMPLE,
    )
    assert rc == 0
    assert out.splitlines()[1].startswith("ALLOWED")
    assert "GlobalNetworkPolicy app-egress-deny rule 0 → Allow" in out
    assert "DefaultEndpointToHostAction ACCEPT" in out
    rc, out, _ = run(
        capsys, "explain", "shop/db-0", "node/worker-2", "--port", "10250/TCP", "--from", EXAMPLE
    )
    assert out.splitlines()[1].startswith("DENIED")
    assert "GlobalNetworkPolicy app-egress-deny rule 2 → Deny" in out


def test_reach_grouped_expanded_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, grouped, _ = run(capsys, "reach", "--from", EXAMPLE)
    assert rc == 0
    assert grouped.splitlines()[0].split()[:3] == ["SRC", "DST", "RELATION"]
    rc, expanded, _ = run(capsys, "reach", "--from", EXAMPLE, "--expand", "-o", "json")
    doc = json.loads(expanded)
    assert doc["expanded"] is True
    pairs = {(p["src"], p["dst"]) for p in doc["paths"]}
    assert ("shop/cart-5c6d7e-0", "shop/db-0") not in pairs  # db-from-cart is shadowed
    assert ("ingress/ingress-nginx-controller-0", "worker-2") in pairs  # no egress policy
    # ledger-from-api isolates ledger egress: DNS and 203.0.113.0/25:443 only.
    assert ("payments/ledger-0", "worker-1") not in pairs
    for p in doc["paths"]:
        assert p["allowed"] != "nothing"


def test_snapshot_command_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    snap = tmp_path / "s.json.gz"
    assert run(capsys, "snapshot", "--from", EXAMPLE, "-o", str(snap))[0] == 0
    _, a, _ = run(capsys, "check", "--from", EXAMPLE, "-o", "json")
    _, b, _ = run(capsys, "check", "--from", str(snap), "-o", "json")
    da, db = json.loads(a), json.loads(b)
    assert da["findings"] == db["findings"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "version")
    assert rc == 0
    assert out.startswith("posture ")


def test_version_flag_says_what_the_command_and_the_package_metadata_say(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from importlib.metadata import version

    rc, out, err = run(capsys, "--version")
    assert (rc, err) == (0, "")
    assert out == run(capsys, "version")[1] == f"posture {version('posture')}\n"


def test_summary_goes_to_stderr_when_the_report_goes_to_a_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "report.json"
    rc, out, err = run(
        capsys, "check", "--from", EXAMPLE, "-o", "json", "--output-file", str(target), "--summary"
    )
    assert (rc, out) == (1, "")
    report = json.loads(target.read_text())
    severities = report["summary"]["bySeverity"]
    lines = err.splitlines()
    meta = report["metadata"]
    assert lines[0] == f"posture {meta['toolVersion']} summary: {meta['source']}"
    assert "  coverage: complete" in lines
    assert f"  findings: {severities['critical']} critical, {severities['high']} high" in err
    assert "Pod 19" in err  # counted as read
    assert any(line.startswith("  run: ") and "s" in line for line in lines)
    assert (
        run(capsys, "check", "--from", EXAMPLE, "-o", "json", "--output-file", str(target))[2] == ""
    )
