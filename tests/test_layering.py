"""The import contracts in pyproject.toml catch what they promise to catch.

A contract that stays green whatever one imports proves nothing, so each confinement is tried
with a probe: a copy of the package with one stray import added must break exactly the
contract that forbids it, while the unmodified copy keeps every contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

LINT = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}  # the copy shadows the installed package
    return subprocess.run(
        [str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "posture", tmp_path / "posture", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _probe(tree: Path, module: str, line: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_unmodified_copy_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "posture.sources.discovery",
            "import kubernetes  # noqa",
            "Only the live source talks to the kubernetes client and urllib3",
        ),
        (
            "posture.report.json_render",
            "import urllib3  # noqa",
            "Only the live source talks to the kubernetes client and urllib3",
        ),
        (
            "posture.cli",
            "import requests  # noqa",
            "Only posture.publish speaks HTTP through requests",
        ),
        (
            "posture.findings.rules.node",
            "import posture.findings.rules.lateral  # noqa",
            "The rule themes are independent of each other",
        ),
        (
            "posture.findings.registry",
            "import posture.findings.rules  # noqa",
            "No import cycles between sibling modules anywhere in posture",
        ),
    ],
)
def test_a_stray_import_breaks_its_contract(
    tree: Path, module: str, line: str, contract: str
) -> None:
    _probe(tree, module, line)
    result = _lint(tree)
    assert result.returncode != 0
    assert " 0 broken." not in result.stdout, result.stdout
    # The report's details section names the broken contract (the summary above may wrap).
    details = result.stdout.split("Broken contracts", 1)[1]
    assert contract in details, result.stdout
