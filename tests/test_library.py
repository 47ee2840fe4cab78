"""The library is the CLI without the printing: ``import posture`` gives the same report."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

import posture
from posture.report.reach import render_explanation
from tests.support import EXAMPLE, run

EPOCH = 1795737600  # 2026-11-27T00:00:00Z: the report's date, pinned on both sides
NOW = datetime.fromtimestamp(EPOCH, UTC)


def test_the_public_api_is_what_all_names() -> None:
    for name in posture.__all__:
        assert hasattr(posture, name), name
    for name in ("load_snapshot", "read_cluster", "check", "explain", "render", "Report"):
        assert name in posture.__all__
    for name in ("Finding", "Severity", "Snapshot", "PostureError"):
        assert name in posture.__all__


def test_library_and_cli_give_byte_identical_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    rc, cli, _ = run(capsys, "check", "--from", EXAMPLE, "-o", "json")
    assert rc == 1
    options = posture.CheckOptions(now=lambda: NOW)
    library = posture.render(posture.check(posture.load_snapshot([EXAMPLE]), options), "json")
    assert library == cli
    assert json.loads(cli)["metadata"]["generatedAt"] == "2026-11-27T00:00:00Z"


def test_suppressions_and_baseline_happen_inside_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An ignore annotation in the manifests, a suppressions file and a baseline: the CLI and
    ``posture.check`` with the same inputs agree, and each of the three changed the report."""
    cluster = tmp_path / "cluster"
    shutil.copytree(EXAMPLE, cluster)
    (cluster / "zz-accepted.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": "ingress",
                    "annotations": {
                        "posture.dev/ignore": "PST-LAT-*",
                        "posture.dev/ignore-reason": "the edge is reviewed separately",
                    },
                },
            }
        )
    )
    rules = tmp_path / "suppressions.yaml"
    rules.write_text("- check: PST-RT-*\n  reason: runtime upgrades are planned\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    _, baseline_text, _ = run(capsys, "check", "--from", EXAMPLE, "-o", "json")
    baseline = tmp_path / "baseline.json"
    baseline.write_text(baseline_text)

    argv = ["check", "--from", str(cluster), "-o", "json", "--suppressions", str(rules)]
    _, cli, _ = run(capsys, *argv, "--baseline", str(baseline))

    options = posture.CheckOptions(
        now=lambda: NOW,
        suppressions=tuple(posture.suppressions.load_rules(rules)),
        baseline=json.loads(baseline_text),
    )
    report = posture.check(posture.load_snapshot([cluster]), options)
    assert posture.render(report, "json") == cli
    suppressed = {f.check_id.split("-")[1] for f in report.suppressed}
    assert suppressed == {"LAT", "RT"}, suppressed
    assert report.changes is not None
    assert report.changes.fixed, "the suppressed findings no longer count as open"


def test_explain_returns_a_value_the_cli_renders(capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = posture.load_snapshot([EXAMPLE])
    src, dst = "ingress/ingress-nginx-controller-0", "10.96.0.10"
    answer = posture.explain(snapshot, src, dst, "53/UDP")
    assert answer.service == "kube-system/kube-dns"
    assert len(answer.paths) == 2
    assert all(v.allowed for p in answer.paths for _, v in p.parts)
    rc, out, _ = run(capsys, "explain", src, dst, "--port", "53/UDP", "--from", EXAMPLE)
    assert rc == 0
    assert render_explanation(answer, "table") == out


def test_errors_are_posture_errors_with_exit_codes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [\n")
    with pytest.raises(posture.PostureError) as caught:
        posture.load_snapshot([bad])
    assert caught.value.exit_code == 2
    assert str(bad) in caught.value.message
