"""Output files and secrets: an unwritable path is a one-line exit 2, files honour the umask,
and a pod's env value never reaches a snapshot or any report format."""

from __future__ import annotations

import gzip
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from posture.cli import main
from posture.report.formats import CHOICES
from posture.sources import offline_source
from posture.sources.sanitise import LAST_APPLIED, sanitise

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "cluster"
SECRET = "s3cr3t-Value-4711"


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_missing_directory_is_exit_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "report.json"
    rc = main(["check", "--from", str(EXAMPLE), "-o", "json", "--output-file", str(target)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.strip().splitlines() == [
        f"posture: error: cannot write {target}: directory {target.parent} does not exist"
    ]
    assert "internal error" not in err


def test_directory_as_output_file_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["check", "--from", str(EXAMPLE), "--output-file", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"cannot write {tmp_path}: it is a directory" in err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temp file left"


def test_file_as_directory_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("")
    target = tmp_path / "file" / "snap.json"
    assert main(["snapshot", "--from", str(EXAMPLE), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {target}: directory {target.parent} does not exist" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--from", str(EXAMPLE), "--exit-zero", "-o", "json", "--output-file"],
        ["snapshot", "--from", str(EXAMPLE), "-o"],
        ["fix", "--from", str(EXAMPLE), "-o"],
    ],
)
def test_files_honour_the_umask(argv: list[str], tmp_path: Path, umask: None) -> None:
    target = tmp_path / "out.json"
    assert main([*argv, str(target)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # 0666 & ~027


def _secret_inputs(folder: Path) -> Path:
    """The example plus objects that hold SECRET where operators put secrets."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "leaky",
            "namespace": "shop",
            "labels": {"app": "leaky"},
            "annotations": {LAST_APPLIED: json.dumps({"env": SECRET})},
            "managedFields": [{"manager": "kubectl", "fieldsV1": {SECRET: {}}}],
        },
        "spec": {
            "nodeName": "worker-1",
            "containers": [
                {
                    "name": "app",
                    "image": "app:1",
                    "command": ["run", f"--password={SECRET}"],
                    "env": [{"name": "DB_PASSWORD", "value": SECRET}],
                    "ports": [{"name": "http", "containerPort": 8080}],
                }
            ],
            "initContainers": [{"name": "init", "env": [{"name": "TOKEN", "value": SECRET}]}],
        },
        "status": {"podIP": "10.244.1.77", "phase": "Running", "message": SECRET},
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "stringData": {"password": SECRET},
    }
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "shop"},
        "data": {"password": SECRET},
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "w", "env": [{"name": "K", "value": SECRET}]}]},
            },
        },
    }
    extra = folder / "leaky.yaml"
    extra.write_text(yaml.safe_dump_all([pod, secret, config, deployment]))
    return extra


def test_no_env_value_reaches_a_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = _secret_inputs(tmp_path)
    for name in ("snap.json", "snap.json.gz"):
        target = tmp_path / name
        assert (
            main(["snapshot", "--from", str(EXAMPLE), "--from", str(extra), "-o", str(target)]) == 0
        )
        raw = target.read_bytes()
        text = (gzip.decompress(raw) if name.endswith(".gz") else raw).decode()
        assert SECRET not in text
        assert LAST_APPLIED not in text
        kinds = {o["kind"] for o in json.loads(text)["objects"]}
        assert not kinds & {"Secret", "ConfigMap"}
    err = capsys.readouterr().err
    assert "no container env except FELIX_*" in err
    # The Felix settings of calico-node are kept: they decide verdicts.
    assert "FELIX_" in text


def test_a_sanitised_snapshot_gives_the_same_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = _secret_inputs(tmp_path)
    snap = tmp_path / "snap.json"
    assert main(["snapshot", "--from", str(EXAMPLE), "--from", str(extra), "-o", str(snap)]) == 0
    capsys.readouterr()
    direct = offline_source([EXAMPLE, extra]).load()
    replayed = offline_source([snap]).load()
    assert replayed.pods == direct.pods
    assert replayed.felix == direct.felix
    assert replayed.felix_by_node == direct.felix_by_node
    assert replayed.policies == direct.policies
    assert replayed.nodes == direct.nodes


@pytest.mark.parametrize("fmt", CHOICES)
def test_no_env_value_reaches_a_report(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = _secret_inputs(tmp_path)
    main(["check", "--from", str(EXAMPLE), "--from", str(extra), "--exit-zero", "-o", fmt])
    out, err = capsys.readouterr()
    assert out
    assert SECRET not in out
    assert SECRET not in err


def test_sanitise_keeps_felix_env_and_ports_only() -> None:
    daemonset = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "calico-node", "namespace": "kube-system"},
        "spec": {
            "template": {
                "metadata": {"labels": {"k8s-app": "calico-node"}},
                "spec": {
                    "hostNetwork": True,
                    "volumes": [{"name": "x", "hostPath": {"path": "/"}}],
                    "containers": [
                        {
                            "name": "calico-node",
                            "image": "calico/node:v3.28.0",
                            "args": [SECRET],
                            "env": [
                                {"name": "FELIX_WIREGUARDENABLED", "value": "true"},
                                {"name": "felix_defaultendpointtohostaction", "value": "DROP"},
                                {"name": "CALICO_TOKEN", "value": SECRET},
                            ],
                        }
                    ],
                },
            }
        },
        "status": {"numberReady": 3},
    }
    kept = sanitise(daemonset)
    assert kept is not None
    spec = kept["spec"]["template"]["spec"]
    assert spec == {
        "hostNetwork": True,
        "containers": [
            {
                "name": "calico-node",
                "image": "calico/node:v3.28.0",
                "env": [
                    {"name": "FELIX_WIREGUARDENABLED", "value": "true"},
                    {"name": "felix_defaultendpointtohostaction", "value": "DROP"},
                ],
            }
        ],
    }
    assert "status" not in kept
    assert sanitise({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}) is None
