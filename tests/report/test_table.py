"""The terminal table reads top-down: subject column, start-here block, filters, plain rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.support import EXAMPLE, run


def _table(capsys: pytest.CaptureFixture[str], *extra: str) -> list[str]:
    source = () if "--from" in extra else ("--from", EXAMPLE)
    _, out, _ = run(capsys, "check", *source, "--exit-zero", *extra)
    return out.splitlines()


def _rows(lines: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(lines) if line.startswith("SEVERITY"))
    end = lines.index("", start)
    return lines[start + 1 : end]


def test_example_table_is_short_with_no_two_identical_summary_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = _table(capsys)
    assert len(lines) < 120
    rows = _rows(lines)
    assert len(rows) == len(set(rows)), [r for r in rows if rows.count(r) > 1]
    header = next(line for line in lines if line.startswith("SEVERITY"))
    assert header.split() == ["SEVERITY", "CHECK", "SUBJECT", "TITLE"]
    # One row per root cause: the example's own-node gap is one finding over three nodes.
    own = [r for r in rows if "Pod-to-node traffic is unrestricted (own node)" in r]
    assert len(own) == 1
    assert "3 nodes" in own[0]


def test_start_here_names_what_posture_fix_closes_and_what_remains(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = "\n".join(_table(capsys))
    start = text.index("Start here")
    assert text.index("SEVERITY") < start < text.index("Critical and high findings")
    block = text[start:]
    assert "`posture fix > fix.yaml` closes" in block
    assert "PST-NODE-002" in block
    assert "remain, to fix by hand:" in block
    assert "PST-DENY-005: Give the default-deny no explicit Deny rule" in block
    assert "`posture explain SRC DST`" in block


def test_min_severity_and_check_filter_what_is_shown_not_the_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc, out, _ = run(capsys, "check", "--from", EXAMPLE, "--min-severity", "critical")
    assert rc == 1
    rows = _rows(out.splitlines())
    assert rows
    assert all(r.startswith("CRITICAL") for r in rows)
    assert "not shown (--check/--min-severity)" in out

    lines = _table(capsys, "--check", "PST-DENY-005")
    rows = _rows(lines)
    assert len(rows) == 2
    assert all("PST-DENY-005" in r for r in rows)
    text = "\n".join(lines)
    assert "because:" in text
    assert "fix: Give the default-deny" in text


def test_rows_are_whole_when_stdout_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows(_table(capsys))
    assert any(r.endswith("etcd, kubelet API, BGP (BIRD) and 9 more") for r in rows)


def test_hygiene_findings_of_one_check_are_one_row_with_a_count(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "c")
    unused = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": f"unused-{i}", "namespace": "shop"},
            "spec": {"podSelector": {"matchLabels": {"app": f"gone-{i}"}}, "ingress": [{}]},
        }
        for i in range(3)
    ]
    (tmp_path / "c" / "90-unused.yaml").write_text(yaml.safe_dump_all(unused))
    rows = _rows(_table(capsys, "--from", str(tmp_path / "c")))
    hyg = [r for r in rows if "PST-HYG-001" in r]
    assert len(hyg) == 1
    assert "(4 findings: --check PST-HYG-001 lists them)" in hyg[0]
    listed = _rows(_table(capsys, "--from", str(tmp_path / "c"), "--check", "PST-HYG-001"))
    assert len(listed) == 4


def test_wording_names_pods_not_internal_groups(capsys: pytest.CaptureFixture[str]) -> None:
    text = "\n".join(_table(capsys, "-o", "wide"))
    assert "in 1 group" not in text
    assert "groups (namespaces" not in text
    assert "pod monitoring/prometheus-0 can reach kubelet API" in text
