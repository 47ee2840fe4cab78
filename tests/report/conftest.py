"""One Report of the shipped example cluster, built once for all renderer tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from posture.pipeline import check
from posture.report.model import Report
from posture.sources import offline_source
from posture.sources.convert import build_snapshot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cluster"
SCHEMA = ROOT / "docs" / "schema" / "posture-report-v1alpha3.json"


@pytest.fixture(scope="session")
def report() -> Report:
    inv = offline_source([EXAMPLE]).read_inventory()
    return check(build_snapshot(inv))


@pytest.fixture(scope="session")
def report_schema() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(SCHEMA.read_text())
    return doc
