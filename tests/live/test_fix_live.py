"""`posture fix` is safe as printed, proven on a real API server with a real kubectl.

The operator's Calico settings are created with `kubectl apply` (so they carry the
`kubectl.kubernetes.io/last-applied-configuration` annotation that drives apply's three-way
merge). After every command `posture fix` prints has run, every field the operator set is still
there and the fields posture meant to change are changed. A control case shows the harm the
patches avoid: applying a partial object over an applied one deletes the operator's fields.
The patches are also sent as plain JSON merge patches (RFC 7386) over HTTP, without kubectl.
"""

from __future__ import annotations

import copy
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from posture.cli import main
from posture.findings.model import Finding, Severity
from posture.pipeline import analyse
from posture.remediation import plan_fix
from posture.sources.cluster import ClusterSource

from .conftest import CRDS, LiveCluster

pytestmark = pytest.mark.live

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
V3 = "projectcalico.org/v3"

FELIX_DEFAULT: dict[str, Any] = {
    "apiVersion": V3,
    "kind": "FelixConfiguration",
    "metadata": {"name": "default"},
    "spec": {
        "bpfEnabled": True,
        "logSeverityScreen": "Warning",
        "reportingInterval": "0s",
        "wireguardEnabled": False,
        "failsafeInboundHostPorts": [{"protocol": "TCP", "port": 22}],
    },
}
FELIX_NODE: dict[str, Any] = {
    "apiVersion": V3,
    "kind": "FelixConfiguration",
    "metadata": {"name": "node.node-b"},
    "spec": {"wireguardEnabled": False, "logSeverityScreen": "Debug"},
}
KUBE_CONTROLLERS: dict[str, Any] = {
    "apiVersion": V3,
    "kind": "KubeControllersConfiguration",
    "metadata": {"name": "default"},
    "spec": {
        "logSeverityScreen": "Info",
        "healthChecks": "Enabled",
        "controllers": {
            "node": {"reconcilerPeriod": "5m", "syncLabels": "Enabled"},
            "policy": {"reconcilerPeriod": "5m"},
        },
    },
}
SETTINGS = (FELIX_DEFAULT, FELIX_NODE, KUBE_CONTROLLERS)


def _node(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
    }


def _pod(name: str, node: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "app", "labels": {"app": name}},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]},
    }


NODES = {"node-a": "10.0.0.1", "node-b": "10.0.0.2"}
PODS = {"web": ("node-a", "10.244.1.2"), "db": ("node-b", "10.244.2.2")}


def _kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        message = "kubectl is not installed (scripts/test installs Debian's kubernetes-client)"
        if os.environ.get("POSTURE_LIVE_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def fix_cluster(start_live_cluster: Callable[[str], LiveCluster]) -> LiveCluster:
    """A cluster of its own: the test changes cluster-wide singletons."""
    cluster = start_live_cluster("fix")
    cluster.kube.install_crds(CRDS / "projectcalico.org")
    return cluster


def kubectl(cluster: LiveCluster, *args: str, stdin: str | None = None) -> str:
    run = subprocess.run(
        [_kubectl(), "--kubeconfig", str(cluster.admin_kubeconfig), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, f"kubectl {' '.join(args)}: {run.stderr}"
    return run.stdout


def live(cluster: LiveCluster, obj: dict[str, Any]) -> dict[str, Any]:
    kube = cluster.kube
    path = kube.path(obj["apiVersion"], obj["kind"], "", obj["metadata"]["name"])
    found: dict[str, Any] = kube.request("GET", path)
    return found


def assert_kept(before: dict[str, Any], after: dict[str, Any], where: str = "spec") -> None:
    """Every field of ``before`` is in ``after`` with the same value (recursively)."""
    for key, value in before.items():
        assert key in after, f"{where}.{key} was deleted"
        if isinstance(value, dict):
            assert_kept(value, after[key], f"{where}.{key}")
        else:
            assert after[key] == value, f"{where}.{key}: {value!r} became {after[key]!r}"


@pytest.fixture(scope="module")
def applied(fix_cluster: LiveCluster, tmp_path_factory: pytest.TempPathFactory) -> LiveCluster:
    """The operator's objects, created with `kubectl apply` as they would be from Git."""
    folder = tmp_path_factory.mktemp("operator")
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}}
    pods = [_pod(name, node) for name, (node, _) in PODS.items()]
    objs = [namespace, *(_node(n) for n in NODES), *pods, *SETTINGS]
    (folder / "cluster.yaml").write_text(yaml.safe_dump_all(objs))
    kubectl(fix_cluster, "apply", "-f", str(folder / "cluster.yaml"))
    for name, ip in NODES.items():
        fix_cluster.kube.patch_status(
            _node(name), {"addresses": [{"type": "InternalIP", "address": ip}]}
        )
    for pod in pods:
        node, ip = PODS[pod["metadata"]["name"]]
        fix_cluster.kube.patch_status(
            pod, {"podIP": ip, "podIPs": [{"ip": ip}], "hostIP": NODES[node], "phase": "Running"}
        )
    for obj in SETTINGS:
        assert LAST_APPLIED in live(fix_cluster, obj)["metadata"]["annotations"]
    return fix_cluster


def test_printed_commands_keep_every_field(
    applied: LiveCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "fix.yaml"
    code = main(["fix", "--kubeconfig", str(applied.admin_kubeconfig), "-o", str(target)])
    assert code == 0
    err = capsys.readouterr().err
    commands = [line.strip() for line in err.splitlines() if line.startswith("  kubectl ")]
    assert f"kubectl apply -f {target}" in commands
    patches = [c for c in commands if c.startswith("kubectl patch ")]
    assert len(patches) == 3, err  # WireGuard default + node.node-b, auto host endpoints
    # The same commands are written in the file, so the file alone is enough to act on.
    text = target.read_text()
    for command in patches:
        assert command in text
    assert "kubectl diff -f" in text
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == "kubectl"
        kubectl(applied, *argv[1:])

    felix = live(applied, FELIX_DEFAULT)
    assert_kept(
        {k: v for k, v in FELIX_DEFAULT["spec"].items() if k != "wireguardEnabled"}, felix["spec"]
    )
    assert felix["spec"]["wireguardEnabled"] is True
    node = live(applied, FELIX_NODE)
    assert node["spec"]["logSeverityScreen"] == "Debug"
    assert node["spec"]["wireguardEnabled"] is True
    kcc = live(applied, KUBE_CONTROLLERS)
    assert_kept(KUBE_CONTROLLERS["spec"], kcc["spec"])
    assert kcc["spec"]["controllers"]["node"]["hostEndpoint"] == {"autoCreate": "Enabled"}
    # The annotation still records what the operator applied, so their next `kubectl apply`
    # of their own files does not remove what the patches added (it is not in it).
    for obj in SETTINGS:
        annotations = live(applied, obj)["metadata"]["annotations"]
        assert yaml.safe_load(annotations[LAST_APPLIED])["spec"] == obj["spec"]
    # The new objects were created by the apply.
    assert live(
        applied, {"apiVersion": V3, "kind": "Tier", "metadata": {"name": "posture-baseline"}}
    )

    # Read back by posture: the findings the patches close are gone.
    out = tmp_path / "after.json"
    main(
        [
            "check",
            "--kubeconfig",
            str(applied.admin_kubeconfig),
            "-o",
            "json",
            "--output-file",
            str(out),
            "--exit-zero",
            "--allow-incomplete",
        ]
    )
    after = yaml.safe_load(out.read_text())
    left = {f["checkId"] for f in after["findings"]}
    assert not left & {"PST-ENC-001", "PST-NODE-003"}, left


def test_applying_a_partial_object_deletes_fields(applied: LiveCluster, tmp_path: Path) -> None:
    """The harm the patches avoid, shown on the same server: a partial FelixConfiguration
    applied over an applied one loses the operator's fields (three-way merge)."""
    full = copy.deepcopy(FELIX_DEFAULT)
    full["metadata"]["name"] = "node.node-a"
    (tmp_path / "full.yaml").write_text(yaml.safe_dump(full))
    kubectl(applied, "apply", "-f", str(tmp_path / "full.yaml"))
    partial = {**full, "spec": {"wireguardEnabled": True}}
    (tmp_path / "partial.yaml").write_text(yaml.safe_dump(partial))
    kubectl(applied, "apply", "-f", str(tmp_path / "partial.yaml"))
    assert "bpfEnabled" not in live(applied, full)["spec"]


def test_patches_are_plain_json_merge_patches(applied: LiveCluster, tmp_path: Path) -> None:
    """Without kubectl: each patch body PATCHed as application/merge-patch+json keeps the
    rest of the object."""
    obj = copy.deepcopy(FELIX_DEFAULT)
    obj["metadata"]["name"] = "node.merge"
    kube = applied.kube
    kube.create(obj)
    kube.create(_node("merge"))
    snap = ClusterSource(kubeconfig=str(applied.admin_kubeconfig), context=None).load()
    analysis = analyse(snap)
    # The patches WireGuard findings get (whichever pods make them appear).
    wireguard_off = Finding("PST-ENC-001", Severity.HIGH, "WireGuard is off", "")
    plan = plan_fix(analysis, [wireguard_off])
    patch = next(p for p in plan.patches if p.name == "node.merge")
    path = kube.path(V3, "FelixConfiguration", "", "node.merge")
    kube.request("PATCH", path, patch.body, **{"Content-Type": "application/merge-patch+json"})
    after = live(applied, obj)["spec"]
    assert_kept({k: v for k, v in obj["spec"].items() if k != "wireguardEnabled"}, after)
    assert after["wireguardEnabled"] is True
