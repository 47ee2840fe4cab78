"""`posture fix` round trip: check → fix → apply the fix to the same manifests → check again."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from posture.cli import main
from posture.engine.flows import Flows, parse_flow
from posture.engine.path import PathEngine, PathVerdict
from posture.pipeline import analyse, check, report_from
from posture.remediation import FixPlan, plan_fix
from posture.report.model import Report
from posture.sources import offline_source

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cluster"


@pytest.fixture(scope="module")
def planned() -> tuple[FixPlan, Report]:
    snap = offline_source([EXAMPLE]).load()
    analysis = analyse(snap)
    return plan_fix(analysis, report_from(analysis).findings), check(snap)


@pytest.fixture(scope="module")
def fixed(
    planned: tuple[FixPlan, Report], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[str]]:
    """The fix as the cluster holds it afterwards: the file's objects plus the patched
    singletons (merge patches, which posture applies to an object given twice)."""
    plan, _ = planned
    folder = tmp_path_factory.mktemp("fix")
    (folder / "fix.yaml").write_text(plan.render("example"))
    (folder / "patches.yaml").write_text(yaml.safe_dump_all([p.as_object() for p in plan.patches]))
    return folder, list(plan.addressed)


def test_fix_addresses_the_gaps_found(fixed: tuple[Path, list[str]]) -> None:
    _, addressed = fixed
    assert set(addressed) == {
        "PST-DENY-001",
        "PST-DENY-002",
        "PST-DENY-004",
        "PST-NODE-002",
        "PST-NODE-003",
        "PST-ENC-001",
    }


def test_fix_is_one_applyable_file_of_commented_calico_objects(
    fixed: tuple[Path, list[str]],
) -> None:
    folder, _ = fixed
    text = (folder / "fix.yaml").read_text()
    docs = [d for d in yaml.safe_load_all(text) if d]
    assert docs
    for chunk, doc in zip(text.split("\n---\n")[1:], docs, strict=True):
        assert chunk.lstrip().startswith("#"), "every object says what it does"
        assert doc["apiVersion"] == "projectcalico.org/v3"
    kinds = [d["kind"] for d in docs]
    assert kinds.count("Tier") == 1
    # Existing singletons are never objects to apply: kubectl apply of a partial object
    # deletes the fields set before (tests/live/test_fix_live.py shows it).
    assert not {"KubeControllersConfiguration", "FelixConfiguration"} & set(kinds)
    deny = next(d for d in docs if d["metadata"]["name"] == "posture-default-deny")
    # No order and no rules: evaluated last in the default tier, silences nothing (§8.2).
    assert "order" not in deny["spec"]
    assert set(deny["spec"]["types"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]


def test_existing_settings_are_changed_by_merge_patches(
    fixed: tuple[Path, list[str]], planned: tuple[FixPlan, Report]
) -> None:
    plan, _ = planned
    folder, _ = fixed
    text = (folder / "fix.yaml").read_text()
    assert [(p.kind, p.name) for p in plan.patches] == [
        ("KubeControllersConfiguration", "default"),
        ("FelixConfiguration", "default"),
        ("FelixConfiguration", "node.worker-2"),  # its own configuration disabled WireGuard
    ]
    for patch in plan.patches:
        command = patch.command()
        assert command.startswith(f"kubectl patch {patch.kind.lower()}s.projectcalico.org ")
        assert " --type=merge -p '" in command
        assert f"#      {command}" in text
    assert "kubectl diff -f" in text


def test_fixed_findings_are_gone(fixed: tuple[Path, list[str]]) -> None:
    folder, addressed = fixed
    snap = offline_source([EXAMPLE, folder / "fix.yaml", folder / "patches.yaml"]).load()
    after = check(snap)
    left = {f.check_id for f in after.findings}
    assert not left & set(addressed)
    # The default-deny it writes is not an early Deny that silences allow policies (the
    # example's own early deny is still reported).
    shadowers = [f.message for f in after.findings if f.check_id == "PST-DENY-005"]
    assert shadowers
    assert not [m for m in shadowers if "posture-" in m.split(" denies ")[0]]


# What each addressed check's one-line advice names, which the fix must then contain.
ADVICE_IN_FIX = {
    "PST-DENY-001": ("posture-default-deny", "posture-baseline"),
    "PST-DENY-002": ("posture-default-deny", "posture-baseline"),
    "PST-DENY-004": ("posture-baseline",),
    "PST-NODE-002": ("posture-default-deny", "posture-baseline"),
    "PST-NODE-003": (
        "kubectl patch kubecontrollersconfigurations.projectcalico.org default --type=merge",
        '"autoCreate":"Enabled"',
    ),
    "PST-ENC-001": (
        "kubectl patch felixconfigurations.projectcalico.org default --type=merge",
        '"wireguardEnabled":true',
    ),
}


def test_every_addressed_findings_advice_agrees_with_the_fix(
    fixed: tuple[Path, list[str]], planned: tuple[FixPlan, Report]
) -> None:
    folder, addressed = fixed
    _, report = planned
    text = (folder / "fix.yaml").read_text()
    assert set(addressed) == set(ADVICE_IN_FIX)
    for finding in report.findings:
        if finding.check_id not in ADVICE_IN_FIX:
            continue
        assert "posture fix" in finding.remediation, finding.check_id
        for named in ADVICE_IN_FIX[finding.check_id]:
            assert named in finding.remediation, (finding.check_id, named)
            assert named in text, (finding.check_id, named)
        # The fix's default-deny has no order and no Deny rule; the advice must not say one.
        assert "order 500" not in finding.remediation
        assert "[action: Deny]" not in finding.remediation


def test_dns_and_control_plane_still_work_after_the_fix(fixed: tuple[Path, list[str]]) -> None:
    folder, _ = fixed
    snap = offline_source([EXAMPLE, folder / "fix.yaml", folder / "patches.yaml"]).load()
    a = analyse(snap)
    engine = PathEngine(a.index)
    dns = next(p for p in a.index.wep_pods if p.labels.get("k8s-app") == "kube-dns")
    api_node = a.index.nodes["cp-1"]
    control_plane = [p for p in a.index.wep_pods if p.namespace in ("kube-system", "calico-system")]
    assert len(a.index.wep_pods) > len(control_plane) > 0
    for pod in a.index.wep_pods:
        for port in ("53/UDP", "53/TCP"):
            space = parse_flow(port, a.index.universe)
            parts = engine.decide(a.index.pod_peer(pod), a.index.pod_peer(dns), space)
            assert allowed_flows(parts) == space, (pod.name, port)
    for pod in control_plane:
        space = parse_flow("6443/TCP", a.index.universe)
        parts = engine.decide(a.index.pod_peer(pod), a.index.host_peer(api_node), space)
        assert allowed_flows(parts) == space, pod.name


def allowed_flows(parts: list[tuple[Flows, PathVerdict]]) -> Flows:
    """The union of the allowed parts: equal to the space asked about when all of it is."""
    out = Flows()
    for flows, verdict in parts:
        if verdict.allowed:
            out = out | flows
    return out


def test_fix_command_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "fix.yaml"
    assert main(["fix", "--from", str(EXAMPLE), "-o", str(target)]) == 0
    _, err = capsys.readouterr()
    assert f"kubectl apply -f {target}" in err
    assert "kubectl patch felixconfigurations.projectcalico.org default --type=merge" in err
    assert target.read_text().startswith("# posture fix")


CLEAN = """\
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 10.0.0.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a}
spec: {nodeName: n1, containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.2, phase: Running}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny}
spec: {selector: all(), types: [Ingress, Egress]}
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: default}
spec: {wireguardEnabled: true}
---
apiVersion: projectcalico.org/v3
kind: KubeControllersConfiguration
metadata: {name: default}
spec: {controllers: {node: {hostEndpoint: {autoCreate: Enabled}}}}
"""


def test_nothing_to_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cluster.yaml").write_text(CLEAN)
    assert main(["fix", "--from", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "nothing for `posture fix` to close" in err


def test_nothing_read_is_not_nothing_to_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    assert main(["fix", "--from", str(tmp_path)]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert "no Pod was read" in err
    assert "nothing" not in err
