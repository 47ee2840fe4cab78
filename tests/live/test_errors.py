"""Connection and configuration failures: one-line SourceErrors (exit 3), never tracebacks."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from posture.errors import SourceError
from posture.sources.cluster import ClusterSource

from .conftest import REPO, LiveCluster

pytestmark = pytest.mark.live


def _fails(
    kubeconfig: Path | str | None, context: str | None = None, in_cluster: bool | None = None
) -> str:
    """Run a read expected to fail; return the one-line message."""
    path = str(kubeconfig) if kubeconfig else None
    source = ClusterSource(kubeconfig=path, context=context, in_cluster=in_cluster)
    with pytest.raises(SourceError) as info:
        source.read_inventory()
    message = str(info.value)
    assert "\n" not in message
    assert info.value.exit_code == 3
    assert "Traceback" not in message
    return message


def _closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_server(bare_cluster: LiveCluster, tmp_path: Path) -> None:
    server = f"https://127.0.0.1:{_closed_port()}"
    kubeconfig = bare_cluster.kubeconfig_with(tmp_path / "kc", server=server)
    message = _fails(kubeconfig)
    assert message.startswith(f"cannot connect to {server}")
    assert "refused" in message.lower()


def test_bad_ca_certificate(bare_cluster: LiveCluster, tmp_path: Path) -> None:
    subprocess.run([REPO / "scripts" / "envtest-certs", tmp_path / "other"], check=True)
    kubeconfig = bare_cluster.kubeconfig_with(tmp_path / "kc", ca_file=tmp_path / "other/ca.crt")
    message = _fails(kubeconfig)
    assert message.startswith(f"TLS connection to {bare_cluster.server} failed")
    assert "certificate verify failed" in message
    assert "certificate-authority" in message


def test_invalid_token(bare_cluster: LiveCluster, tmp_path: Path) -> None:
    kubeconfig = bare_cluster.kubeconfig_with(tmp_path / "kc", token="not-a-valid-token")
    message = _fails(kubeconfig)
    assert "401 Unauthorized" in message
    assert "invalid or expired" in message


def test_unknown_context(bare_cluster: LiveCluster) -> None:
    message = _fails(bare_cluster.admin_kubeconfig, context="nope")
    assert "no context named 'nope'" in message
    assert "contexts: bare" in message
    assert "--context" in message


def test_missing_kubeconfig_file(tmp_path: Path) -> None:
    message = _fails(tmp_path / "absent.yaml")
    assert message.startswith(f"kubeconfig not found: {tmp_path / 'absent.yaml'} (--kubeconfig)")


def test_no_kubeconfig_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    message = _fails(None)
    assert message.startswith(f"kubeconfig not found: {tmp_path}/.kube/config (default path)")


def test_in_cluster_outside_a_pod(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    message = _fails(None, in_cluster=True)
    assert message.startswith("loading the pod's service account (in-cluster configuration) failed")


def test_malformed_kubeconfig(tmp_path: Path) -> None:
    path = tmp_path / "kc"
    path.write_text("apiVersion: v1\nkind: Config\nclusters: [\n")
    message = _fails(path)
    assert str(path) in message


def test_failing_exec_credential_plugin(bare_cluster: LiveCluster, tmp_path: Path) -> None:
    path = bare_cluster.kubeconfig_with(tmp_path / "kc")
    config = yaml.safe_load(path.read_text())
    config["users"][0]["user"] = {
        "exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "false"}
    }
    path.write_text(yaml.safe_dump(config))
    message = _fails(path)
    assert "refused API discovery to an anonymous user" in message
    assert "exec credential plugin" in message


def test_kubeconfig_list_from_environment(
    bare_cluster: LiveCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``$KUBECONFIG`` may list several files; the context may live in any of them."""
    other = bare_cluster.kubeconfig_with(tmp_path / "other", token="x", context="elsewhere")
    monkeypatch.setenv("KUBECONFIG", f"{other}:{bare_cluster.admin_kubeconfig}")
    inv = ClusterSource(kubeconfig=None, context="bare").read_inventory()
    assert inv.provenance.context == "bare"
    assert inv.coverage.complete
    assert _fails(None, context="elsewhere").startswith(f"{bare_cluster.server} rejected")
