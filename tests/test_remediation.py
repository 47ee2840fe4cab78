"""`posture fix` round trip: check → fix → apply the fix to the same manifests → check again."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from posture.cli import main
from posture.engine.flows import parse_flow
from posture.engine.path import PathEngine
from posture.findings.rules import default_registry
from posture.pipeline import analyse, check_snapshot
from posture.remediation import fix_manifest
from posture.sources import offline_source

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cluster"


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    snap = offline_source([EXAMPLE]).load()
    report = check_snapshot(snap, registry=default_registry())
    text, addressed = fix_manifest(analyse(snap), report.findings)
    path = tmp_path_factory.mktemp("fix") / "fix.yaml"
    path.write_text(text)
    return path, addressed


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
    path, _ = fixed
    text = path.read_text()
    docs = [d for d in yaml.safe_load_all(text) if d]
    assert docs
    for chunk, doc in zip(text.split("\n---\n")[1:], docs, strict=True):
        assert chunk.lstrip().startswith("#"), "every object says what it does"
        assert doc["apiVersion"] == "projectcalico.org/v3"
    kinds = [d["kind"] for d in docs]
    assert kinds.count("Tier") == 1
    assert "KubeControllersConfiguration" in kinds
    deny = next(d for d in docs if d["metadata"]["name"] == "posture-default-deny")
    # No order and no rules: evaluated last in the default tier, silences nothing (§8.2).
    assert "order" not in deny["spec"]
    assert set(deny["spec"]["types"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]


def test_fixed_findings_are_gone(fixed: tuple[Path, list[str]]) -> None:
    path, addressed = fixed
    after = check_snapshot(offline_source([EXAMPLE, path]).load(), registry=default_registry())
    left = {f.check_id for f in after.findings}
    assert not left & set(addressed)


def test_dns_and_control_plane_still_work_after_the_fix(fixed: tuple[Path, list[str]]) -> None:
    path, _ = fixed
    snap = offline_source([EXAMPLE, path]).load()
    a = analyse(snap)
    engine = PathEngine(a.index)
    dns = next(p for p in a.index.wep_pods if p.labels.get("k8s-app") == "kube-dns")
    api_node = a.index.nodes["cp-1"]
    for pod in a.index.wep_pods:
        for port in ("53/UDP", "53/TCP"):
            parts = engine.decide(
                a.index.pod_peer(pod), a.index.pod_peer(dns), parse_flow(port, a.index.universe)
            )
            assert all(v.allowed for _, v in parts), (pod.name, port)
        if pod.namespace in ("kube-system", "calico-system"):
            parts = engine.decide(
                a.index.pod_peer(pod),
                a.index.host_peer(api_node),
                parse_flow("6443/TCP", a.index.universe),
            )
            assert all(v.allowed for _, v in parts), pod.name


def test_fix_command_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "fix.yaml"
    assert main(["fix", "--from", str(EXAMPLE), "-o", str(target)]) == 0
    _, err = capsys.readouterr()
    assert "kubectl apply -f" in err
    assert target.read_text().startswith("# posture fix")


def test_nothing_to_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    assert main(["fix", "--from", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "nothing" in err
