"""The command line as a test runs it: the real ``main`` with captured output."""

from __future__ import annotations

from pathlib import Path

import pytest

from posture.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "cluster")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``posture ARGV`` → (exit code, stdout, stderr), only this run's output."""
    capsys.readouterr()
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err
